// The notebook document: front matter plus an ordered list of prose and cell segments.
import Foundation

/// A Markdown notebook split into front matter, prose segments and config cells, with inline result references.
///
/// ```swift
/// let document = try Document(contentsOf: URL(fileURLWithPath: "notebooks/study.md"))
/// for cell in document.cells { ... }
/// ```
/// Reading never fails on Markdown content: problems (bad front matter, malformed inline results) are collected in
/// ``diagnostics``. Line endings are normalised to `\n` before anything else.
public struct Document: Hashable, Sendable {
    /// The file's text by line, for quoting under diagnostics.
    public var source: SourceText
    /// The YAML front matter, when the file opens with one.
    public var frontMatter: FrontMatter?
    /// The raw text of the front matter block (empty without one).
    public var frontMatterText: String
    /// Prose and cells in file order. Prose is trimmed of blank lines at its ends; blank-only prose is dropped.
    public var segments: [Segment]
    /// Inline result references (`` `= aa.top1` ``) found in prose, in file order.
    public var inlineReferences: [InlineReference]
    /// Problems found while reading (front matter, inline references, nested cells).
    public var diagnostics: [Diagnostic]

    /// Reads a notebook from `text`. `fileName` is what diagnostics print before `:line:column`.
    public init(text: String, fileName: String = "notebook.md") {
        self = DocumentReader.read(text: text, fileName: fileName)
    }

    /// Reads the notebook at `url` (UTF-8). Diagnostics print `fileName`, by default the path as given.
    public init(contentsOf url: URL, fileName: String? = nil) throws {
        let text = try String(contentsOf: url, encoding: .utf8)
        self.init(text: text, fileName: fileName ?? url.relativePath)
    }

    init(source: SourceText, frontMatter: FrontMatter?, frontMatterText: String, segments: [Segment],
         inlineReferences: [InlineReference], diagnostics: [Diagnostic]) {
        self.source = source
        self.frontMatter = frontMatter
        self.frontMatterText = frontMatterText
        self.segments = segments
        self.inlineReferences = inlineReferences
        self.diagnostics = diagnostics
    }

    /// The config cells in file order; `cells[i].index == i`.
    public var cells: [Cell] {
        segments.compactMap { if case .cell(let cell) = $0 { return cell } else { return nil } }
    }

    /// The prose segments in file order.
    public var prose: [Prose] {
        segments.compactMap { if case .prose(let prose) = $0 { return prose } else { return nil } }
    }
}

/// One piece of a notebook: a run of Markdown prose, or a config cell.
public enum Segment: Hashable, Sendable {
    case prose(Prose)
    case cell(Cell)
}

/// A run of non-cell Markdown blocks, kept as the exact source text so a renderer can render it later.
public struct Prose: Hashable, Sendable {
    /// The Markdown source of lines `lines` of the file, joined with `\n` (no blank first or last line).
    public var text: String
    /// The 1-based file lines the text spans.
    public var lines: ClosedRange<Int>

    public init(text: String, lines: ClosedRange<Int>) {
        self.text = text
        self.lines = lines
    }
}

/// An inline result in prose: a code span starting with `=`, such as `` `= aa.top1` ``.
public struct InlineReference: Hashable, Sendable {
    /// The binding referred to (`aa`), with its location in the file.
    public var binding: CellName
    /// The member path after the binding (`top1`), possibly empty.
    public var path: [CellName]
    /// From the `=` to the end of the expression.
    public var range: SourceRange

    public init(binding: CellName, path: [CellName], range: SourceRange) {
        self.binding = binding
        self.path = path
        self.range = range
    }

    /// The expression as written without spaces, e.g. `aa.top1`.
    public var expression: String { ([binding] + path).map(\.text).joined(separator: ".") }

    /// The start of the binding name, for messages.
    public var location: SourcePosition { binding.range.start }
}
