// ReportHeading: ids for the prose's section headings and the table of contents built from them.
import Foundation

/// A section heading of the prose (levels 2 and 3 enter the table of contents).
struct ReportHeading: Equatable {
    var level: Int
    var id: String
    /// The heading's inner HTML (already escaped by the Markdown renderer).
    var html: String

    /// Lower-case ASCII words joined by single hyphens ("Why this?" → "why-this").
    static func slug(_ text: String) -> String {
        let words = text.lowercased().unicodeScalars.split { !(("a"..."z").contains($0) || ("0"..."9").contains($0)) }
        let joined = words.map { String(String.UnicodeScalarView($0)) }.joined(separator: "-")
        return joined.isEmpty ? "section" : joined
    }

    /// A table of contents appears once the prose has at least this many headings.
    static let contentsThreshold = 4

    /// Gives every `<h1>`…`<h6>` of cmark's output an id made from its text (unique on the page)
    /// and returns the headings found. cmark writes headings as bare `<hN>` tags, so the match is exact.
    static func identify(_ html: String, context: inout RenderContext) -> (String, [ReportHeading]) {
        var out = "", found: [ReportHeading] = []
        var rest = Substring(html)
        while let open = rest.range(of: "<h") {
            let afterTag = rest[open.upperBound...]
            guard let digit = afterTag.first, let level = digit.wholeNumberValue, (1...6).contains(level),
                  afterTag.dropFirst().first == ">",
                  let close = afterTag.range(of: "</h\(level)>") else {
                out += rest[..<open.upperBound]
                rest = rest[open.upperBound...]
                continue
            }
            let inner = String(afterTag[afterTag.index(afterTag.startIndex, offsetBy: 2)..<close.lowerBound])
            let id = context.uniqueID("sec-" + slug(plainText(inner)))
            out += rest[..<open.lowerBound] + "<h\(level) id=\"\(id)\">" + inner + "</h\(level)>"
            found.append(ReportHeading(level: level, id: id, html: inner))
            rest = afterTag[close.upperBound...]
        }
        return (out + rest, found)
    }

    /// The heading's text without tags or entities, for its id.
    static func plainText(_ html: String) -> String {
        var text = "", inTag = false
        for c in html {
            if c == "<" { inTag = true } else if c == ">" { inTag = false } else if !inTag { text.append(c) }
        }
        return text.replacingOccurrences(of: "&amp;", with: "and").replacingOccurrences(of: "&lt;", with: "")
            .replacingOccurrences(of: "&gt;", with: "").replacingOccurrences(of: "&quot;", with: "")
            .lowercased()
    }

    /// A nested list of the level-2 and level-3 headings, or "" when there are too few for one to help.
    static func contents(_ headings: [ReportHeading]) -> String {
        let entries = headings.filter { $0.level == 2 || $0.level == 3 }
        guard entries.count >= contentsThreshold else { return "" }
        var out = "<nav class=\"toc\" aria-label=\"Contents\"><h2>Contents</h2><ol>"
        var open3 = false
        for (i, h) in entries.enumerated() {
            let link = "<a href=\"#\(h.id)\">" + stripLinks(h.html) + "</a>"
            if h.level == 3 {
                if !open3 { out += i == 0 ? "<li><ol>" : "<ol>"; open3 = true }
                out += "<li>" + link + "</li>"
            } else {
                if open3 { out += "</ol></li>"; open3 = false } else if i > 0 { out += "</li>" }
                out += "<li>" + link
            }
        }
        out += open3 ? "</ol></li>" : "</li>"
        return out + "</ol></nav>\n"
    }

    /// Inner HTML with `<a …>`/`</a>` removed (a link inside the contents' own link is invalid HTML).
    static func stripLinks(_ html: String) -> String {
        var out = "", rest = Substring(html)
        while let open = rest.range(of: "<a") {
            out += rest[..<open.lowerBound]
            guard let end = rest[open.upperBound...].firstIndex(of: ">") else { rest = rest[open.upperBound...]; break }
            rest = rest[rest.index(after: end)...]
        }
        return (out + rest).replacingOccurrences(of: "</a>", with: "")
    }
}
