// The cell parser: recursive descent over cell tokens into statements and expressions.

/// A recursive-descent parser for the cell language:
///
/// ```
/// cell      := (statement (newline | ';'))*
/// statement := 'let' name '=' expr | expr
/// expr      := '-' number | postfix
/// postfix   := primary ('.' name ('(' args ')')?)*
/// primary   := number | string | 'true' | 'false' | name ('(' args ')')? | '.' name ('(' args ')')? | '[' list ']'
/// args      := (name ':')? expr (',' (name ':')? expr)* ','?
/// ```
/// As in Swift, `(` on a new line does not continue a call, while `.member` on a new line does.
public struct CellParser {
    private var tokens: [CellToken]
    private var position = 0
    /// Brackets, parentheses and `.member(...)` links open around the current token.
    private var depth = 0

    /// The deepest nesting a cell may use. The parser, the checker and the resolver recurse once per level, so an
    /// unbounded depth (`[[[[…` thousands deep) would overflow the stack; real cells use fewer than ten.
    public static let maximumNesting = 64

    /// Words that cannot name a binding; most are Swift constructs a config cell does not support.
    static let keywords: Set<String> = [
        "let", "var", "func", "if", "else", "for", "while", "return", "import", "class", "struct", "enum",
        "switch", "case", "nil", "self", "init", "true", "false", "in", "guard", "try", "await",
    ]

    private init(tokens: [CellToken]) {
        self.tokens = tokens
    }

    /// Parses a whole cell; throws the first lexical or syntax error, located in the `.md` file.
    public static func parse(_ cell: Cell) throws(Diagnostic) -> ParsedCell {
        var parser = CellParser(tokens: try CellLexer.tokenize(cell))
        var statements: [CellStatement] = []
        while parser.current.kind != .end {
            if parser.current.kind == .semicolon { parser.position += 1; continue }
            if !statements.isEmpty, !parser.current.newlineBefore, parser.tokens[parser.position - 1].kind != .semicolon {
                throw parser.error("consecutive statements on a line must be separated by ';'")
            }
            statements.append(try parser.parseStatement())
        }
        return ParsedCell(cell: cell, statements: statements)
    }

    /// Parses a single expression (used for inline results such as `= aa.top1`); the whole input must be consumed.
    public static func parseExpression(_ cell: Cell) throws(Diagnostic) -> CellExpr {
        var parser = CellParser(tokens: try CellLexer.tokenize(cell))
        let expr = try parser.parseExpression()
        guard parser.current.kind == .end else { throw parser.error("unexpected \(parser.describe(parser.current)) after expression") }
        return expr
    }

    private var current: CellToken { tokens[position] }

    private var previousEnd: SourcePosition { tokens[max(position - 1, 0)].range.end }

    private mutating func take() -> CellToken {
        defer { position += 1 }
        return tokens[position]
    }

    private func describe(_ token: CellToken) -> String {
        token.kind == .end ? "end of cell" : "'\(token.text)'"
    }

    private func error(_ message: String) -> Diagnostic {
        .error(message, at: current.range)
    }

    /// Enters one nesting level at the current token, refusing to go deeper than ``maximumNesting``.
    private mutating func enter(_ what: String) throws(Diagnostic) {
        depth += 1
        guard depth <= Self.maximumNesting else {
            throw error("\(what) nested more than \(Self.maximumNesting) levels deep; a config cell is limited to "
                        + "\(Self.maximumNesting) levels of brackets, parentheses and chained calls")
        }
    }

    private mutating func parseStatement() throws(Diagnostic) -> CellStatement {
        let first = current
        guard first.kind == .identifier, first.text == "let" || first.text == "var" else {
            let value = try parseExpression()
            return CellStatement(binding: nil, value: value, range: value.range)
        }
        if first.text == "var" { throw error("use 'let': a config cell binds constants only") }
        position += 1
        let name = try parseName(after: "'let'")
        guard current.kind == .equal else { throw error("expected '=' after 'let \(name.text)'") }
        position += 1
        let value = try parseExpression()
        return CellStatement(binding: name, value: value, range: first.range.union(value.range))
    }

    private mutating func parseName(after context: String) throws(Diagnostic) -> CellName {
        guard current.kind == .identifier else { throw error("expected a name after \(context), found \(describe(current))") }
        guard !Self.keywords.contains(current.text) else {
            throw error("keyword '\(current.text)' cannot be used as a name here")
        }
        let token = take()
        return CellName(token.text, range: token.range)
    }

