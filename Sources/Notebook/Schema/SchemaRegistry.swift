// The schema registry: the vocabulary of calls a notebook may use, declared as data by another module.

/// The calls a notebook may use. The `Experiments` module builds one from ``CallSchema`` values; the checker
/// resolves cells against it.
///
/// ```swift
/// let registry = SchemaRegistry([
///     CallSchema("Experiment", [ParameterSchema("epochs", .int(.atLeast(0)), default: 15), ...],
///                members: [MemberSchema("top1")]),
///     CallSchema("Table", variadic: VariadicSchema("runs", .reference(kind: "Experiment"), minCount: 1)),
/// ])
/// ```
public struct SchemaRegistry: Hashable, Sendable {
    /// The calls in registration order.
    public private(set) var calls: [CallSchema] = []

    /// A registry holding `calls`; each call name must be unique.
    public init(_ calls: [CallSchema] = []) {
        calls.forEach { register($0) }
    }

    /// Adds `call`; registering a name twice is a programmer error.
    public mutating func register(_ call: CallSchema) {
        precondition(self.call(named: call.name) == nil, "call `\(call.name)` is registered twice")
        calls.append(call)
    }

    /// The call schema named `name`.
    public func call(named name: String) -> CallSchema? {
        calls.first { $0.name == name }
    }

    /// The first call schema whose bindings have kind `kind` (where its members are declared).
    public func schema(ofKind kind: String) -> CallSchema? {
        calls.first { $0.kind == kind }
    }

    /// Problems in the declarations themselves: duplicate parameter or case names, positional parameters after
    /// labelled ones, and defaults that their own parameter type rejects. Empty for a sound registry.
    public func validate() -> [String] {
        var problems: [String] = []
        func check(_ signature: Signature, owner: String) {
            var seen = Set<String>()
            for name in signature.resolvedOrder where !seen.insert(name).inserted {
                problems.append("\(owner): parameter `\(name)` is declared twice")
            }
            if let firstLabelled = signature.parameters.firstIndex(where: { !$0.positional }),
               signature.parameters[firstLabelled...].contains(where: \.positional) {
                problems.append("\(owner): positional parameters must come before labelled ones")
            }
            for parameter in signature.parameters {
                if case .value(let value) = parameter.default, parameter.type.conform(value) == nil {
                    problems.append("\(owner): default \(value) of `\(parameter.name)` is not \(parameter.type.description)")
                }
                checkType(parameter.type, owner: "\(owner).\(parameter.name)")
            }
            if let variadic = signature.variadic { checkType(variadic.element, owner: "\(owner).\(variadic.name)") }
        }
        func checkType(_ type: ValueType, owner: String) {
            switch type {
            case .enumeration(let e):
                var seen = Set<String>()
                for c in e.cases {
                    if !seen.insert(c.name).inserted { problems.append("\(owner): case `.\(c.name)` is declared twice") }
                    check(c.signature, owner: "\(e.name).\(c.name)")
                }
            case .array(let element, _, _): checkType(element, owner: owner)
            case .oneOf(let types): types.forEach { checkType($0, owner: owner) }
            case .reference(let kind), .member(let kind):
                if schema(ofKind: kind) == nil { problems.append("\(owner): no call produces kind `\(kind)`") }
            default: break
            }
        }
        calls.forEach { check($0.signature, owner: $0.name) }
        return problems
    }
}

extension ValueType {
    /// `value` converted to this type's canonical form (integers widened to numbers, enum-case defaults filled in),
    /// or nil when the type does not accept it. Used for declared defaults, which carry no source position.
    public func conform(_ value: ResolvedValue) -> ResolvedValue? {
        switch (self, value) {
        case (.int(let bounds, let allowed), .int(let i)):
            guard bounds.contains(Double(i)), allowed?.contains(i) ?? true else { return nil }
            return value
        case (.number(let bounds), .int(let i)):
            return bounds.contains(Double(i)) ? .number(Double(i)) : nil
        case (.number(let bounds), .number(let x)):
            return x.isFinite && bounds.contains(x) ? value : nil
        case (.string, .string), (.bool, .bool), (.reference, .reference), (.member, .reference):
            return value
        case (.array(let element, let minCount, let maxCount), .array(let items)):
            guard items.count >= minCount, items.count <= maxCount ?? .max else { return nil }
            var out: [ResolvedValue] = []
            for item in items {
                guard let c = element.conform(item) else { return nil }
                out.append(c)
            }
            return .array(out)
        case (.enumeration(let e), .enumCase(let name, let args)):
            guard let schema = e.case(named: name) else { return nil }
            return schema.signature.conform(args).map { .enumCase(name, $0) }
        case (.oneOf(let types), _):
            return types.lazy.compactMap { $0.conform(value) }.first
        default:
            return nil
        }
    }
}

extension Signature {
    /// Arguments in resolved order with defaults filled in, or nil when one is unknown, missing or ill-typed.
    func conform(_ args: [ResolvedArgument]) -> [ResolvedArgument]? {
        guard args.allSatisfy({ arg in resolvedOrder.contains(arg.label) }) else { return nil }
        var out: [ResolvedArgument] = []
        for name in resolvedOrder {
            let given = args.first { $0.label == name }?.value
            if let variadic, variadic.name == name {
                let items = given ?? .array([])
                guard let c = ValueType.array(of: variadic.element, minCount: variadic.minCount).conform(items) else { return nil }
                out.append(ResolvedArgument(name, c))
                continue
            }
            let parameter = parameters.first { $0.name == name }!
            switch (given, parameter.default) {
            case (let v?, _), (nil, .value(let v)):
                if v == .null, parameter.default == .absent { out.append(ResolvedArgument(name, .null)); continue }
                guard let c = parameter.type.conform(v) else { return nil }
                out.append(ResolvedArgument(name, c))
            case (nil, .absent): out.append(ResolvedArgument(name, .null))
            case (nil, .required): return nil
            }
        }
        return out
    }
}
