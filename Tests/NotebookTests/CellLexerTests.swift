// Tests of the cell lexer: literals, punctuation, comments, positions and lexical errors.
import Testing
@testable import Notebook

@Suite struct CellLexerTests {
    func kinds(_ source: String) throws -> [CellToken.Kind] {
        try CellLexer.tokenize(Cell(source: source)).map(\.kind)
    }

    func lexError(_ source: String, line: Int = 1) -> Diagnostic? {
        do {
            _ = try CellLexer.tokenize(Cell(source: source, line: line))
            return nil
        } catch {
            return error
        }
    }

    @Test func numbers() throws {
        #expect(try kinds("8_000 -3 1.5 5e-4 1E+3 0") ==
                [.integer(8000), .minus, .integer(3), .float(1.5), .float(5e-4), .float(1000), .integer(0), .end])
    }

    @Test func memberAfterIntegerIsNotAFraction() throws {
        #expect(try kinds("1.x") == [.integer(1), .dot, .identifier, .end])
    }

    @Test func stringEscapes() throws {
        #expect(try kinds(#""a\"b\\c\n\t\u{1F600}""#) == [.string("a\"b\\c\n\t\u{1F600}"), .end])
    }

    @Test func punctuationAndIdentifiers() throws {
        #expect(try kinds("let a = f(x: [1,], .y); _z") ==
                [.identifier, .identifier, .equal, .identifier, .leftParen, .identifier, .colon, .leftBracket,
                 .integer(1), .comma, .rightBracket, .comma, .dot, .identifier, .rightParen, .semicolon, .identifier, .end])
    }

    @Test func commentsAreSkippedAndNewlinesTracked() throws {
        let tokens = try CellLexer.tokenize(Cell(source: "a // one\n/* two\n /* nested */ */ b /* c */ d"))
        #expect(tokens.map(\.text) == ["a", "b", "d", ""])
        #expect(tokens.map(\.newlineBefore) == [false, true, false, false])
        #expect(tokens.map(\.spaceBefore) == [false, true, true, false])
    }

    @Test func positionsUseCellLineAndColumnOffsets() throws {
        let cell = Cell(source: "let x =\n  Foo(1)", line: 12, columnOffsets: [0, 2])
        let tokens = try CellLexer.tokenize(cell)
        #expect(tokens[0].range == SourceRange(start: SourcePosition(line: 12, column: 1), end: SourcePosition(line: 12, column: 4)))
        #expect(tokens[3].text == "Foo")
        #expect(tokens[3].range.start == SourcePosition(line: 13, column: 5))
        #expect(tokens[5].range.start == SourcePosition(line: 13, column: 9))
    }

    @Test func interpolationIsRejected() {
        let d = lexError(#"let s = "run \(x)""#, line: 4)
        #expect(d?.message == "string interpolation is not allowed in a config cell; cells are data, not code")
        #expect(d?.range.start == SourcePosition(line: 4, column: 14))
    }

    @Test func lexicalErrors() {
        #expect(lexError("a + b")?.message == "unexpected character '+' in a config cell")
        #expect(lexError("a + b")?.range.start.column == 3)
        #expect(lexError("\"open")?.message == "unterminated string literal")
        #expect(lexError("5e")?.message == "expected a digit in floating point exponent")
        #expect(lexError("0x10")?.message == "invalid number literal; write decimal numbers such as 8_000, 1.5 or 5e-4")
        #expect(lexError("x = \"\"\"\nhi\n\"\"\"")?.message == "multi-line string literals are not supported in a config cell")
        #expect(lexError("/* never closed")?.message == "unterminated '/*' comment")
        #expect(lexError(#""\q""#)?.message == "invalid escape sequence in string literal")
        #expect(lexError("99999999999999999999")?.message == "integer literal overflows Int")
    }
}
