// The cell lexer: turns a cell's source into tokens with file positions, skipping whitespace and comments.

/// One token of the cell language.
public struct CellToken: Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        case identifier
        case integer(Int)
        case float(Double)
        case string(String)
        case leftParen, rightParen, leftBracket, rightBracket
        case comma, colon, dot, equal, minus, semicolon
        case end
    }

    public var kind: Kind
    /// The exact source text (for a string, including its quotes).
    public var text: String
    public var range: SourceRange
    /// Whether a line break (possibly inside a comment) separates this token from the previous one.
    public var newlineBefore: Bool
    /// Whether any whitespace or comment separates this token from the previous one.
    public var spaceBefore: Bool
}

/// A hand-written lexer for the cell language (a small subset of Swift's lexical grammar).
public struct CellLexer {
    private let cell: Cell
    private let bytes: [UInt8]
    private var index = 0
    private var line = 1
    private var lineStart = 0

    public init(cell: Cell) {
        self.cell = cell
        self.bytes = Array(cell.source.utf8)
    }

    /// All tokens of the cell, ending with `.end`; throws the first lexical error.
    public static func tokenize(_ cell: Cell) throws(Diagnostic) -> [CellToken] {
        var lexer = CellLexer(cell: cell)
        var tokens: [CellToken] = []
        repeat { tokens.append(try lexer.next()) } while tokens.last!.kind != .end
        return tokens
    }

    private var location: SourcePosition {
        cell.fileLocation(line: line, column: index - lineStart + 1)
    }

    private func peek(_ offset: Int = 0) -> UInt8? {
        index + offset < bytes.count ? bytes[index + offset] : nil
    }

    private mutating func advance() {
        if bytes[index] == UInt8(ascii: "\n") {
            line += 1
            lineStart = index + 1
        }
        index += 1
    }

    private func error(_ message: String, from start: SourcePosition) -> Diagnostic {
        .error(message, at: SourceRange(start: start, end: location))
    }

    /// The next token, after skipping whitespace and `//` and `/* */` comments (which may nest, as in Swift).
    public mutating func next() throws(Diagnostic) -> CellToken {
        let startLine = line
        let startIndex = index
        try skipTrivia()
        let newline = line != startLine
        let space = index != startIndex
        let start = location
        let first = index
        guard let c = peek() else {
            return CellToken(kind: .end, text: "", range: SourceRange(at: start), newlineBefore: newline, spaceBefore: space)
        }
        let kind: CellToken.Kind
        switch c {
        case UInt8(ascii: "("): advance(); kind = .leftParen
        case UInt8(ascii: ")"): advance(); kind = .rightParen
        case UInt8(ascii: "["): advance(); kind = .leftBracket
        case UInt8(ascii: "]"): advance(); kind = .rightBracket
        case UInt8(ascii: ","): advance(); kind = .comma
        case UInt8(ascii: ":"): advance(); kind = .colon
        case UInt8(ascii: "."): advance(); kind = .dot
        case UInt8(ascii: "="): advance(); kind = .equal
        case UInt8(ascii: "-"): advance(); kind = .minus
        case UInt8(ascii: ";"): advance(); kind = .semicolon
        case UInt8(ascii: "\""): kind = .string(try lexString())
        case UInt8(ascii: "0")...UInt8(ascii: "9"): kind = try lexNumber()
        default:
            guard Self.isIdentifierStart(c) else {
                let scalarEnd = index + Self.scalarLength(c)
                let text = String(decoding: bytes[index..<min(scalarEnd, bytes.count)], as: UTF8.self)
                index = min(scalarEnd, bytes.count)
                throw error("unexpected character '\(text)' in a config cell", from: start)
            }
            while let d = peek(), Self.isIdentifierStart(d) || Self.isDigit(d) { index += Self.scalarLength(d) }
            kind = .identifier
        }
        let text = String(decoding: bytes[first..<index], as: UTF8.self)
        return CellToken(kind: kind, text: text, range: SourceRange(start: start, end: location),
                         newlineBefore: newline, spaceBefore: space)
    }

