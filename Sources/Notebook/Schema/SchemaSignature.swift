// Schema signatures: parameter lists of calls and enum cases, and the call schemas a registry holds.

/// The parameters of a call or enum case: labelled and positional parameters, plus an optional variadic run.
public struct Signature: Hashable, Sendable {
    /// In declaration order; positional (unlabelled) parameters come first in a call.
    public var parameters: [ParameterSchema]
    /// Unlabelled arguments after the positional parameters, e.g. the runs of `Table(base, se, columns: ...)`.
    public var variadic: VariadicSchema?

    public init(_ parameters: [ParameterSchema] = [], variadic: VariadicSchema? = nil) {
        self.parameters = parameters
        self.variadic = variadic
    }

    var positional: [ParameterSchema] { parameters.filter(\.positional) }
    var labelled: [ParameterSchema] { parameters.filter { !$0.positional } }

    /// The resolved argument order: positional parameters, the variadic run, then labelled parameters.
    var resolvedOrder: [String] {
        positional.map(\.name) + (variadic.map { [$0.name] } ?? []) + labelled.map(\.name)
    }
}

/// One parameter: its label (or positional name), type, and default.
public struct ParameterSchema: Hashable, Sendable {
    /// What an omitted parameter resolves to.
    public enum Default: Hashable, Sendable {
        /// The argument must be written.
        case required
        /// Omitted resolves to `null` (e.g. `teacher:`, or `classes:` that defaults to the dataset's).
        case absent
        /// Omitted resolves to this value, with the value's own defaults filled in.
        case value(ResolvedValue)
    }

    /// The label, or for a positional parameter the key its value resolves under.
    public var name: String
    public var type: ValueType
    /// Written without a label (`.autoAugment(.cifar10)`, `Sweep(base, ...)`).
    public var positional: Bool
    public var `default`: Default
    public var doc: String

    public init(_ name: String, _ type: ValueType, positional: Bool = false, default: Default = .required, doc: String = "") {
        self.name = name
        self.type = type
        self.positional = positional
        self.default = `default`
        self.doc = doc
    }

    /// A parameter that defaults to `value`.
    public init(_ name: String, _ type: ValueType, positional: Bool = false, default value: ResolvedValue, doc: String = "") {
        self.init(name, type, positional: positional, default: .value(value), doc: doc)
    }
}

/// A run of unlabelled arguments, resolved as an array under `name`.
public struct VariadicSchema: Hashable, Sendable {
    public var name: String
    public var element: ValueType
    public var minCount: Int
    public var doc: String

    public init(_ name: String, _ element: ValueType, minCount: Int = 0, doc: String = "") {
        self.name = name
        self.element = element
        self.minCount = minCount
        self.doc = doc
    }
}

/// A readable result of a kind, e.g. `top1` of an `Experiment`, used as `aa.top1`.
public struct MemberSchema: Hashable, Sendable {
    public var name: String
    public var doc: String
    /// Results nested under this one (`aa.published.top1`); a member with any is not a result by itself.
    public var members: [MemberSchema]
    /// Whether the result is text (e.g. a published train time as written), so no difference can be taken of it.
    public var isText: Bool
    /// The one argument a result takes (`lowPass(4)`, `noiseDrop(at: 0.9)`); nil for a plain member.
    public var argument: MemberArgument?

    public init(_ name: String, doc: String = "", members: [MemberSchema] = [], isText: Bool = false,
                argument: MemberArgument? = nil) {
        self.name = name
        self.doc = doc
        self.members = members
        self.isText = isText
        self.argument = argument
    }
}

/// The argument of a result that is read at a point, e.g. the cutoff of `base.lowPass(4)`.
public struct MemberArgument: Hashable, Sendable {
    /// The label it is written with (`at` in `noiseDrop(at: 0.9)`); nil when written without one.
    public var label: String?
    public var type: ValueType
    /// What it selects, e.g. "the filter radius"; used in messages.
    public var doc: String
    /// A value to show in a usage message, e.g. "4".
    public var example: String

    public init(label: String? = nil, _ type: ValueType, doc: String, example: String) {
        self.label = label
        self.type = type
        self.doc = doc
        self.example = example
    }
}

/// A top-level call of the vocabulary, e.g. `Experiment(...)` or `Table(...)`.
public struct CallSchema: Hashable, Sendable {
    public var name: String
    public var signature: Signature
    /// What a binding of this call is, for ``ValueType/reference(kind:)`` (defaults to `name`).
    public var kind: String
    /// Results readable from a binding of this call (`aa.top1`).
    public var members: [MemberSchema]
    /// Whether `binding.with(label: value, ...)` may derive variants of it.
    public var derivable: Bool
    public var doc: String

    public init(_ name: String, _ parameters: [ParameterSchema] = [], variadic: VariadicSchema? = nil,
                kind: String? = nil, members: [MemberSchema] = [], derivable: Bool = true, doc: String = "") {
        self.name = name
        self.signature = Signature(parameters, variadic: variadic)
        self.kind = kind ?? name
        self.members = members
        self.derivable = derivable
        self.doc = doc
    }
}
