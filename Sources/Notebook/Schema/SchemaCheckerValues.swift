// Checking expressions against schema types: literals, enum cases, arrays, references and argument lists.

/// Resolves expressions of one statement against the registry and earlier bindings, collecting diagnostics.
struct ExpressionResolver {
    let registry: SchemaRegistry
    let bindings: Bindings
    var diagnostics: [Diagnostic] = []

    init(registry: SchemaRegistry, bindings: Bindings) {
        self.registry = registry
        self.bindings = bindings
    }

    mutating func fail(_ message: String, at range: SourceRange, suggestion: String? = nil) -> ResolvedValue? {
        diagnostics.append(.error(message, at: range, suggestion: suggestion))
        return nil
    }

    /// `expr` as a value of `type`; `context` names the slot in messages, e.g. "`lr` of `.sgd`".
    mutating func resolve(_ expr: CellExpr, as type: ValueType, context: String) -> ResolvedValue? {
        func mismatch(_ self_: inout ExpressionResolver) -> ResolvedValue? {
            self_.fail("\(context) expects \(type.description), found \(expr.formDescription)", at: expr.range)
        }
        switch (type, expr.kind) {
        case (.int(let bounds, let allowed), .integer(let i)):
            if let allowed, !allowed.contains(i) {
                return fail("\(context) must be one of \(allowed.map(String.init).joined(separator: ", ")), found \(i)", at: expr.range)
            }
            return bounds.contains(Double(i)) ? .int(i) : fail("\(context) must be \(bounds), found \(i)", at: expr.range)
        case (.number(let bounds), .integer(let i)):
            return bounds.contains(Double(i)) ? .number(Double(i)) : fail("\(context) must be \(bounds), found \(i)", at: expr.range)
        case (.number(let bounds), .float(let x)):
            return bounds.contains(x) ? .number(x) : fail("\(context) must be \(bounds), found \(x)", at: expr.range)
        case (.string, .string(let s)): return .string(s)
        case (.bool, .bool(let b)): return .bool(b)
        case (.enumeration(let schema), .enumCase(let name, let arguments)):
            guard let caseSchema = schema.case(named: name.text) else {
                let near = Suggestion.nearest(to: name.text, in: schema.cases.map(\.name))
                return fail(Suggestion.message("`.\(name.text)` is not a `\(schema.name)` case", nearest: near.map { ".\($0)" }),
                            at: name.range, suggestion: near)
            }
            guard let args = resolveArguments(arguments ?? [], signature: caseSchema.signature,
                                              owner: "`.\(name.text)`", ownerRange: name.range) else { return nil }
            return .enumCase(name.text, args)
        case (.array(let element, let minCount, let maxCount), .array(let items)):
            var values: [ResolvedValue] = []
            var failed = false
            for item in items {
                if let v = resolve(item, as: element, context: context) { values.append(v) } else { failed = true }
            }
            if failed { return nil }
            if let maxCount, maxCount == minCount, values.count != minCount {
                return fail("\(context) needs exactly \(minCount) element\(minCount == 1 ? "" : "s"), found \(values.count)",
                            at: expr.range)
            }
            guard values.count >= minCount else {
                return fail("\(context) needs at least \(minCount) element\(minCount == 1 ? "" : "s")", at: expr.range)
            }
            if let maxCount, values.count > maxCount {
                return fail("\(context) takes at most \(maxCount) element\(maxCount == 1 ? "" : "s"), found \(values.count)",
                            at: expr.range)
            }
            return .array(values)
        case (.reference(let kind), .name), (.reference(let kind), .call), (.reference(let kind), .method):
            guard let (found, value) = resolveStatement(expr) else { return nil }
            guard found == kind else {
                return fail("\(context) expects \(type.description), found \(expr.formDescription), which is a `\(found)`",
                            at: expr.range)
            }
            if case .name(let name) = expr.kind { return .reference(name, path: []) }
            return value
        case (.member(let kind), .member(let base, let member)):
            guard case .name(let name) = base.kind else { return mismatch(&self) }
            guard let binding = lookup(name, at: base.range) else { return nil }
            guard binding.kind == kind else {
                return fail("\(context) expects a result of an `\(kind)`, but `\(name)` is an `\(binding.kind)`", at: base.range)
            }
            return checkMember(member, of: kind) ? .reference(name, path: [member.text]) : nil
        case (.oneOf(let types), _):
            return resolveOneOf(expr, types: types, context: context)
        default:
            return mismatch(&self)
        }
    }

