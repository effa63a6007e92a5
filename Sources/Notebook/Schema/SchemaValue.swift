// Resolved values: the canonical, defaults-filled meaning of a checked cell expression.

/// A checked value with every default filled in. Two cells that mean the same thing resolve to equal values,
/// whatever their formatting, comments, argument order, or whether a default was written out.
public indirect enum ResolvedValue: Hashable, Sendable {
    case null
    case bool(Bool)
    case int(Int)
    case number(Double)
    case string(String)
    case array([ResolvedValue])
    /// A top-level call such as `Experiment`, with arguments in schema order.
    case call(String, [ResolvedArgument])
    /// An enum case such as `resnet` (without the dot), with arguments in schema order.
    case enumCase(String, [ResolvedArgument])
    /// A reference to a binding, with an optional member path (`aa.top1` → `("aa", ["top1"])`).
    case reference(String, path: [String])

    /// A plain enum case without arguments, e.g. `.case("horizontalFlip")`.
    public static func `case`(_ name: String, _ arguments: [ResolvedArgument] = []) -> ResolvedValue {
        .enumCase(name, arguments)
    }

    /// The value of argument `label` of a call or case, or nil.
    public subscript(label: String) -> ResolvedValue? {
        switch self {
        case .call(_, let args), .enumCase(_, let args): return args.first { $0.label == label }?.value
        default: return nil
        }
    }

    /// The call or case name, or nil for other values.
    public var name: String? {
        switch self {
        case .call(let name, _), .enumCase(let name, _): return name
        default: return nil
        }
    }

    /// The names of all bindings referenced anywhere inside the value, sorted.
    public var referencedBindings: [String] {
        var names = Set<String>()
        func visit(_ value: ResolvedValue) {
            switch value {
            case .reference(let name, _): names.insert(name)
            case .array(let items): items.forEach(visit)
            case .call(_, let args), .enumCase(_, let args): args.forEach { visit($0.value) }
            default: break
            }
        }
        visit(self)
        return names.sorted()
    }

    /// This call or case with the labelled arguments in `overrides` replaced (used by `.with`).
    func overriding(_ overrides: [ResolvedArgument]) -> ResolvedValue {
        func merge(_ args: [ResolvedArgument]) -> [ResolvedArgument] {
            args.map { arg in overrides.first { $0.label == arg.label } ?? arg }
        }
        switch self {
        case .call(let name, let args): return .call(name, merge(args))
        case .enumCase(let name, let args): return .enumCase(name, merge(args))
        default: return self
        }
    }
}

/// One argument of a resolved call or case; `label` is the parameter name (also for positional parameters).
public struct ResolvedArgument: Hashable, Sendable {
    public var label: String
    public var value: ResolvedValue

    public init(_ label: String, _ value: ResolvedValue) {
        self.label = label
        self.value = value
    }
}

extension ResolvedValue: ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral, ExpressibleByStringLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByNilLiteral {
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: ResolvedValue...) { self = .array(elements) }
    public init(nilLiteral: ()) { self = .null }
}

extension ResolvedValue: CustomStringConvertible {
    /// The value in cell syntax, e.g. `.sgd(lr: 0.1, momentum: 0.9)`; for display, not for hashing.
    public var description: String {
        func args(_ list: [ResolvedArgument]) -> String {
            list.map { "\($0.label): \($0.value)" }.joined(separator: ", ")
        }
        switch self {
        case .null: return "nil"
        case .bool(let b): return String(b)
        case .int(let i): return String(i)
        case .number(let x): return CanonicalJSON.format(x)
        case .string(let s): return CanonicalJSON.quote(s)
        case .array(let items): return "[" + items.map(\.description).joined(separator: ", ") + "]"
        case .call(let name, let list): return "\(name)(\(args(list)))"
        case .enumCase(let name, let list): return list.isEmpty ? ".\(name)" : ".\(name)(\(args(list)))"
        case .reference(let name, let path): return ([name] + path).joined(separator: ".")
        }
    }
}
