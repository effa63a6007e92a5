// The cell syntax tree: statements and expressions of the cell language, each with its source range.

/// An expression in a config cell. Every node carries the range of its text in the `.md` file.
public struct CellExpr: Hashable, Sendable {
    public indirect enum Kind: Hashable, Sendable {
        /// `8_000`, `-3` (the value; the literal text is in the source).
        case integer(Int)
        /// `1.5`, `5e-4`, `-0.5`.
        case float(Double)
        /// `"cifar-100"` with escapes decoded.
        case string(String)
        /// `true` / `false`.
        case bool(Bool)
        /// A bare name: a reference to an earlier binding, e.g. `base`.
        case name(String)
        /// `Name(args)`, e.g. `Experiment(model: ..., epochs: 15)`.
        case call(name: CellName, arguments: [CellArgument])
        /// `.member` or `.member(args)`: an enum case such as `.horizontalFlip` or `.resnet(depth: 18)`.
        /// `arguments` is nil when there are no parentheses.
        case enumCase(name: CellName, arguments: [CellArgument]?)
        /// `base.member`, e.g. `aa.top1`.
        case member(base: CellExpr, name: CellName)
        /// `base.method(args)`, e.g. `base.with(epochs: 30)`.
        case method(base: CellExpr, name: CellName, arguments: [CellArgument])
        /// `[a, b]` (a trailing comma is allowed).
        case array([CellExpr])
    }

    public var kind: Kind
    public var range: SourceRange

    public init(_ kind: Kind, range: SourceRange) {
        self.kind = kind
        self.range = range
    }
}

/// An identifier together with its own range (for underlining just the name).
public struct CellName: Hashable, Sendable, CustomStringConvertible {
    public var text: String
    public var range: SourceRange

    public init(_ text: String, range: SourceRange) {
        self.text = text
        self.range = range
    }

    public var description: String { text }
}

/// One argument of a call: `label: value` or just `value`.
public struct CellArgument: Hashable, Sendable {
    public var label: CellName?
    public var value: CellExpr

    public init(label: CellName?, value: CellExpr) {
        self.label = label
        self.value = value
    }

    /// From the label (or the value when unlabelled) to the end of the value.
    public var range: SourceRange { label.map { $0.range.union(value.range) } ?? value.range }
}

/// A statement: `let name = expr` or a bare expression whose output renders in place.
public struct CellStatement: Hashable, Sendable {
    /// The bound name for `let name = ...`, nil for a bare expression.
    public var binding: CellName?
    public var value: CellExpr
    /// From `let` (or the expression's start) to the end of the expression.
    public var range: SourceRange

    public init(binding: CellName?, value: CellExpr, range: SourceRange) {
        self.binding = binding
        self.value = value
        self.range = range
    }
}

/// The parsed statements of one cell.
public struct ParsedCell: Hashable, Sendable {
    public var cell: Cell
    public var statements: [CellStatement]

    public init(cell: Cell, statements: [CellStatement]) {
        self.cell = cell
        self.statements = statements
    }
}

extension CellExpr {
    /// A short human description of the expression's form, used in type errors ("found a string").
    public var formDescription: String {
        switch kind {
        case .integer: return "an integer"
        case .float: return "a number"
        case .string: return "a string"
        case .bool: return "a boolean"
        case .name(let n): return "the binding `\(n)`"
        case .call(let name, _): return "a call to `\(name.text)`"
        case .enumCase(let name, _): return "the case `.\(name.text)`"
        case .member(_, let name): return "the member `.\(name.text)`"
        case .method(_, let name, _): return "a `.\(name.text)(...)` call"
        case .array: return "an array"
        }
    }
}