    /// The first alternative that accepts `expr`; if none does, the errors of the first whose form fits.
    private mutating func resolveOneOf(_ expr: CellExpr, types: [ValueType], context: String) -> ResolvedValue? {
        var firstFitting: [Diagnostic]?
        for type in types {
            var attempt = ExpressionResolver(registry: registry, bindings: bindings)
            if let value = attempt.resolve(expr, as: type, context: context), attempt.diagnostics.isEmpty { return value }
            if firstFitting == nil, type.fits(expr) { firstFitting = attempt.diagnostics }
        }
        if let firstFitting { diagnostics += firstFitting; return nil }
        return fail("\(context) expects \(ValueType.oneOf(types).description), found \(expr.formDescription)", at: expr.range)
    }

    /// Whether `member` is a declared result of kind `kind`; reports it (with a did-you-mean) when not.
    mutating func checkMember(_ member: CellName, of kind: String) -> Bool {
        let members = registry.schema(ofKind: kind)?.members.map(\.name) ?? []
        if members.contains(member.text) { return true }
        let near = Suggestion.nearest(to: member.text, in: members)
        _ = fail(Suggestion.message("`\(kind)` has no result `\(member.text)`", nearest: near), at: member.range, suggestion: near)
        return false
    }

    /// The member a path such as `published.top1` names under kind `kind`, or nil after reporting the first step
    /// that is not declared (with a did-you-mean) or a path that stops at a group of results.
    mutating func checkMemberPath(_ path: [CellName], of kind: String) -> MemberSchema? {
        var members = registry.schema(ofKind: kind)?.members ?? []
        var owner = "`\(kind)`"
        for (i, step) in path.enumerated() {
            guard let member = members.first(where: { $0.name == step.text }) else {
                let near = Suggestion.nearest(to: step.text, in: members.map(\.name))
                _ = fail(Suggestion.message("\(owner) has no result `\(step.text)`", nearest: near), at: step.range, suggestion: near)
                return nil
            }
            if i == path.count - 1 {
                guard member.members.isEmpty else {
                    let names = member.members.map { "`\(step.text).\($0.name)`" }.joined(separator: ", ")
                    _ = fail("`\(step.text)` is a group of results; name one: \(names)", at: step.range)
                    return nil
                }
                return member
            }
            members = member.members
            owner = "`\(step.text)`"
        }
        return nil
    }

    /// Checks the argument written after a result against the one it takes (none, or one of its type and label).
    mutating func checkArgument(_ argument: CellArgument?, of member: MemberSchema, at range: SourceRange) {
        switch (argument, member.argument) {
        case (nil, nil): return
        case let (a?, nil):
            _ = fail("`\(member.name)` takes no argument; write `\(member.name)`", at: range.union(a.value.range))
        case let (nil, expected?):
            let usage = member.name + "(" + (expected.label.map { $0 + ": " } ?? "") + expected.example + ")"
            _ = fail("`\(member.name)` is read at \(expected.doc); write it as `\(usage)`", at: range)
        case let (a?, expected?):
            if a.label?.text != expected.label {
                let want = expected.label.map { "`\($0):`" } ?? "no label"
                _ = fail("`\(member.name)` takes its argument with \(want), as in `\(member.name)(\(expected.label.map { $0 + ": " } ?? "")\(expected.example))`",
                         at: a.label?.range ?? a.value.range)
                return
            }
            _ = resolve(a.value, as: expected.type, context: "`\(member.name)`")
        }
    }

    /// The binding `name`, or nil after reporting an unknown name. A binding whose own statement failed is
    /// returned as nil without a report, so one mistake yields one error.
    mutating func lookup(_ name: String, at range: SourceRange) -> Binding? {
        guard let binding = bindings[name] else {
            let near = Suggestion.nearest(to: name, in: bindings.ordered.map(\.name.text))
            _ = fail(Suggestion.message("unknown binding `\(name)`", nearest: near), at: range, suggestion: near)
            return nil
        }
        return binding.value == nil ? nil : binding
    }

    /// Matches `arguments` to `signature`: positional parameters, then the variadic run, labels in any order;
    /// fills in defaults. Returns nil when any argument failed (all failures are reported).
    mutating func resolveArguments(_ arguments: [CellArgument], signature: Signature, owner: String,
                                   ownerRange: SourceRange) -> [ResolvedArgument]? {
        var match = ArgumentMatch()
        for argument in arguments {
            if let label = argument.label {
                matchLabelled(argument, label: label, signature: signature, owner: owner, into: &match)
            } else {
                matchUnlabelled(argument, signature: signature, owner: owner, into: &match)
            }
        }
        let resolved = completeArguments(match: &match, signature: signature, owner: owner, ownerRange: ownerRange)
        return match.failed ? nil : resolved
    }

