// Source positions in a notebook file: line:column locations and ranges carried by every syntax node.

/// A 1-based position in a notebook file. `column` counts UTF-8 bytes, as swiftc and clang do.
public struct SourcePosition: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// 1-based line in the `.md` file.
    public var line: Int
    /// 1-based UTF-8 byte column in that line.
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public static func < (a: SourcePosition, b: SourcePosition) -> Bool {
        (a.line, a.column) < (b.line, b.column)
    }

    public var description: String { "\(line):\(column)" }
}

/// A half-open range `[start, end)` of source text. A multi-line range is underlined on its first line only.
public struct SourceRange: Hashable, Sendable, CustomStringConvertible {
    public var start: SourcePosition
    public var end: SourcePosition

    public init(start: SourcePosition, end: SourcePosition) {
        self.start = start
        self.end = end
    }

    /// An empty range at `location` (rendered as a lone caret).
    public init(at location: SourcePosition) {
        self.init(start: location, end: location)
    }

    /// The smallest range covering both `self` and `other`.
    public func union(_ other: SourceRange) -> SourceRange {
        SourceRange(start: min(start, other.start), end: max(end, other.end))
    }

    public var description: String { "\(start)-\(end)" }
}

/// The text of a whole notebook file split into lines, used to quote source lines under diagnostics.
public struct SourceText: Hashable, Sendable {
    /// The file name printed in front of diagnostics, e.g. `study.md`.
    public var fileName: String
    /// The file's lines without their line terminators; `lines[0]` is line 1.
    public var lines: [String]

    public init(fileName: String, text: String) {
        self.fileName = fileName
        self.lines = SourceText.splitLines(text)
    }

    /// The text of 1-based line `number`, or nil when it is out of range.
    public func line(_ number: Int) -> String? {
        number >= 1 && number <= lines.count ? lines[number - 1] : nil
    }

    /// Splits on `\n`, `\r\n` and `\r`, keeping a final empty line only when the text does not end in a newline.
    static func splitLines(_ text: String) -> [String] {
        var result: [String] = []
        var current: [UInt8] = []
        var bytes = Array(text.utf8).makeIterator()
        var pendingCR = false
        while let byte = bytes.next() {
            if pendingCR {
                pendingCR = false
                if byte == UInt8(ascii: "\n") { continue }
            }
            if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
                result.append(String(decoding: current, as: UTF8.self))
                current.removeAll(keepingCapacity: true)
                pendingCR = byte == UInt8(ascii: "\r")
            } else {
                current.append(byte)
            }
        }
        if !current.isEmpty || result.isEmpty { result.append(String(decoding: current, as: UTF8.self)) }
        return result
    }
}
