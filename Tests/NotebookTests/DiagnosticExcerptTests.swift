// Tests of diagnostic excerpts: long source lines are cut around the error column.
import Testing
@testable import Notebook

/// A hostile line of thousands of characters prints as one readable line around the error's column.
@Suite struct DiagnosticExcerptTests {
    @Test func longLinesAreCutAroundTheColumn() {
        let line = "let a = " + String(repeating: "[", count: 4000) + "1" + String(repeating: "]", count: 4000)
        let d = Diagnostic(.error, "too deep", at: SourceRange(start: SourcePosition(line: 1, column: 73),
                                                                end: SourcePosition(line: 1, column: 74)))
        let text = d.rendered(in: SourceText(fileName: "deep.md", text: line + "\n"))
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 3)
        #expect(lines[0] == "deep.md:1:73: error: too deep", "the location still names the real column")
        #expect(lines[1].utf8.count <= DiagnosticExcerpt.limit + 6 && lines[1].hasPrefix("…") && lines[1].hasSuffix("…"))
        // The caret sits under the same character as in the whole line (the 73rd byte, a "[").
        let caret = lines[2].firstIndex(of: "^").map { lines[2].distance(from: lines[2].startIndex, to: $0) }
        #expect(caret.map { Array(lines[1])[$0] } == "[")
        #expect(caret == 1 + DiagnosticExcerpt.before)
    }

    @Test func shortLinesAreUnchanged() {
        let (line, column, length) = DiagnosticExcerpt.window("let x = foo(", column: 9, length: 3)
        #expect(line == "let x = foo(" && column == 9 && length == 3)
        // A cut never splits a multi-byte character.
        let wide = String(repeating: "é", count: 200)
        let cut = DiagnosticExcerpt.window(wide, column: 201, length: 2)
        #expect(!cut.line.contains("\u{FFFD}"))
    }
}
