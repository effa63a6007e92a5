// Syntax highlighting of config-cell source (a Swift subset) into escaped HTML spans.

/// A small, forgiving tokenizer for highlighting only: it never rejects input, and text it does
/// not recognise is emitted escaped and unstyled.
public enum SourceHighlighter {
    /// Words shown as keywords.
    static let keywords: Set<String> = ["let", "var", "true", "false", "nil", "func", "import", "if", "else",
                                        "return", "for", "in", "struct", "enum", "case", "self"]

    /// `source` as HTML with spans of class `kw` (keywords), `lbl` (argument labels), `mem`
    /// (`.member` cases), `num`, `str`, `com` (comments) and `ty` (capitalised names).
    public static func html(_ source: String) -> String {
        let s = Array(source.unicodeScalars)
        var out = ""
        var i = 0
        func text(_ a: Int, _ b: Int) -> String { String(String.UnicodeScalarView(s[a..<b])) }
        func span(_ cls: String, _ a: Int, _ b: Int) { out += "<span class=\"\(cls)\">" + HTML.escape(text(a, b)) + "</span>" }
        func isIdentifier(_ c: Unicode.Scalar) -> Bool { c == "_" || c.properties.isAlphabetic || ("0"..."9").contains(c) }
        func previousSignificant(_ index: Int) -> Unicode.Scalar? {
            var j = index - 1
            while j >= 0, s[j] == " " || s[j] == "\t" { j -= 1 }
            return j >= 0 ? s[j] : nil
        }

        while i < s.count {
            let c = s[i]
            let start = i
            if c == "/", i + 1 < s.count, s[i + 1] == "/" {
                while i < s.count, s[i] != "\n" { i += 1 }
                span("com", start, i)
            } else if c == "/", i + 1 < s.count, s[i + 1] == "*" {
                i += 2
                while i < s.count, !(s[i] == "*" && i + 1 < s.count && s[i + 1] == "/") { i += 1 }
                i = Swift.min(s.count, i + 2)
                span("com", start, i)
            } else if c == "\"" {
                i += 1
                while i < s.count, s[i] != "\"", s[i] != "\n" { i += s[i] == "\\" ? 2 : 1 }
                i = Swift.min(s.count, i + 1)
                span("str", start, i)
            } else if ("0"..."9").contains(c) {
                while i < s.count, isIdentifier(s[i]) || s[i] == "." && i + 1 < s.count && ("0"..."9").contains(s[i + 1])
                        || (s[i] == "-" || s[i] == "+") && (s[i - 1] == "e" || s[i - 1] == "E") { i += 1 }
                span("num", start, i)
            } else if c == ".", i + 1 < s.count, isIdentifier(s[i + 1]), !("0"..."9").contains(s[i + 1]) {
                // `.resnet` after an operator or bracket is an enum case; `base.with` is a method call.
                let before = previousSignificant(i)
                let implicit = before.map { !isIdentifier($0) && $0 != ")" && $0 != "]" } ?? true
                i += 1
                while i < s.count, isIdentifier(s[i]) { i += 1 }
                if implicit { span("mem", start, i) } else { out += HTML.escape(text(start, i)) }
            } else if isIdentifier(c) {
                while i < s.count, isIdentifier(s[i]) { i += 1 }
                let word = text(start, i)
                var j = i
                while j < s.count, s[j] == " " { j += 1 }
                if keywords.contains(word) {
                    span("kw", start, i)
                } else if j < s.count, s[j] == ":", previousSignificant(start).map({ $0 == "(" || $0 == "," || $0 == "\n" }) ?? false {
                    span("lbl", start, i)
                } else if word.first!.isUppercase {
                    span("ty", start, i)
                } else {
                    out += HTML.escape(word)
                }
            } else {
                i += 1
                out += HTML.escape(text(start, i))
            }
        }
        return out
    }
}
