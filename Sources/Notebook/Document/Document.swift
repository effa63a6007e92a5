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

    /// The largest notebook Loom reads (a notebook is prose and a few cells; this only stops a runaway file).
    public static let maximumBytes = 64 * 1024 * 1024

    /// Reads the notebook at `url` (UTF-8). Diagnostics print `fileName`, by default the path as given.
    /// - Throws: ``NotebookReadError`` naming the file: not a regular file (a directory, `/dev/stdin`), unreadable,
    ///   too large, or not UTF-8 (with the byte offset, line and column of the first invalid byte).
    public init(contentsOf url: URL, fileName: String? = nil) throws {
        let name = fileName ?? url.relativePath
        let path = url.path
        let attributes: [FileAttributeKey: Any]
        do { attributes = try FileManager.default.attributesOfItem(atPath: path) } catch {
            throw NotebookReadError(path: name, problem: "no such file (or a folder on the way is unreadable)")
        }
        let type = attributes[.type] as? FileAttributeType
        if type == .typeDirectory {
            throw NotebookReadError(path: name, problem: "is a directory; pass the notebook file inside it (a .md file)")
        }
        guard type == .typeRegular else {
            throw NotebookReadError(path: name, problem: "is not a regular file (a device, pipe or socket such as /dev/stdin); "
                                    + "save the notebook to a .md file and pass that")
        }
        let size = (attributes[.size] as? NSNumber)?.intValue ?? 0
        guard size <= Self.maximumBytes else {
            throw NotebookReadError(path: name, problem: "is \(size) bytes; Loom reads notebooks of at most \(Self.maximumBytes) bytes")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw NotebookReadError(path: name, problem: "cannot be read (permissions?)")
        }
        guard let text = String(validatingUTF8Data: data) else {
            let (offset, line, column) = Self.firstInvalidUTF8(data)
            let byte = offset < data.count ? String(format: "0x%02X", Int32(data[data.startIndex + offset])) : "end of file"
            throw NotebookReadError(path: name, problem: "is not UTF-8: byte \(offset) (line \(line), column \(column)) is \(byte); "
                                    + "save the notebook as UTF-8 (e.g. `iconv -f latin1 -t utf-8`)")
        }
        self.init(text: text, fileName: name)
    }

    /// Byte offset, 1-based line and column (in bytes) of the first byte that does not start or continue valid UTF-8.
    static func firstInvalidUTF8(_ data: Data) -> (offset: Int, line: Int, column: Int) {
        let bytes = [UInt8](data)
        var i = 0, line = 1, lineStart = 0
        while i < bytes.count {
            let b = bytes[i]
            let length = b < 0x80 ? 1 : b >= 0xC2 && b < 0xE0 ? 2 : b >= 0xE0 && b < 0xF0 ? 3 : b >= 0xF0 && b < 0xF5 ? 4 : 0
            var valid = length > 0 && i + length <= bytes.count
            if valid && length > 1 {
                for k in 1..<length where bytes[i + k] & 0xC0 != 0x80 { valid = false }
                if valid && length == 3 {
                    let c = bytes[i + 1]
                    if (b == 0xE0 && c < 0xA0) || (b == 0xED && c >= 0xA0) { valid = false }
                }
                if valid && length == 4 {
                    let c = bytes[i + 1]
                    if (b == 0xF0 && c < 0x90) || (b == 0xF4 && c >= 0x90) { valid = false }
                }
            }
            if !valid { return (i, line, i - lineStart + 1) }
            if b == 0x0A { line += 1; lineStart = i + 1 }
            i += length
        }
        return (bytes.count, line, bytes.count - lineStart + 1)
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

/// An inline result in prose: a code span starting with `=` (docs/design.md §3.4). Three forms:
/// a value (`` `= aa.top1` ``, `` `= base.lowPass(4)` ``), a difference (`` `= aa.top1 - aa.published.top1` ``) and a
/// comparison judged against the seeds' spread (`` `= compare(vit.shapeBias, base.shapeBias)` ``).
public struct InlineReference: Hashable, Sendable {
    public enum Form: Hashable, Sendable {
        /// One operand: its mean over seeds (± std).
        case value
        /// `a - b`: the signed difference of the two means.
        case difference
        /// `compare(a, b)`: "higher than", "lower than" or "within noise of", by the seeds' spread.
        case comparison
    }

    public var form: Form
    /// One operand for a value, two for a difference or comparison.
    public var operands: [InlineOperand]
    /// From the `=` to the end of the expression.
    public var range: SourceRange

    public init(form: Form, operands: [InlineOperand], range: SourceRange) {
        precondition(operands.count == (form == .value ? 1 : 2), "an inline \(form) takes \(form == .value ? 1 : 2) operands")
        self.form = form
        self.operands = operands
        self.range = range
    }

    /// The first operand's binding (`aa`), with its location in the file.
    public var binding: CellName { operands[0].binding }
    /// The first operand's member path (`top1`), possibly empty.
    public var path: [CellName] { operands[0].path }
    /// In a difference (`` `= aa.top1 - aa.published.top1` ``), the operand after `-`; nil otherwise.
    public var subtrahend: InlineOperand? { form == .difference ? operands[1] : nil }

    /// The expression in its canonical spelling, e.g. `aa.top1`, `aa.top1 - aa.published.top1` or
    /// `compare(vit.shapeBias, base.shapeBias)`.
    public var expression: String {
        switch form {
        case .value: return operands[0].expression
        case .difference: return operands[0].expression + " - " + operands[1].expression
        case .comparison: return "compare(" + operands.map(\.expression).joined(separator: ", ") + ")"
        }
    }

    /// The start of the first binding name, for messages.
    public var location: SourcePosition { binding.range.start }

    /// An expression as the report's renderer passes it (the code span after `=`), read back; nil when it does not
    /// parse (the checker has reported it then).
    public static func parse(_ expression: String) -> InlineReference? {
        try? InlineReferenceReader.parse("= " + expression, at: SourcePosition(line: 1, column: 1)).get()
    }
}

/// One operand of an inline result: a binding, its member path and, for a result that takes one, its argument
/// (`base.lowPass(4)`, `base.noiseDrop(at: 0.9)`).
public struct InlineOperand: Hashable, Sendable {
    public var binding: CellName
    public var path: [CellName]
    public var argument: CellArgument?

    public init(binding: CellName, path: [CellName], argument: CellArgument? = nil) {
        self.binding = binding
        self.path = path
        self.argument = argument
    }

    /// `base.lowPass(4)`; an argument is spelled as its value (integers without a fraction).
    public var expression: String {
        let name = ([binding] + path).map(\.text).joined(separator: ".")
        guard let argument else { return name }
        return name + "(" + (argument.label.map { $0.text + ": " } ?? "") + Self.spell(argument.value) + ")"
    }

    /// The argument's number, when it is one.
    public var number: Double? {
        switch argument?.value.kind {
        case let .integer(v)?: return Double(v)
        case let .float(v)?: return v
        default: return nil
        }
    }

    static func spell(_ value: CellExpr) -> String {
        switch value.kind {
        case let .integer(v): return String(v)
        case let .float(v): return v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : String(v)
        case let .string(s): return "\"" + s + "\""
        case let .bool(b): return String(b)
        case let .name(n): return n
        default: return "…"
        }
    }
}

/// A notebook file that cannot be read as text, with the path and what is wrong.
public struct NotebookReadError: Error, CustomStringConvertible, Equatable {
    public let path: String, problem: String
    public var description: String { "\(path): \(problem)" }
}

extension String {
    /// The text of `data` when it is valid UTF-8, else nil (no replacement characters).
    init?(validatingUTF8Data data: Data) {
        var valid = true
        let text = String(decoding: data, as: UTF8.self)
        // Decoding replaces invalid sequences with U+FFFD; a valid file round-trips to the same bytes.
        if text.utf8.count != data.count || !text.utf8.elementsEqual(data) { valid = false }
        guard valid else { return nil }
        self = text
    }
}
