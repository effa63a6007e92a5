// The checker: resolves every cell of a notebook against a registry and earlier bindings, collecting diagnostics.

/// A name bound by `let name = ...` in some cell.
public struct Binding: Hashable, Sendable {
    public var name: CellName
    /// The kind of value, e.g. `Experiment` (see ``CallSchema/kind``).
    public var kind: String
    /// The resolved value; nil when the binding's statement failed to check (uses of it then report nothing more).
    public var value: ResolvedValue?
    /// The index of the cell that declares it.
    public var cellIndex: Int
}

/// The bindings visible to a cell: those of all earlier cells and earlier statements, in declaration order.
public struct Bindings: Hashable, Sendable {
    public private(set) var ordered: [Binding] = []

    public init() {}

    public subscript(name: String) -> Binding? { ordered.first { $0.name.text == name } }

    mutating func add(_ binding: Binding) { ordered.append(binding) }
}

/// One checked statement: its binding name (nil for a bare expression) and resolved value.
public struct CheckedStatement: Hashable, Sendable {
    public var binding: String?
    public var kind: String
    public var value: ResolvedValue
    public var range: SourceRange

    /// The canonical JSON of ``value`` (see ``CanonicalJSON``).
    public var canonicalJSON: String { value.canonicalJSON }
}

/// The outcome of checking one cell. A cell with errors keeps its successfully checked statements.
public struct CheckedCell: Hashable, Sendable {
    public var cell: Cell
    public var statements: [CheckedStatement]
    public var diagnostics: [Diagnostic]

    public var hasErrors: Bool { diagnostics.containsError }
}

/// The outcome of checking a whole notebook.
public struct NotebookCheck: Hashable, Sendable {
    public var cells: [CheckedCell]
    /// Every binding of the notebook, in declaration order.
    public var bindings: Bindings
    /// All diagnostics: the document's own, every cell's, and those of inline results, in file order.
    public var diagnostics: [Diagnostic]

    public var hasErrors: Bool { diagnostics.containsError }
}

/// Checks cells against a ``SchemaRegistry``: parses them, resolves names, labels, types and ranges, fills defaults.
public struct Checker: Sendable {
    public var registry: SchemaRegistry

    public init(registry: SchemaRegistry) {
        self.registry = registry
    }

    /// Checks every cell in order (later cells see earlier bindings) and every inline result; never stops early.
    public func check(_ document: Document) -> NotebookCheck {
        var bindings = Bindings()
        let cells = document.cells.map { check($0, bindings: &bindings) }
        let inline = document.inlineReferences.compactMap { check($0, bindings: bindings) }
        let all = (document.diagnostics + cells.flatMap(\.diagnostics) + inline).sorted { $0.range.start < $1.range.start }
        return NotebookCheck(cells: cells, bindings: bindings, diagnostics: all)
    }

    /// Parses and checks one cell, adding its bindings to `bindings` (a failed statement's binding is added
    /// without a value, so later uses stay quiet).
    public func check(_ cell: Cell, bindings: inout Bindings) -> CheckedCell {
        let parsed: ParsedCell
        do {
            parsed = try CellParser.parse(cell)
        } catch {
            for name in Self.declaredNames(in: cell) where bindings[name.text] == nil {
                bindings.add(Binding(name: name, kind: "", value: nil, cellIndex: cell.index))
            }
            return CheckedCell(cell: cell, statements: [], diagnostics: [error])
        }
        return check(parsed, bindings: &bindings)
    }

    /// Checks an already parsed cell.
    public func check(_ parsed: ParsedCell, bindings: inout Bindings) -> CheckedCell {
        var statements: [CheckedStatement] = []
        var diagnostics: [Diagnostic] = []
        for statement in parsed.statements {
            var resolver = ExpressionResolver(registry: registry, bindings: bindings)
            let result = resolver.resolveStatement(statement.value)
            diagnostics += resolver.diagnostics
            if let result {
                statements.append(CheckedStatement(binding: statement.binding?.text, kind: result.kind,
                                                   value: result.value, range: statement.range))
            }
            guard let name = statement.binding else { continue }
            if let previous = bindings[name.text] {
                diagnostics.append(Diagnostic(.error, "invalid redeclaration of `\(name.text)`", at: name.range,
                                              notes: [Diagnostic(.note, "`\(name.text)` was first declared here",
                                                                 at: previous.name.range)]))
                continue
            }
            bindings.add(Binding(name: name, kind: result?.kind ?? "", value: result?.value, cellIndex: parsed.cell.index))
        }
        return CheckedCell(cell: parsed.cell, statements: statements, diagnostics: diagnostics)
    }

    /// Checks an inline result: each operand's binding exists, its member path names a declared result of the
    /// binding's kind (`aa.top1`, `aa.published.top1`) with the argument that result takes (`base.lowPass(4)`); in a
    /// difference or comparison, neither operand is text.
    public func check(_ reference: InlineReference, bindings: Bindings) -> Diagnostic? {
        var resolver = ExpressionResolver(registry: registry, bindings: bindings)
        for operand in reference.operands {
            let path = operand.path
            guard let binding = resolver.lookup(operand.binding.text, at: operand.binding.range), !path.isEmpty,
                  let member = resolver.checkMemberPath(path, of: binding.kind) else { continue }
            let last = path[path.count - 1]
            resolver.checkArgument(operand.argument, of: member, at: last.range)
            if reference.form != .value, member.isText {
                let what = reference.form == .difference ? "no difference can be taken of it" : "it cannot be compared"
                _ = resolver.fail("`\(operand.expression)` is a text result, so \(what)", at: path[0].range.union(last.range))
            }
        }
        return resolver.diagnostics.first
    }

    /// Names after `let` in a cell that failed to parse, found by scanning its tokens as far as they lex.
    static func declaredNames(in cell: Cell) -> [CellName] {
        var lexer = CellLexer(cell: cell)
        var names: [CellName] = []
        var previous: CellToken?
        while let token = try? lexer.next(), token.kind != .end {
            if let p = previous, p.kind == .identifier, p.text == "let", token.kind == .identifier {
                names.append(CellName(token.text, range: token.range))
            }
            previous = token
        }
        return names
    }
}
