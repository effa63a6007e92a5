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

    /// Parses `= name.member...`, or the difference `= a.member - b.member...`, whose `=` is at `location`;
    /// anything else is an error located at the expression.
    static func parse(_ literal: String, at location: SourcePosition) -> Result<InlineReference, Diagnostic> {
        let afterEqual = literal.dropFirst()
        let spaces = afterEqual.prefix(while: { $0 == " " }).utf8.count
        let expression = String(afterEqual.dropFirst(spaces)).trimmingTrailingSpaces()
        let exprColumn = location.column + 1 + spaces
        let whole = SourceRange(start: location, end: SourcePosition(line: location.line, column: exprColumn + expression.utf8.count))
        guard !expression.isEmpty else { return .failure(.error(usage, at: whole)) }
        // A name or member never contains `-`, so the first one separates the two operands of a difference.
        guard let minus = expression.firstIndex(of: "-") else {
            return operand(expression, line: location.line, column: exprColumn).map {
                InlineReference(binding: $0.binding, path: $0.path, range: SourceRange(start: location, end: $0.end))
            }
        }
        let left = String(expression[..<minus]).trimmingTrailingSpaces()
        let rightRaw = expression[expression.index(after: minus)...]
        let rightSpaces = rightRaw.prefix(while: { $0 == " " }).utf8.count
        let rightColumn = exprColumn + expression[...minus].utf8.count + rightSpaces
        let minusAt = SourceRange(at: SourcePosition(line: location.line, column: exprColumn + expression[..<minus].utf8.count))
        guard !left.isEmpty else { return .failure(.error(usage + "; a difference needs one on each side of `-`, as in `= aa.top1 - aa.published.top1`", at: minusAt)) }
        guard rightSpaces < rightRaw.utf8.count else {
            return .failure(.error(usage + "; a difference needs one on each side of `-`, as in `= aa.top1 - aa.published.top1`", at: minusAt))
        }
        let a = operand(left, line: location.line, column: exprColumn)
        let b = operand(String(rightRaw.dropFirst(rightSpaces)), line: location.line, column: rightColumn)
        switch (a, b) {
        case let (.failure(d), _), let (_, .failure(d)): return .failure(d)
        case let (.success(a), .success(b)):
            return .success(InlineReference(binding: a.binding, path: a.path, range: SourceRange(start: location, end: b.end),
                                            subtrahend: InlineOperand(binding: b.binding, path: b.path)))
        }
    }

    static let usage = "an inline result must name a binding and its members, as in `= aa.top1`"

    /// One operand `name.member...` starting at file column `column`.
    static func operand(_ text: String, line: Int, column: Int) -> Result<(binding: CellName, path: [CellName], end: SourcePosition), Diagnostic> {
        let cell = Cell(source: text, line: line, columnOffsets: [column - 1])
        let expr: CellExpr
        do {
            expr = try CellParser.parseExpression(cell)
        } catch {
            return .failure(error)
        }
        var path: [CellName] = []
        var node = expr
        while true {
            switch node.kind {
            case .member(let base, let name):
                path.insert(name, at: 0)
                node = base
            case .name(let binding):
                return .success((CellName(binding, range: node.range), path, expr.range.end))
            default:
                return .failure(.error(usage + "; found \(node.formDescription)", at: node.range))
            }
        }
    }
}
