// DiagnosticExcerpt: the part of a long source line an error shows, so a hostile or minified
// line of thousands of characters prints as one readable line around its column.

enum DiagnosticExcerpt {
    /// Lines up to this many bytes are shown whole.
    static let limit = 160
    /// Bytes kept before the error's column when a line is cut.
    static let before = 60

    /// `line` cut to a window around the 1-based byte `column` (an ellipsis marks each cut), with
    /// the column and length moved into the window; unchanged when the line is short enough.
    static func window(_ line: String, column: Int, length: Int) -> (line: String, column: Int, length: Int) {
        let bytes = Array(line.utf8)
        guard bytes.count > limit else { return (line, column, length) }
        let start = boundary(bytes, max(0, min(column - 1, bytes.count) - before))
        let end = boundary(bytes, min(bytes.count, start + limit))
        let head = start > 0 ? "…" : "", tail = end < bytes.count ? "…" : ""
        let text = head + String(decoding: bytes[start..<end], as: UTF8.self) + tail
        let shifted = column - start + head.utf8.count
        let visible = min(length, max(1, end - (column - 1)))
        return (text, shifted, visible)
    }

    /// The first character boundary at or after byte `index` (skips UTF-8 continuation bytes).
    static func boundary(_ bytes: [UInt8], _ index: Int) -> Int {
        var i = index
        while i < bytes.count, bytes[i] & 0xC0 == 0x80 { i += 1 }
        return i
    }
}
