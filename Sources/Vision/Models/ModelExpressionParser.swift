// ModelExpressionParser: reads `.resnet(depth: 18, stem: .cifar)`-style text (the cell language's syntax) into a call.

/// A model expression that could not be read or does not describe a valid model.
public struct ModelExpressionError: Error, CustomStringConvertible, Equatable {
    /// The expression as given.
    public let text: String
    /// 1-based column of the offending text, when one part is to blame.
    public let column: Int?
    /// What is wrong, naming the label or value and the valid choices.
    public let message: String

    public var description: String {
        let at = column.map { " (column \($0))" } ?? ""
        return "model '\(text)'\(at): \(message)"
    }
}

/// One literal argument value of a model expression.
enum ExpressionValue: Equatable {
    case int(Int)
    case number(Double)
    case bool(Bool)
    /// `.name`
    case member(String)
    case array([ExpressionValue])

    /// How the value reads in an error message.
    var text: String {
        switch self {
        case let .int(v): return String(v)
        case let .number(v): return String(v)
        case let .bool(v): return String(v)
        case let .member(name): return "." + name
        case let .array(items): return "[" + items.map(\.text).joined(separator: ", ") + "]"
        }
    }
}

/// A parsed expression: `.name(label: value, ...)`, or a bare `name` (a short name such as `r18`).
struct ExpressionCall: Equatable {
    struct Argument: Equatable {
        let label: String
        let value: ExpressionValue
        let column: Int
    }
    let name: String
    /// Nil for a bare name without parentheses.
    let arguments: [Argument]?
    let column: Int
}

/// Recursive-descent reader over the characters of one expression.
struct ExpressionParser {
    private let chars: [Character]
    private let text: String
    private var pos = 0
    /// Open brackets around the current character.
    private var depth = 0
    /// The deepest array nesting an expression may use (the reader recurses once per level).
    static let maximumNesting = 16

    init(_ text: String) {
        self.text = text
        chars = Array(text)
    }

    /// expr := ['.'] ident ['(' [arg {',' arg} [',']] ')']
    mutating func parseCall() throws -> ExpressionCall {
        skipSpace()
        if peek == "." { pos += 1 }
        let column = pos + 1
        guard let name = identifier() else { throw error("expected a model such as .resnet(...), .vit(...) or a short name") }
        skipSpace()
        var arguments: [ExpressionCall.Argument]?
        if peek == "(" {
            pos += 1
            var args: [ExpressionCall.Argument] = []
            while true {
                skipSpace()
                if peek == ")" { pos += 1; break }
                args.append(try argument())
                skipSpace()
                if peek == "," { pos += 1; continue }
                if peek == ")" { pos += 1; break }
                throw error(peek == nil ? "missing ')'" : "expected ',' or ')' but found '\(peek!)'")
            }
            arguments = args
        }
        skipSpace()
        if let c = peek { throw error("unexpected '\(c)' after the expression") }
        return ExpressionCall(name: name, arguments: arguments, column: column)
    }

    /// arg := ident ':' value
    private mutating func argument() throws -> ExpressionCall.Argument {
        let column = pos + 1
        guard let label = identifier() else {
            throw error("expected a labelled argument such as 'depth: 18'" + (peek.map { " but found '\($0)'" } ?? ""))
        }
        skipSpace()
        guard peek == ":" else { throw error("expected ':' after label '\(label)'") }
        pos += 1
        skipSpace()
        return ExpressionCall.Argument(label: label, value: try value(for: label), column: column)
    }

    /// value := number | true | false | '.' ident | '[' [value {',' value} [',']] ']'
    private mutating func value(for label: String) throws -> ExpressionValue {
        guard let c = peek else { throw error("missing value for '\(label)'") }
        if c == "." {
            pos += 1
            guard let name = identifier() else { throw error("expected a case name after '.' for '\(label)'") }
            return .member(name)
        }
        if c == "[" {
            depth += 1
            defer { depth -= 1 }
            guard depth <= Self.maximumNesting else {
                throw error("arrays nested more than \(Self.maximumNesting) levels deep in '\(label)'")
            }
            pos += 1
            var items: [ExpressionValue] = []
            while true {
                skipSpace()
                if peek == "]" { pos += 1; break }
                items.append(try value(for: label))
                skipSpace()
                if peek == "," { pos += 1; continue }
                if peek == "]" { pos += 1; break }
                throw error(peek == nil ? "missing ']' in '\(label)'" : "expected ',' or ']' in '\(label)' but found '\(peek!)'")
            }
            return .array(items)
        }
        if c.isNumber || c == "-" || c == "+" { return try number(for: label) }
        if let word = identifier() {
            if word == "true" { return .bool(true) }
            if word == "false" { return .bool(false) }
            pos -= word.count
            throw error("'\(word)' is not a value for '\(label)' (write a number, true/false, .case or [..]; did you forget the '.' of .\(word)?)")
        }
        throw error("unexpected '\(c)' as the value of '\(label)'")
    }

    /// Integers and decimals with optional sign, `_` separators and exponent.
    private mutating func number(for label: String) throws -> ExpressionValue {
        let start = pos
        var raw = ""
        while let c = peek, c.isNumber || c == "_" || c == "." || c == "e" || c == "E" || c == "-" || c == "+" {
            if (c == "-" || c == "+") && !raw.isEmpty && raw.last != "e" && raw.last != "E" { break }
            if c != "_" { raw.append(c) }
            pos += 1
        }
        if let v = Int(raw) { return .int(v) }
        if let v = Double(raw), v.isFinite { return .number(v) }
        pos = start
        throw error("'\(raw)' is not a number (for '\(label)')")
    }

    private mutating func identifier() -> String? {
        guard let c = peek, c.isLetter || c == "_" else { return nil }
        var s = ""
        while let c = peek, c.isLetter || c.isNumber || c == "_" { s.append(c); pos += 1 }
        return s
    }

    private mutating func skipSpace() {
        while let c = peek, c.isWhitespace { pos += 1 }
    }

    private var peek: Character? { pos < chars.count ? chars[pos] : nil }

    private func error(_ message: String) -> ModelExpressionError {
        ModelExpressionError(text: text, column: pos + 1, message: message)
    }
}

/// Edit distance counting insertions, deletions, substitutions and adjacent transpositions
/// (optimal string alignment), case-insensitive, for did-you-mean suggestions.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a.lowercased()), b = Array(b.lowercased())
    var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
    for i in 0...a.count { d[i][0] = i }
    for j in 0...b.count { d[0][j] = j }
    for i in stride(from: 1, through: a.count, by: 1) {
        for j in stride(from: 1, through: b.count, by: 1) {
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1) }
        }
    }
    return d[a.count][b.count]
}

/// " (did you mean 'x'?)" for the nearest candidate within a small distance, else "".
func didYouMean(_ word: String, _ candidates: [String], prefix: String = "") -> String {
    let best = candidates.map { ($0, editDistance(word, $0)) }.min { $0.1 < $1.1 }
    guard let (name, d) = best, d <= max(1, word.count / 3) else { return "" }
    return " (did you mean '\(prefix)\(name)'?)"
}
