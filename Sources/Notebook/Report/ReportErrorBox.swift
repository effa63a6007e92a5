// The error box: a notebook author's error shown in place like a compiler message, with the source underlined.

/// Renders `ReportError`s as
/// ```
/// study.md:12:7: error: unknown label `weightDecy`
///  12 |     optimizer: .sgd(lr: 0.1, weightDecy: 5e-4),
///     |                              ^~~~~~~~~~
/// hint: did you mean `weightDecay`?
/// ```
enum ReportErrorBox {
    static func html(_ error: ReportError) -> String {
        var out = "<div class=\"error-box\" role=\"alert\"><p class=\"error-title\"><span class=\"loc\">"
            + HTML.escape("\(error.file):\(error.line):\(error.column)") + ":</span> <span class=\"severity\">error:</span> "
            + HTML.escape(error.message) + "</p>"
        if let whole = error.sourceLine {
            let (source, column, length) = DiagnosticExcerpt.window(whole, column: error.column, length: error.length)
            let (before, marked, after, caretPrefix) = split(source, column: column, length: length)
            let gutter = String(error.line)
            let blank = String(repeating: " ", count: gutter.count)
            out += "<pre><span class=\"gutter\">" + gutter + " | </span>" + HTML.escape(before) + "<mark>" + HTML.escape(marked)
                + "</mark>" + HTML.escape(after) + "\n<span class=\"gutter\">" + blank + " | </span>" + caretPrefix
                + "<span class=\"caret\">^" + String(repeating: "~", count: max(0, marked.count - 1)) + "</span></pre>"
        }
        if let hint = error.hint { out += "<p class=\"hint\">hint: " + HTML.escape(hint) + "</p>" }
        return out + "</div>"
    }

    /// Splits `line` around the UTF-8 byte range `column ..< column + length` (1-based, clamped
    /// to the line and to whole characters), and builds the caret line's indentation, keeping
    /// tabs so the caret lines up.
    static func split(_ line: String, column: Int, length: Int) -> (String, String, String, String) {
        let bytes = Array(line.utf8)
        let start = DiagnosticExcerpt.boundary(bytes, min(max(column - 1, 0), bytes.count))
        let end = DiagnosticExcerpt.boundary(bytes, min(max(start + max(length, 1), start), bytes.count))
        let before = String(decoding: bytes[..<start], as: UTF8.self)
        let marked = String(decoding: bytes[start..<end], as: UTF8.self)
        let after = String(decoding: bytes[end...], as: UTF8.self)
        let indent = String(before.map { $0 == "\t" ? "\t" : " " })
        return (before, marked, after, indent)
    }
}
