// The report renderer: a pure function from a Report to one self-contained, deterministic HTML page.

/// Renders reports. No I/O, no clock, no randomness: the same report and references give
/// byte-identical HTML.
public enum ReportRenderer {
    /// The report as a complete HTML document.
    /// - Parameters:
    ///   - report: title, byline and blocks in notebook order.
    ///   - resolve: maps a value reference's expression (`aa.top1` for `` `= aa.top1` ``) to
    ///     its formatted value and the anchor of its result; nil marks it unresolved.
    public static func render(_ report: Report, resolve: (String) -> InlineValue? = { _ in nil }) -> String {
        var context = RenderContext()
        for case let .cell(cell) in report.blocks {
            for output in cell.outputs {
                if case let .images(images) = output.content { images.forEach { context.images.register($0.png) } }
            }
        }
        var body = ""
        var headings: [ReportHeading] = []
        for block in report.blocks {
            switch block {
            case let .prose(markdown):
                let (html, found) = ReportHeading.identify(MarkdownRenderer.html(markdown, resolve: resolve), context: &context)
                headings += found
                body += "<div class=\"prose\">\n" + html + "</div>\n"
            case let .cell(cell):
                body += context.cell(cell)
            }
        }
        let toc = ReportHeading.contents(headings)
        var byline = [report.author, report.date].compactMap { $0 }.filter { !$0.isEmpty }.map(HTML.escape)
        if byline.count == 2 { byline = [byline[0] + " · " + byline[1]] }
        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="generator" content="Loom">
            <title>\(HTML.escape(report.title))</title>
            <style>
            \(ReportStyle.css)
            </style>
            </head>
            <body>
            \(context.images.definitions())<main>
            <header><h1>\(HTML.escape(report.title))</h1>\(byline.map { "<p class=\"byline\">\($0)</p>" }.joined())</header>
            \(toc)\(body)</main>
            <footer>Rendered by Loom. Self-contained: no network resources, no scripts.</footer>
            </body>
            </html>

            """
    }

    /// `render(_:resolve:)` with references from a map keyed by expression (`"aa.top1"`).
    public static func render(_ report: Report, references: [String: InlineValue]) -> String {
        render(report) { references[$0] }
    }
}

extension ReportCell.State {
    /// The badge's tooltip.
    var explanation: String {
        switch self {
        case .current: return "results in the store match this cell"
        case .stale: return "the cell changed since these results were computed"
        }
    }
}

/// Mutable state of one rendering: ids already used on the page and the image registry.
struct RenderContext {
    var images = ImageRegistry()
    private var usedIDs: Set<String> = []
    /// Tables and figures numbered so far.
    private var tables = 0, figures = 0

    /// `base` made into a valid id, suffixed `-2`, `-3`… if already taken on the page.
    mutating func uniqueID(_ base: String) -> String {
        let anchor = HTML.anchor(base)
        var candidate = anchor, n = 1
        while usedIDs.contains(candidate) { n += 1; candidate = "\(anchor)-\(n)" }
        usedIDs.insert(candidate)
        return candidate
    }

    /// Claims `id` if no element has it yet; the first element with an id keeps it.
    mutating func claim(_ id: String) -> Bool { usedIDs.insert(id).inserted }

    /// A cell: collapsible highlighted source, then its outputs.
    mutating func cell(_ cell: ReportCell) -> String {
        let id = uniqueID("cell-" + cell.id)
        var summary = "<span class=\"name\">" + HTML.escape(cell.id) + "</span>"
        if let line = cell.line { summary += " <span class=\"line\">· line \(line)</span>" }
        if let state = cell.state, state == .stale {
            summary += " <span class=\"badge \(state.rawValue)\" title=\"\(state.explanation)\">\(state.rawValue)</span>"
        }
        var out = "<section class=\"cell\(cell.state == .stale ? " stale" : "")\" id=\"\(id)\">\n"
        out += "<details><summary>" + summary + "</summary><pre class=\"hl\"><code>"
            + SourceHighlighter.html(cell.source) + "</code></pre></details>\n"
        if !cell.outputs.isEmpty {
            out += "<div class=\"outputs\">\n"
            for output in cell.outputs { out += self.output(output) + "\n" }
            out += "</div>\n"
        }
        return out + "</section>\n"
    }

    /// One output: optional title, the content, then its provenance lines.
    /// Tables are numbered "Table 1", "Table 2"…, charts, heat maps and image grids "Figure 1"…, in
    /// page order; each gets an id (its own anchor, else `table-N`/`figure-N`) its label links to, and
    /// one with numbers behind it a CSV download of them.
    mutating func output(_ output: ReportOutput) -> String {
        var label: String?
        switch output.content {
        case .table: tables += 1; label = "Table \(tables)"
        case .lineChart, .barChart, .heatmap, .images: figures += 1; label = "Figure \(figures)"
        case .text, .error: label = nil
        }
        let fallback = label.map { $0.lowercased().replacingOccurrences(of: " ", with: "-") }
        let id = (output.anchor ?? fallback).map { uniqueID($0) }
        var out = "<div class=\"output\"" + (id.map { " id=\"\($0)\"" } ?? "") + ">"
        if let label, let id {
            out += "<h4><a class=\"number\" href=\"#\(id)\">\(label)</a>" + (output.title.map { ". " + HTML.escape($0) } ?? "") + "</h4>"
        } else if let title = output.title {
            out += "<h4>" + HTML.escape(title) + "</h4>"
        }
        out += content(output.content)
        if let csv = output.content.csv, let id {
            out += "<p class=\"data\"><a download=\"\(id).csv\" href=\"" + HTML.escape(ReportCSV.dataURI(csv)) + "\">data (CSV)</a></p>"
        }
        for provenance in output.provenance { out += line(provenance) }
        return out + "</div>"
    }

    mutating func content(_ content: ReportContent) -> String {
        switch content {
        case let .table(table): return table.html()
        case let .lineChart(chart): return "<div class=\"chart-wrap\">" + chart.svg() + "</div>"
        case let .barChart(chart): return "<div class=\"chart-wrap\">" + chart.svg() + "</div>" + ReportNotes.html(chart.notes)
        case let .heatmap(chart): return "<div class=\"chart-wrap\">" + chart.svg() + "</div>"
        case let .images(images):
            return "<div class=\"images\">" + images.map { self.images.figure($0) }.joined() + "</div>"
        case let .text(text): return "<pre class=\"text-output\">" + HTML.escape(text) + "</pre>"
        case let .error(error): return ReportErrorBox.html(error)
        }
    }

    /// The provenance line; it carries the run's anchor the first time the run appears.
    mutating func line(_ p: Provenance) -> String {
        var parts = ["run <code>" + HTML.escape(String(p.runKey.prefix(12))) + "</code>"
                     + (p.label.map { " (" + HTML.escape($0) + ")" } ?? "")]
        if !p.seeds.isEmpty {
            parts.append((p.seeds.count == 1 ? "seed " : "seeds ") + p.seeds.map(String.init).joined(separator: ", "))
        }
        if let commit = p.gitCommit { parts.append("commit <code>" + HTML.escape(String(commit.prefix(10))) + "</code>") }
        if let engine = p.engineVersion { parts.append("engine " + HTML.escape(engine)) }
        if let wall = p.wallSeconds { parts.append(HTML.escape(NumberFormat.duration.format(wall))) }
        if let machine = p.machine { parts.append("on " + HTML.escape(machine)) }
        if let at = p.computedAt { parts.append("computed " + HTML.escape(NumberFormat.utcMinute(at))) }
        let id = claim(p.anchor) ? " id=\"\(p.anchor)\"" : ""
        return "<p class=\"prov\"\(id)>" + parts.joined(separator: " · ") + "</p>"
    }
}
