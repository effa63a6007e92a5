// Result tables: columns with units and a better-direction, rendered as <table> with the best value marked.

/// A table of results, e.g. one row per run and one column per metric.
public struct ReportTable: Equatable, Sendable {
    public var columns: [TableColumn]
    /// Each row has one value per column.
    public var rows: [[TableValue]]
    public var caption: String?
    /// Numbered notes under the table (e.g. the source of published values); ``TableValue/noted(_:note:)``
    /// cells refer to them by their 1-based number.
    public var notes: [String] = []

    public init(columns: [TableColumn], rows: [[TableValue]], caption: String? = nil, notes: [String] = []) {
        precondition(rows.allSatisfy { $0.count == columns.count },
                     "table rows must have \(columns.count) values, got \(rows.map(\.count))")
        self.columns = columns
        self.rows = rows
        self.caption = caption
        self.notes = notes
    }

    /// For each column, the rows holding its best value (all ties); empty where the column has
    /// no direction or no numbers.
    public var bestRows: [Set<Int>] {
        columns.indices.map { c in
            let numbers = rows.indices.compactMap { r in rows[r][c].sortValue.map { (r, $0) } }
            guard columns[c].better != .neither, !numbers.isEmpty else { return [] }
            let best = columns[c].better == .higher ? numbers.map(\.1).max()! : numbers.map(\.1).min()!
            return Set(numbers.filter { $0.1 == best }.map(\.0))
        }
    }
}

/// A table column: header, unit, which direction is better, and number format.
public struct TableColumn: Equatable, Sendable {
    /// Which values of a column are best.
    public enum Better: Equatable, Sendable {
        case higher, lower, neither
    }

    public var header: String
    /// Shown after the header, e.g. "%" or "s".
    public var unit: String?
    public var better: Better
    public var format: NumberFormat

    public init(_ header: String, unit: String? = nil, better: Better = .neither, format: NumberFormat = .automatic) {
        self.header = header
        self.unit = unit
        self.better = better
        self.format = format
    }
}

/// One table cell.
public enum TableValue: Equatable, Sendable {
    case text(String)
    case number(Double)
    /// Mean ± standard deviation over seeds; compared by the mean.
    case meanStd(mean: Double, std: Double)
    /// Text linking to an anchor (e.g. a run's provenance line).
    case link(String, anchor: String)
    /// A difference from the table's reference row with its verdict against the seed spread (docs/methods.md §12).
    case comparison(SeedComparison)
    case missing
    /// A value with a reference to the table's note `note` (1-based), e.g. a published value and its source.
    indirect case noted(TableValue, note: Int)

    var sortValue: Double? {
        switch self {
        case let .number(v) where !v.isNaN: return v
        case let .meanStd(mean, _) where !mean.isNaN: return mean
        case let .noted(value, _): return value.sortValue
        case let .comparison(c) where !c.delta.isNaN: return c.delta
        default: return nil
        }
    }
}

extension ReportTable {
    /// The table as HTML: numeric columns right-aligned, best values in `<strong class="best">`.
    func html() -> String {
        let best = bestRows
        var out = "<div class=\"table-wrap\"><table>"
        if let caption { out += "<caption>" + HTML.escape(caption) + "</caption>" }
        out += "<thead><tr>"
        for (c, column) in columns.enumerated() {
            var header = HTML.escape(column.header)
            if let unit = column.unit { header += " <span class=\"unit\">(" + HTML.escape(unit) + ")</span>" }
            switch column.better {
            case .higher: header += " <span class=\"dir\" title=\"higher is better\">↑</span>"
            case .lower: header += " <span class=\"dir\" title=\"lower is better\">↓</span>"
            case .neither: break
            }
            let numeric = rows.contains { $0[c].sortValue != nil }
            out += "<th scope=\"col\"" + (numeric ? " class=\"numeric\"" : "") + ">" + header + "</th>"
        }
        out += "</tr></thead><tbody>"
        for (r, row) in rows.enumerated() {
            out += "<tr>"
            for (c, value) in row.enumerated() {
                let isBest = best[c].contains(r)
                var text = cellHTML(value, format: columns[c].format)
                if isBest { text = "<strong class=\"best\" title=\"best\">" + text + "</strong>" }
                out += (value.sortValue != nil ? "<td class=\"numeric\">" : "<td>") + text + "</td>"
            }
            out += "</tr>"
        }
        return out + "</tbody></table></div>" + ReportNotes.html(notes)
    }

    private func cellHTML(_ value: TableValue, format: NumberFormat) -> String {
        switch value {
        case let .text(text): return HTML.escape(text)
        case let .number(v): return HTML.escape(format.format(v))
        case let .meanStd(mean, std):
            return HTML.escape(format.format(mean)) + "<span class=\"std\"> ± " + HTML.escape(format.format(std)) + "</span>"
        case let .link(text, anchor): return "<a href=\"#" + HTML.escape(anchor) + "\">" + HTML.escape(text) + "</a>"
        case let .comparison(c):
            return "<span title=\"" + HTML.escape(c.detail) + "\">" + HTML.escape(c.signed(format))
                + "<span class=\"std\"> (" + HTML.escape(c.note) + ")</span></span>"
        case .missing: return "<span class=\"missing\">—</span>"
        case let .noted(value, note): return cellHTML(value, format: format) + ReportNotes.reference(note)
        }
    }
}

/// Numbered notes under a table or chart, and the superscript numbers that refer to them.
enum ReportNotes {
    static func html(_ notes: [String]) -> String {
        guard !notes.isEmpty else { return "" }
        return "<ol class=\"notes\">" + notes.map { "<li>" + HTML.escape($0) + "</li>" }.joined() + "</ol>"
    }

    static func reference(_ note: Int) -> String { "<sup class=\"note-ref\" title=\"note \(note)\">\(note)</sup>" }
}
