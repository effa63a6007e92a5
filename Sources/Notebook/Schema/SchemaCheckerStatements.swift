// Checking statement values: top-level calls, `.with(...)` derivations and references to bindings.

extension ExpressionResolver {
    /// The kind and value of a statement-level expression: `Call(...)`, `binding`, or `base.with(...)`.
    mutating func resolveStatement(_ expr: CellExpr) -> (kind: String, value: ResolvedValue)? {
        switch expr.kind {
        case .call(let name, let arguments):
            guard let schema = registry.call(named: name.text) else {
                let near = Suggestion.nearest(to: name.text, in: registry.calls.map(\.name))
                _ = fail(Suggestion.message("unknown call `\(name.text)`", nearest: near), at: name.range, suggestion: near)
                return nil
            }
            guard let args = resolveArguments(arguments, signature: schema.signature, owner: "`\(name.text)`",
                                              ownerRange: name.range) else { return nil }
            return (schema.kind, .call(name.text, args))
        case .name(let name):
            guard let binding = lookup(name, at: expr.range), let value = binding.value else { return nil }
            return (binding.kind, value)
        case .method(let base, let name, let arguments):
            guard name.text == "with" else {
                let near = Suggestion.nearest(to: name.text, in: ["with"])
                _ = fail(Suggestion.message("unknown method `.\(name.text)`; values only support `.with(...)`", nearest: near),
                         at: name.range, suggestion: near)
                return nil
            }
            guard let (kind, value) = resolveStatement(base) else { return nil }
            return derive(value, kind: kind, arguments: arguments, at: name.range)
        default:
            _ = fail("a statement must be a call such as `Experiment(...)` or a derivation such as `base.with(...)`, "
                     + "found \(expr.formDescription)", at: expr.range)
            return nil
        }
    }

    /// `base.with(label: value, ...)`: the base call with those labelled arguments replaced, each checked
    /// against the base call's own schema.
    private mutating func derive(_ base: ResolvedValue, kind: String, arguments: [CellArgument],
                                 at range: SourceRange) -> (kind: String, value: ResolvedValue)? {
        guard case .call(let callName, _) = base, let schema = registry.call(named: callName), schema.derivable else {
            _ = fail("`.with(...)` derives variants of calls such as `Experiment`; this `\(kind)` has no variants", at: range)
            return nil
        }
        let owner = "`\(callName)`"
        var overrides: [ResolvedArgument] = []
        var failed = false
        for argument in arguments {
            guard let label = argument.label else {
                failed = true
                _ = fail("`.with(...)` takes labelled arguments only, such as `epochs: 30`", at: argument.range)
                continue
            }
            guard let parameter = schema.signature.labelled.first(where: { $0.name == label.text }) else {
                failed = true
                let near = Suggestion.nearest(to: label.text, in: schema.signature.labelled.map(\.name))
                _ = fail(Suggestion.message("unknown argument `\(label.text)` for \(owner)", nearest: near),
                         at: label.range, suggestion: near)
                continue
            }
            if overrides.contains(where: { $0.label == label.text }) {
                failed = true
                _ = fail("argument `\(label.text)` is given twice", at: label.range)
                continue
            }
            if let value = resolve(argument.value, as: parameter.type, context: "`\(label.text)` of \(owner)") {
                overrides.append(ResolvedArgument(label.text, value))
            } else { failed = true }
        }
        if arguments.isEmpty {
            diagnostics.append(Diagnostic(.warning, "`.with()` without arguments derives an identical copy", at: range))
        }
        return failed ? nil : (kind, base.overriding(overrides))
    }
}