    private mutating func parseExpression() throws(Diagnostic) -> CellExpr {
        if current.kind == .minus {
            let minus = take()
            let number = current
            guard !number.spaceBefore else { throw error("'-' must be written directly before a number, as in -3") }
            switch number.kind {
            case .integer(let v):
                position += 1
                return CellExpr(.integer(-v), range: minus.range.union(number.range))
            case .float(let v):
                position += 1
                return CellExpr(.float(-v), range: minus.range.union(number.range))
            default:
                throw error("expected a number after '-'; only number literals can be negated")
            }
        }
        var expr = try parsePrimary()
        let outer = depth
        defer { depth = outer }
        while current.kind == .dot {
            try enter("'.\(tokens[position + 1].text)'")
            position += 1
            let name = try parseName(after: "'.'")
            if current.kind == .leftParen, !current.newlineBefore {
                let (arguments, end) = try parseArguments()
                expr = CellExpr(.method(base: expr, name: name, arguments: arguments),
                                range: SourceRange(start: expr.range.start, end: end))
            } else {
                expr = CellExpr(.member(base: expr, name: name), range: expr.range.union(name.range))
            }
        }
        if current.kind == .leftParen, !current.newlineBefore {
            throw error("only a name such as `Table` or a case such as `.resnet` can be called")
        }
        return expr
    }

    private mutating func parsePrimary() throws(Diagnostic) -> CellExpr {
        let token = current
        switch token.kind {
        case .integer(let v): position += 1; return CellExpr(.integer(v), range: token.range)
        case .float(let v): position += 1; return CellExpr(.float(v), range: token.range)
        case .string(let s): position += 1; return CellExpr(.string(s), range: token.range)
        case .leftBracket: return try parseArray()
        case .dot:
            position += 1
            guard current.kind == .identifier, !current.spaceBefore else {
                throw error("expected a case name directly after '.', as in .horizontalFlip")
            }
            let name = try parseName(after: "'.'")
            guard current.kind == .leftParen, !current.newlineBefore else {
                return CellExpr(.enumCase(name: name, arguments: nil), range: token.range.union(name.range))
            }
            let (arguments, end) = try parseArguments()
            return CellExpr(.enumCase(name: name, arguments: arguments), range: SourceRange(start: token.range.start, end: end))
        case .identifier where token.text == "true" || token.text == "false":
            position += 1
            return CellExpr(.bool(token.text == "true"), range: token.range)
        case .identifier where token.text == "nil":
            throw error("'nil' is not a config value; leave the argument out to use its default")
        case .identifier:
            let name = try parseName(after: "expression start")
            guard current.kind == .leftParen, !current.newlineBefore else {
                return CellExpr(.name(name.text), range: name.range)
            }
            let (arguments, end) = try parseArguments()
            return CellExpr(.call(name: name, arguments: arguments), range: SourceRange(start: name.range.start, end: end))
        default:
            throw error("expected a value, found \(describe(token))")
        }
    }

    /// `( args )` starting at the current `(`; returns the arguments and the end of the `)`.
    private mutating func parseArguments() throws(Diagnostic) -> ([CellArgument], SourcePosition) {
        try enter("'('")
        defer { depth -= 1 }
        let open = take()
        var arguments: [CellArgument] = []
        while current.kind != .rightParen {
            var label: CellName?
            if current.kind == .identifier, tokens[position + 1].kind == .colon {
                label = try parseName(after: "'('")
                position += 1
            }
            arguments.append(CellArgument(label: label, value: try parseExpression()))
            if current.kind == .comma { position += 1; continue }
            guard current.kind == .rightParen else {
                var diagnostic = error("expected ')' in argument list, found \(describe(current))")
                diagnostic.notes = [Diagnostic(.note, "to match this opening '('", at: open.range)]
                throw diagnostic
            }
        }
        return (arguments, take().range.end)
    }

    private mutating func parseArray() throws(Diagnostic) -> CellExpr {
        try enter("'['")
        defer { depth -= 1 }
        let open = take()
        var elements: [CellExpr] = []
        while current.kind != .rightBracket {
            elements.append(try parseExpression())
            if current.kind == .comma { position += 1; continue }
            guard current.kind == .rightBracket else {
                var diagnostic = error("expected ']' in array, found \(describe(current))")
                diagnostic.notes = [Diagnostic(.note, "to match this opening '['", at: open.range)]
                throw diagnostic
            }
        }
        let close = take()
        return CellExpr(.array(elements), range: open.range.union(close.range))
    }
}
