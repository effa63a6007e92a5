// Inline results in prose: locating and parsing code spans such as `= aa.top1` into binding references.

/// Reads the text of an inline result code span into an ``InlineReference``.
enum InlineReferenceReader {
    /// The 1-based byte column of the `=` that starts `literal` on file line `line`.
    ///
    /// cmark-gfm reports inline columns relative to the paragraph's stripped line, which is off on indented
    /// continuation lines, so the column is confirmed against the file line: the occurrence of `literal` right
    /// after a backtick (and optional spaces) nearest the reported column wins.
    static func locate(_ literal: String, line: Int, reportedColumn: Int, in source: SourceText) -> Int {
        guard let text = source.line(line) else { return reportedColumn }
        let bytes = Array(text.utf8), needle = Array(literal.utf8)
        var best: Int?
        var start = 0
        while start + needle.count <= bytes.count {
            defer { start += 1 }
            guard bytes[start..<(start + needle.count)].elementsEqual(needle) else { continue }
            var before = start - 1
            while before >= 0, bytes[before] == UInt8(ascii: " ") { before -= 1 }
            guard before >= 0, bytes[before] == UInt8(ascii: "`") else { continue }
            let column = start + 1
            if best.map({ abs($0 - reportedColumn) > abs(column - reportedColumn) }) ?? true { best = column }
        }
        return best ?? reportedColumn
    }

    /// Parses the code span `literal` whose `=` is at `location`: a value `= name.member...`, a difference
    /// `= a.member - b.member` or a comparison `= compare(a.member, b.member)`; anything else is an error located at
    /// the expression.
    static func parse(_ literal: String, at location: SourcePosition) -> Result<InlineReference, Diagnostic> {
        let afterEqual = literal.dropFirst()
        let spaces = afterEqual.prefix(while: { $0 == " " }).utf8.count
        let expression = String(afterEqual.dropFirst(spaces)).trimmingTrailingSpaces()
        let exprColumn = location.column + 1 + spaces
        let whole = SourceRange(start: location, end: SourcePosition(line: location.line, column: exprColumn + expression.utf8.count))
        guard !expression.isEmpty else { return .failure(.error(usage, at: whole)) }
        if expression.hasPrefix(comparisonName + "(") {
            return comparison(expression, line: location.line, column: exprColumn).map {
                InlineReference(form: .comparison, operands: $0, range: whole)
            }
        }
        guard let minus = topLevelMinus(expression) else {
            return operand(expression, line: location.line, column: exprColumn).map {
                InlineReference(form: .value, operands: [$0.operand], range: SourceRange(start: location, end: $0.end))
            }
        }
        let left = String(expression[..<minus]).trimmingTrailingSpaces()
        let rightRaw = expression[expression.index(after: minus)...]
        let rightSpaces = rightRaw.prefix(while: { $0 == " " }).utf8.count
        let rightColumn = exprColumn + expression[...minus].utf8.count + rightSpaces
        let minusAt = SourceRange(at: SourcePosition(line: location.line, column: exprColumn + expression[..<minus].utf8.count))
        guard !left.isEmpty, rightSpaces < rightRaw.utf8.count else {
            return .failure(.error(usage + "; a difference needs one on each side of `-`, as in `= aa.top1 - aa.published.top1`", at: minusAt))
        }
        let a = operand(left, line: location.line, column: exprColumn)
        let b = operand(String(rightRaw.dropFirst(rightSpaces)), line: location.line, column: rightColumn)
        switch (a, b) {
        case let (.failure(d), _), let (_, .failure(d)): return .failure(d)
        case let (.success(a), .success(b)):
            return .success(InlineReference(form: .difference, operands: [a.operand, b.operand], range: SourceRange(start: location, end: b.end)))
        }
    }

    static let usage = "an inline result must name a binding and its members, as in `= aa.top1`, a difference `= a.top1 - b.top1` "
        + "or a comparison `= compare(a.top1, b.top1)`"
    static let comparisonName = "compare"

    /// The first `-` outside parentheses and string literals: the difference's operator (a negative number can only
    /// be an argument, inside parentheses).
    static func topLevelMinus(_ text: String) -> String.Index? {
        var depth = 0, quoted = false, escaped = false
        for i in text.indices {
            let c = text[i]
            if quoted {
                if escaped { escaped = false } else if c == "\\" { escaped = true } else if c == "\"" { quoted = false }
                continue
            }
            switch c {
            case "\"": quoted = true
            case "(", "[": depth += 1
            case ")", "]": depth -= 1
            case "-" where depth == 0: return i
            default: break
            }
        }
        return nil
    }

    /// `compare(a.member, b.member)` starting at file column `column`: exactly two unlabelled operands.
    static func comparison(_ text: String, line: Int, column: Int) -> Result<[InlineOperand], Diagnostic> {
        let cell = Cell(source: text, line: line, columnOffsets: [column - 1])
        let expr: CellExpr
        do {
            expr = try CellParser.parseExpression(cell)
        } catch {
            return .failure(error)
        }
        let shape = "a comparison names two results, as in `= compare(vit.shapeBias, base.shapeBias)`"
        guard case let .call(name, arguments) = expr.kind, name.text == comparisonName else { return .failure(.error(shape, at: expr.range)) }
        guard arguments.count == 2 else { return .failure(.error(shape + "; found \(arguments.count) argument\(arguments.count == 1 ? "" : "s")", at: expr.range)) }
        var operands: [InlineOperand] = []
        for argument in arguments {
            if let label = argument.label { return .failure(.error(shape + "; remove the label `\(label.text):`", at: label.range)) }
            switch operand(argument.value) {
            case let .success(o): operands.append(o)
            case let .failure(d): return .failure(d)
            }
        }
        return .success(operands)
    }

    /// One operand `name.member...` (its last member possibly called with one argument) starting at file column `column`.
    static func operand(_ text: String, line: Int, column: Int) -> Result<(operand: InlineOperand, end: SourcePosition), Diagnostic> {
        let cell = Cell(source: text, line: line, columnOffsets: [column - 1])
        do {
            let expr = try CellParser.parseExpression(cell)
            return operand(expr).map { ($0, expr.range.end) }
        } catch {
            return .failure(error)
        }
    }

    /// The operand an expression names: `base.top1`, `r50.published.top1` or `base.lowPass(4)`.
    static func operand(_ expr: CellExpr) -> Result<InlineOperand, Diagnostic> {
        var path: [CellName] = []
        var argument: CellArgument?
        var node = expr
        if case let .method(base, name, arguments) = node.kind {
            guard arguments.count == 1 else {
                return .failure(.error("`\(name.text)(...)` takes one argument, as in `= base.lowPass(4)`; found \(arguments.count)", at: node.range))
            }
            path = [name]
            argument = arguments[0]
            node = base
        }
        while true {
            switch node.kind {
            case .member(let base, let name):
                path.insert(name, at: 0)
                node = base
            case .name(let binding):
                return .success(InlineOperand(binding: CellName(binding, range: node.range), path: path, argument: argument))
            default:
                return .failure(.error(usage + "; found \(node.formDescription)", at: node.range))
            }
        }
    }
}
