// The report's document model: what the renderer turns into one self-contained HTML page.
import Foundation

/// A rendered notebook: front matter and an ordered list of prose and cell blocks.
public struct Report: Equatable, Sendable {
    public var title: String
    public var author: String?
    /// Shown as given; the renderer never reads the clock.
    public var date: String?
    public var blocks: [ReportBlock]

    public init(title: String, author: String? = nil, date: String? = nil, blocks: [ReportBlock]) {
        self.title = title
        self.author = author
        self.date = date
        self.blocks = blocks
    }
}

/// One block of the report, in notebook order.
public enum ReportBlock: Equatable, Sendable {
    /// GitHub-flavoured Markdown prose; inline code spans starting with `=` are value references.
    case prose(String)
    case cell(ReportCell)
}

/// A config cell: its source (collapsible, highlighted) and what it produced.
public struct ReportCell: Equatable, Sendable {
    /// Whether a cell's outputs are up to date with its source. Whether they were computed by this
    /// invocation or an earlier one is the terminal's business (`loom run`, `loom runs`), never the
    /// report's: the page is a function of the notebook and the store alone.
    public enum State: String, Equatable, Sendable {
        /// The store holds results for the cell as it reads now.
        case current
        /// The source changed since the stored results were computed, or they are not all there yet.
        case stale
    }

    /// Anchor id of the cell (e.g. its first binding); made unique by the renderer.
    public var id: String
    public var source: String
    /// 1-based line of the cell's first source line in the notebook, shown in the summary.
    public var line: Int?
    public var state: State?
    public var outputs: [ReportOutput]

    public init(id: String, source: String, line: Int? = nil, state: State? = nil, outputs: [ReportOutput] = []) {
        self.id = id
        self.source = source
        self.line = line
        self.state = state
        self.outputs = outputs
    }
}

/// One result shown under a cell: a title, its content and where it came from.
public struct ReportOutput: Equatable, Sendable {
    /// Anchor id that value references link to; nil for none.
    public var anchor: String?
    public var title: String?
    public var content: ReportContent
    /// One line per run or result the content was computed from.
    public var provenance: [Provenance]

    public init(anchor: String? = nil, title: String? = nil, _ content: ReportContent, provenance: [Provenance] = []) {
        self.anchor = anchor
        self.title = title
        self.content = content
        self.provenance = provenance
    }
}

/// What an output shows.
public enum ReportContent: Equatable, Sendable {
    case table(ReportTable)
    case lineChart(LineChart)
    case barChart(BarChart)
    /// A grid of values as coloured cells with a colour bar (e.g. a Fourier heat map).
    case heatmap(HeatmapChart)
    /// One image or a grid of them (e.g. augmentation samples).
    case images([ReportImage])
    /// Preformatted plain text.
    case text(String)
    case error(ReportError)
}

/// Where a result came from, shown as one line under it and as the target of value references.
public struct Provenance: Equatable, Sendable {
    /// The full result hash; the line shows its first 12 characters.
    public var runKey: String
    /// The binding that names it in the notebook (e.g. "aa").
    public var label: String?
    public var seeds: [Int]
    public var gitCommit: String?
    public var engineVersion: String?
    public var wallSeconds: Double?
    /// The machine it was computed on, as stored ("AMD EPYC … · avx2 kernels · OpenBLAS Zen · 2 threads").
    public var machine: String?
    /// When it was computed, as stored (the latest of its seeds).
    public var computedAt: Date?

    public init(runKey: String, label: String? = nil, seeds: [Int] = [], gitCommit: String? = nil,
                engineVersion: String? = nil, wallSeconds: Double? = nil, machine: String? = nil, computedAt: Date? = nil) {
        self.runKey = runKey
        self.label = label
        self.seeds = seeds
        self.gitCommit = gitCommit
        self.engineVersion = engineVersion
        self.wallSeconds = wallSeconds
        self.machine = machine
        self.computedAt = computedAt
    }

    /// The anchor id of this run's provenance line: `run-` and the short key.
    public var anchor: String { "run-" + HTML.anchor(String(runKey.prefix(12))) }
}

/// A PNG image; identical bytes are embedded once however often they appear.
public struct ReportImage: Equatable, Sendable {
    public var png: Data
    public var caption: String?
    /// Alternative text; defaults to the caption.
    public var alt: String?
    /// Display width in CSS pixels; nil scales small images up by a whole factor (pixelated).
    public var displayWidth: Int?

    public init(png: Data, caption: String? = nil, alt: String? = nil, displayWidth: Int? = nil) {
        self.png = png
        self.caption = caption
        self.alt = alt
        self.displayWidth = displayWidth
    }
}

/// A notebook author's error, shown in place of the cell's output like a compiler message.
public struct ReportError: Equatable, Sendable {
    public var message: String
    public var file: String
    /// 1-based line in the notebook file.
    public var line: Int
    /// 1-based column, counted in UTF-8 bytes like the cell parser's diagnostics.
    public var column: Int
    /// Bytes to underline from `column` (at least one caret is drawn).
    public var length: Int
    /// The full text of line `line`, if known.
    public var sourceLine: String?
    /// A did-you-mean or other advice.
    public var hint: String?

    public init(message: String, file: String, line: Int, column: Int, length: Int = 1,
                sourceLine: String? = nil, hint: String? = nil) {
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        self.length = length
        self.sourceLine = sourceLine
        self.hint = hint
    }
}

/// What a value reference (`` `= aa.top1` ``) resolves to: the formatted value and the anchor
/// of the result it came from.
public struct InlineValue: Equatable, Sendable {
    public var text: String
    public var anchor: String
    /// What the reader sees on hovering besides the expression, e.g. the test behind "higher than".
    public var detail: String?

    public init(text: String, anchor: String, detail: String? = nil) {
        self.text = text
        self.anchor = anchor
        self.detail = detail
    }
}