    /// An unlabelled argument: the next positional parameter, else one more variadic element, else an
    /// error (naming the label it probably lacks when a required labelled parameter fits it).
    private mutating func matchUnlabelled(_ argument: CellArgument, signature: Signature, owner: String,
                                          into match: inout ArgumentMatch) {
        let positional = signature.positional
        if match.nextPositional < positional.count {
            let parameter = positional[match.nextPositional]
            match.nextPositional += 1
            match.written.insert(parameter.name)
            if let v = resolve(argument.value, as: parameter.type, context: "`\(parameter.name)` of \(owner)") {
                match.given[parameter.name] = v
            } else { match.failed = true }
        } else if let variadic = signature.variadic {
            match.variadicWritten += 1
            if let v = resolve(argument.value, as: variadic.element, context: "`\(variadic.name)` of \(owner)") {
                match.variadicValues.append(v)
            } else { match.failed = true }
        } else if let parameter = signature.labelled.first(where: {
            $0.default == .required && !match.written.contains($0.name) && $0.type.fits(argument.value)
        }) {
            match.failed = true
            _ = fail("missing label `\(parameter.name):` for this argument of \(owner)", at: argument.range,
                     suggestion: "\(parameter.name): ")
            match.written.insert(parameter.name)
            _ = resolve(argument.value, as: parameter.type, context: "`\(parameter.name)` of \(owner)")
        } else {
            match.failed = true
            _ = fail("unexpected unlabelled argument; \(owner) takes labelled arguments only", at: argument.range)
        }
    }

    /// A labelled argument: its parameter, or an error for a positional parameter written with a label,
    /// an unknown label (with did-you-mean) or a label given twice.
    private mutating func matchLabelled(_ argument: CellArgument, label: CellName, signature: Signature,
                                        owner: String, into match: inout ArgumentMatch) {
        guard let parameter = signature.labelled.first(where: { $0.name == label.text }) else {
            match.failed = true
            if let parameter = signature.positional.first(where: { $0.name == label.text }) {
                _ = fail("`\(label.text)` of \(owner) is written without a label", at: label.range)
                match.written.insert(parameter.name)
                match.given[parameter.name] = resolve(argument.value, as: parameter.type, context: "`\(parameter.name)` of \(owner)")
            } else {
                let near = Suggestion.nearest(to: label.text, in: signature.labelled.map(\.name))
                _ = fail(Suggestion.message("unknown argument `\(label.text)` for \(owner)", nearest: near),
                         at: label.range, suggestion: near)
            }
            return
        }
        if match.written.contains(label.text) {
            match.failed = true
            _ = fail("argument `\(label.text)` is given twice", at: label.range)
            return
        }
        match.written.insert(label.text)
        if let v = resolve(argument.value, as: parameter.type, context: "`\(label.text)` of \(owner)") {
            match.given[label.text] = v
        } else { match.failed = true }
    }

    /// The arguments in the signature's resolved order: given values, the variadic run (checking its
    /// minimum count), defaults for the rest, and an error for each missing required one.
    private mutating func completeArguments(match: inout ArgumentMatch, signature: Signature, owner: String,
                                            ownerRange: SourceRange) -> [ResolvedArgument] {
        var resolved: [ResolvedArgument] = []
        for name in signature.resolvedOrder {
            if let variadic = signature.variadic, variadic.name == name {
                if match.variadicWritten < variadic.minCount {
                    match.failed = true
                    _ = fail("\(owner) needs at least \(variadic.minCount) unlabelled `\(variadic.name)` argument"
                             + (variadic.minCount == 1 ? "" : "s"), at: ownerRange)
                }
                resolved.append(ResolvedArgument(name, .array(match.variadicValues)))
                continue
            }
            let parameter = signature.parameters.first { $0.name == name }!
            if let v = match.given[name] { resolved.append(ResolvedArgument(name, v)); continue }
            if match.written.contains(name) { continue }
            switch parameter.default {
            case .value(let v): resolved.append(ResolvedArgument(name, parameter.type.conform(v) ?? v))
            case .absent: resolved.append(ResolvedArgument(name, .null))
            case .required:
                match.failed = true
                _ = fail("missing argument `\(name)` for \(owner)", at: ownerRange)
            }
        }
        return resolved
    }
}

/// Arguments matched so far against a signature while checking one call.
private struct ArgumentMatch {
    var given: [String: ResolvedValue] = [:]
    /// Parameters written, even if their value failed (no "missing" report then).
    var written = Set<String>()
    var variadicValues: [ResolvedValue] = []
    var variadicWritten = 0
    var nextPositional = 0
    var failed = false
}

extension ValueType {
    /// Whether `expr` has the right form for this type, ignoring its contents (chooses which `oneOf` error to show).
    func fits(_ expr: CellExpr) -> Bool {
        switch (self, expr.kind) {
        case (.int, .integer), (.number, .integer), (.number, .float), (.string, .string), (.bool, .bool),
             (.enumeration, .enumCase), (.array, .array), (.reference, .name), (.reference, .call),
             (.reference, .method), (.member, .member):
            return true
        case (.oneOf(let types), _): return types.contains { $0.fits(expr) }
        default: return false
        }
    }
}
