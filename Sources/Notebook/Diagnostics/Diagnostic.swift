// Diagnostics: located errors and warnings about a notebook, rendered like a compiler's.

/// A located message about the notebook author's text, e.g. an unknown label or a malformed number.
///
/// Rendered by ``rendered(in:)`` as
/// ```
/// study.md:12:7: error: unknown label `weightDecy` in `.sgd`; did you mean `weightDecay`?
///     optimizer: .sgd(lr: 0.1, weightDecy: 5e-4),
///                              ^~~~~~~~~~
/// ```
public struct Diagnostic: Error, Hashable, Sendable, CustomStringConvertible {
    /// How serious a diagnostic is. Only errors make a cell fail.
    public enum Severity: String, Hashable, Sendable {
        case error, warning, note
    }

    public var severity: Severity
    /// The message without location or severity, e.g. `expected ')' to close the argument list`.
    public var message: String
    /// The offending text.
    public var range: SourceRange
    /// A replacement for the text under `range` that would fix the problem (the did-you-mean), if any.
    public var suggestion: String?
    /// Further located remarks, e.g. where an earlier binding was declared.
    public var notes: [Diagnostic]

    public init(_ severity: Severity = .error, _ message: String, at range: SourceRange,
                suggestion: String? = nil, notes: [Diagnostic] = []) {
        self.severity = severity
        self.message = message
        self.range = range
        self.suggestion = suggestion
        self.notes = notes
    }

    /// An error at `range`.
    public static func error(_ message: String, at range: SourceRange, suggestion: String? = nil) -> Diagnostic {
        Diagnostic(.error, message, at: range, suggestion: suggestion)
    }

    /// `line:column: severity: message`, without file name or source line.
    public var description: String {
        "\(range.start): \(severity.rawValue): \(message)"
    }

    /// The compiler-style text: `file:line:col: severity: message`, the source line, and a `^~~~` underline,
    /// followed by the notes rendered the same way.
    public func rendered(in source: SourceText) -> String {
        var out = "\(source.fileName):\(range.start.line):\(range.start.column): \(severity.rawValue): \(message)"
        if let whole = source.line(range.start.line) {
            let sameLine = range.end.line == range.start.line
            let length = sameLine ? max(1, range.end.column - range.start.column) : max(1, whole.utf8.count - range.start.column + 1)
            let (line, column, visible) = DiagnosticExcerpt.window(whole, column: range.start.column, length: length)
            let shown = SourceRange(start: SourcePosition(line: 1, column: column), end: SourcePosition(line: 1, column: column + visible))
            out += "\n" + line + "\n" + Diagnostic.underline(line: line, range: shown)
        }
        for note in notes { out += "\n" + note.rendered(in: source) }
        return out
    }

    /// A caret under the first byte of `range` and tildes under the rest of it on that line.
    /// Tabs before the caret are kept so the caret lines up in a terminal.
    static func underline(line: String, range: SourceRange) -> String {
        let bytes = Array(line.utf8)
        let startByte = min(max(range.start.column - 1, 0), bytes.count)
        let endByte: Int
        if range.end.line > range.start.line {
            endByte = bytes.count
        } else {
            endByte = min(max(range.end.column - 1, startByte + 1), max(bytes.count, startByte + 1))
        }
        var prefix = ""
        for scalar in String(decoding: bytes[..<startByte], as: UTF8.self).unicodeScalars {
            prefix.append(scalar == "\t" ? "\t" : " ")
        }
        let underlined = String(decoding: bytes[startByte..<min(endByte, bytes.count)], as: UTF8.self)
        let width = max(underlined.count, 1)
        return prefix + "^" + String(repeating: "~", count: width - 1)
    }
}

extension Array where Element == Diagnostic {
    /// Whether any diagnostic is an error.
    public var containsError: Bool { contains { $0.severity == .error } }

    /// All diagnostics rendered compiler-style, in source order, separated by newlines.
    public func rendered(in source: SourceText) -> String {
        sorted { $0.range.start < $1.range.start }.map { $0.rendered(in: source) }.joined(separator: "\n")
    }
}
