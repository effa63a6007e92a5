// Schema types: the data that declares the cell vocabulary (calls, enums, parameters, value types).

/// The type of a value a parameter accepts.
public indirect enum ValueType: Hashable, Sendable {
    /// An integer literal within `bounds`, and one of `allowed` when given (e.g. ResNet depths).
    case int(NumericBounds = .any, allowed: [Int]? = nil)
    /// An integer or floating-point literal within `bounds` (e.g. a learning rate `> 0`).
    case number(NumericBounds = .any)
    case string
    case bool
    /// A case of an enumeration, e.g. `.resnet(depth: 18)` or `.horizontalFlip`.
    case enumeration(EnumSchema)
    /// An array literal of `element`s with at least `minCount` and at most `maxCount` elements (e.g. exactly 3
    /// per-channel values: `minCount: 3, maxCount: 3`).
    case array(of: ValueType, minCount: Int = 0, maxCount: Int? = nil)
    /// An earlier binding whose kind is `kind` (e.g. `base`, an `Experiment`), or an inline call of that kind.
    case reference(kind: String)
    /// A member of an earlier binding of kind `kind`, e.g. `aa.top1`; the members come from the kind's schema.
    case member(of: String)
    /// The first alternative that accepts the value.
    case oneOf([ValueType])

    /// How the type reads in a message: "an integer", "a `Model` case such as `.resnet`".
    public var description: String {
        switch self {
        case .int(let bounds, let allowed):
            if let allowed { return "one of " + allowed.map(String.init).joined(separator: ", ") }
            return bounds == .any ? "an integer" : "an integer \(bounds)"
        case .number(let bounds): return bounds == .any ? "a number" : "a number \(bounds)"
        case .string: return "a string"
        case .bool: return "a boolean"
        case .enumeration(let e):
            return "a `\(e.name)` case" + (e.cases.first.map { " such as `.\($0.name)`" } ?? "")
        case .array(let element, _, _): return "an array of \(element.pluralDescription)"
        case .reference(let kind): return "a reference to an `\(kind)`"
        case .member(let kind): return "a result of an `\(kind)` such as `name.member`"
        case .oneOf(let types): return types.map(\.description).joined(separator: " or ")
        }
    }

    var pluralDescription: String {
        switch self {
        case .enumeration(let e): return "`\(e.name)` cases"
        case .int: return "integers"
        case .number: return "numbers"
        case .string: return "strings"
        case .bool: return "booleans"
        case .reference(let kind): return "`\(kind)` references"
        default: return description
        }
    }
}

/// Bounds on a numeric value, e.g. `> 0` for a learning rate or `>= 1` for a batch size.
public struct NumericBounds: Hashable, Sendable, CustomStringConvertible {
    public var lower: Double?
    public var lowerInclusive: Bool
    public var upper: Double?
    public var upperInclusive: Bool

    public init(lower: Double? = nil, lowerInclusive: Bool = true, upper: Double? = nil, upperInclusive: Bool = true) {
        self.lower = lower
        self.lowerInclusive = lowerInclusive
        self.upper = upper
        self.upperInclusive = upperInclusive
    }

    public static let any = NumericBounds()
    /// `> 0`.
    public static let positive = NumericBounds(lower: 0, lowerInclusive: false)
    /// `>= 0`.
    public static let nonNegative = NumericBounds(lower: 0)
    /// `>= value`.
    public static func atLeast(_ value: Double) -> NumericBounds { NumericBounds(lower: value) }
    /// `> value`.
    public static func greaterThan(_ value: Double) -> NumericBounds { NumericBounds(lower: value, lowerInclusive: false) }
    /// `lower...upper`, both inclusive.
    public static func within(_ range: ClosedRange<Double>) -> NumericBounds {
        NumericBounds(lower: range.lowerBound, upper: range.upperBound)
    }
    /// `lower..<upper`.
    public static func within(_ range: Range<Double>) -> NumericBounds {
        NumericBounds(lower: range.lowerBound, upper: range.upperBound, upperInclusive: false)
    }

    public func contains(_ x: Double) -> Bool {
        if let lower, lowerInclusive ? x < lower : x <= lower { return false }
        if let upper, upperInclusive ? x > upper : x >= upper { return false }
        return true
    }

    /// `> 0`, `>= 1`, `in 0...1`, `in 0..<1`.
    public var description: String {
        switch (lower, upper) {
        case (nil, nil): return "(any)"
        case (let l?, nil): return (lowerInclusive ? ">= " : "> ") + Self.format(l)
        case (nil, let u?): return (upperInclusive ? "<= " : "< ") + Self.format(u)
        case (let l?, let u?) where !lowerInclusive:
            return "> " + Self.format(l) + (upperInclusive ? " and <= " : " and < ") + Self.format(u)
        case (let l?, let u?):
            return "in " + Self.format(l) + (upperInclusive ? "..." : "..<") + Self.format(u)
        }
    }

    static func format(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : "\(x)"
    }
}

/// An enumeration of cases, e.g. `Model` with `.resnet(...)` and `.vit(...)`.
public struct EnumSchema: Hashable, Sendable {
    /// The type name used in messages, e.g. `Model`.
    public var name: String
    public var cases: [CaseSchema]

    public init(_ name: String, cases: [CaseSchema]) {
        self.name = name
        self.cases = cases
    }

    public func `case`(named name: String) -> CaseSchema? { cases.first { $0.name == name } }
}

/// One enum case and its parameters (none for a plain case such as `.horizontalFlip`).
public struct CaseSchema: Hashable, Sendable {
    public var name: String
    public var signature: Signature
    public var doc: String

    public init(_ name: String, _ parameters: [ParameterSchema] = [], variadic: VariadicSchema? = nil, doc: String = "") {
        self.name = name
        self.signature = Signature(parameters, variadic: variadic)
        self.doc = doc
    }
}