    private mutating func skipTrivia() throws(Diagnostic) {
        while let c = peek() {
            if c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") || c == UInt8(ascii: "\n") || c == UInt8(ascii: "\r") {
                advance()
            } else if c == UInt8(ascii: "/"), peek(1) == UInt8(ascii: "/") {
                while let d = peek(), d != UInt8(ascii: "\n") { index += 1 }
            } else if c == UInt8(ascii: "/"), peek(1) == UInt8(ascii: "*") {
                let start = location
                var depth = 0
                repeat {
                    guard peek() != nil else { throw Diagnostic.error("unterminated '/*' comment", at: SourceRange(start: start, end: cell.fileLocation(line: line, column: 1))) }
                    if peek() == UInt8(ascii: "/"), peek(1) == UInt8(ascii: "*") { depth += 1; index += 2 }
                    else if peek() == UInt8(ascii: "*"), peek(1) == UInt8(ascii: "/") { depth -= 1; index += 2 }
                    else { advance() }
                } while depth > 0
            } else {
                return
            }
        }
    }

    /// Integer (`8_000`) or floating-point (`1.5`, `5e-4`) literal; a leading `-` is a separate token.
    private mutating func lexNumber() throws(Diagnostic) -> CellToken.Kind {
        let start = location
        let first = index
        var isFloat = false
        func digits(_ lexer: inout CellLexer) {
            while let d = lexer.peek(), Self.isDigit(d) || d == UInt8(ascii: "_") { lexer.index += 1 }
        }
        digits(&self)
        if peek() == UInt8(ascii: "."), let d = peek(1), Self.isDigit(d) {
            isFloat = true
            index += 1
            digits(&self)
        }
        if let e = peek(), e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
            isFloat = true
            index += 1
            if let sign = peek(), sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") { index += 1 }
            guard let d = peek(), Self.isDigit(d) else {
                throw error("expected a digit in floating point exponent", from: start)
            }
            digits(&self)
        }
        if let d = peek(), Self.isIdentifierStart(d) {
            while let d = peek(), Self.isIdentifierStart(d) || Self.isDigit(d) { index += 1 }
            throw error("invalid number literal; write decimal numbers such as 8_000, 1.5 or 5e-4", from: start)
        }
        let literal = String(decoding: bytes[first..<index].filter { $0 != UInt8(ascii: "_") }, as: UTF8.self)
        if isFloat {
            guard let value = Double(literal), value.isFinite else {
                throw error("floating point literal is out of range", from: start)
            }
            return .float(value)
        }
        guard let value = Int(literal) else { throw error("integer literal overflows Int", from: start) }
        return .integer(value)
    }

    /// A single-line string literal with Swift's escapes; interpolation and multi-line strings are rejected.
    private mutating func lexString() throws(Diagnostic) -> String {
        let start = location
        if peek(1) == UInt8(ascii: "\""), peek(2) == UInt8(ascii: "\"") {
            index += 3
            throw error("multi-line string literals are not supported in a config cell", from: start)
        }
        index += 1
        var value: [UInt8] = []
        while true {
            guard let c = peek(), c != UInt8(ascii: "\n"), c != UInt8(ascii: "\r") else {
                throw Diagnostic.error("unterminated string literal", at: SourceRange(start: start, end: location))
            }
            if c == UInt8(ascii: "\"") { index += 1; break }
            guard c == UInt8(ascii: "\\") else { value.append(c); index += 1; continue }
            let escapeStart = location
            index += 1
            guard let e = peek() else { continue }
            index += 1
            switch e {
            case UInt8(ascii: "n"): value.append(UInt8(ascii: "\n"))
            case UInt8(ascii: "t"): value.append(UInt8(ascii: "\t"))
            case UInt8(ascii: "r"): value.append(UInt8(ascii: "\r"))
            case UInt8(ascii: "0"): value.append(0)
            case UInt8(ascii: "\\"), UInt8(ascii: "\""), UInt8(ascii: "'"): value.append(e)
            case UInt8(ascii: "u"): value.append(contentsOf: try lexUnicodeEscape(from: escapeStart))
            case UInt8(ascii: "("):
                throw error("string interpolation is not allowed in a config cell; cells are data, not code", from: escapeStart)
            default:
                throw error("invalid escape sequence in string literal", from: escapeStart)
            }
        }
        return String(decoding: value, as: UTF8.self)
    }

    /// The `{XXXX}` part of a `\u{XXXX}` escape, as UTF-8.
    private mutating func lexUnicodeEscape(from start: SourcePosition) throws(Diagnostic) -> [UInt8] {
        guard peek() == UInt8(ascii: "{") else { throw error("expected '{' in \\u{...} escape", from: start) }
        index += 1
        var hex: [UInt8] = []
        while let h = peek(), h != UInt8(ascii: "}"), h != UInt8(ascii: "\""), hex.count <= 8 { hex.append(h); index += 1 }
        guard peek() == UInt8(ascii: "}") else { throw error("expected '}' in \\u{...} escape", from: start) }
        index += 1
        guard (1...8).contains(hex.count), let code = UInt32(String(decoding: hex, as: UTF8.self), radix: 16),
              let scalar = Unicode.Scalar(code) else {
            throw error("invalid unicode scalar in \\u{...} escape", from: start)
        }
        return Array(String(Character(scalar)).utf8)
    }

    static func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }

    /// ASCII letters, `_`, and any non-ASCII scalar (Swift allows most of them in identifiers).
    static func isIdentifierStart(_ c: UInt8) -> Bool {
        (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
            || c == UInt8(ascii: "_") || c >= 0xC0
    }

    /// The byte length of the UTF-8 scalar that starts with `c`.
    static func scalarLength(_ c: UInt8) -> Int {
        c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1
    }
}
