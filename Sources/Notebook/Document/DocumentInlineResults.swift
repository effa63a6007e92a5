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

    /// Parses `= name.member...` whose `=` is at `location`; anything else is an error located at the expression.
    static func parse(_ literal: String, at location: SourcePosition) -> Result<InlineReference, Diagnostic> {
        let afterEqual = literal.dropFirst()
        let spaces = afterEqual.prefix(while: { $0 == " " }).utf8.count
        let expression = String(afterEqual.dropFirst(spaces)).trimmingTrailingSpaces()
        let exprColumn = location.column + 1 + spaces
        let whole = SourceRange(start: location, end: SourcePosition(line: location.line, column: exprColumn + expression.utf8.count))
        let usage = "an inline result must name a binding and its members, as in `= aa.top1`"
        guard !expression.isEmpty else { return .failure(.error(usage, at: whole)) }
        let cell = Cell(source: expression, line: location.line, columnOffsets: [exprColumn - 1])
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
                return .success(InlineReference(binding: CellName(binding, range: node.range), path: path,
                                                range: SourceRange(start: location, end: expr.range.end)))
            default:
                return .failure(.error(usage + "; found \(node.formDescription)", at: node.range))
            }
        }
    }
}
