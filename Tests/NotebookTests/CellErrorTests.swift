// Tests of syntax errors: exact line:column, messages, and the compiler-style rendering with underlines.
import Testing
@testable import Notebook

@Suite struct CellErrorTests {
    func parseError(_ source: String, line: Int = 1) -> Diagnostic? {
        do {
            _ = try CellParser.parse(Cell(source: source, line: line))
            return nil
        } catch {
            return error
        }
    }

    @Test func missingParenIsRenderedLikeACompiler() throws {
        let text = """
        # Study

        Some prose.

        ```swift config
        let base = Experiment(
            model: .resnet(depth: 18 width: 16),
            epochs: 15)
        ```
        """
        let document = Document(text: text, fileName: "study.md")
        let cell = try #require(document.cells.first)
        #expect(cell.line == 6)
        let error = try #require(parseError(cell.source, line: cell.line))
        #expect(error.range.start == SourcePosition(line: 7, column: 30))
        #expect(error.rendered(in: document.source) == """
        study.md:7:30: error: expected ')' in argument list, found 'width'
            model: .resnet(depth: 18 width: 16),
                                     ^~~~~
        study.md:7:19: note: to match this opening '('
            model: .resnet(depth: 18 width: 16),
                          ^
        """)
    }

    @Test(arguments: [
        ("let = 3", 1, 5, "expected a name after 'let', found '='"),
        ("let x 3", 1, 7, "expected '=' after 'let x'"),
        ("let let = 3", 1, 5, "keyword 'let' cannot be used as a name here"),
        ("var x = F()", 1, 1, "use 'let': a config cell binds constants only"),
        ("F(a: )", 1, 6, "expected a value, found ')'"),
        ("F(a: 1,\n  b: [1, 2\n)", 3, 1, "expected ']' in array, found ')'"),
        ("F(a: 1", 1, 7, "expected ')' in argument list, found end of cell"),
        ("let a = F() let b = G()", 1, 13, "consecutive statements on a line must be separated by ';'"),
        ("F(x: - 3)", 1, 8, "'-' must be written directly before a number, as in -3"),
        ("F(x: -y)", 1, 7, "expected a number after '-'; only number literals can be negated"),
        ("F(x)(y)", 1, 5, "only a name such as `Table` or a case such as `.resnet` can be called"),
        ("F(x: nil)", 1, 6, "'nil' is not a config value; leave the argument out to use its default"),
        ("F(x: . y)", 1, 8, "expected a case name directly after '.', as in .horizontalFlip"),
    ] as [(String, Int, Int, String)])
    func syntaxErrors(source: String, line: Int, column: Int, message: String) throws {
        let error = try #require(parseError(source, line: 1))
        #expect(error.message == message)
        #expect(error.range.start == SourcePosition(line: line, column: column))
    }

    @Test func errorsAreOffsetByTheCellsFirstLine() throws {
        let error = try #require(parseError("let a = F(\n  x: 1 y: 2)", line: 40))
        #expect(error.description == "41:8: error: expected ')' in argument list, found 'y'")
    }

    @Test func underlineKeepsTabsAndCoversTheRange() {
        let line = "\tlet lr = 1e"
        let range = SourceRange(start: SourcePosition(line: 1, column: 11), end: SourcePosition(line: 1, column: 13))
        #expect(Diagnostic.underline(line: line, range: range) == "\t         ^~")
        let empty = SourceRange(at: SourcePosition(line: 1, column: 20))
        #expect(Diagnostic.underline(line: "abc", range: empty) == "   ^")
    }
}
