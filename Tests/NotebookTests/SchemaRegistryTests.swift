// The example vocabulary the Notebook tests check cells against, and tests of the registry itself.
import Testing
@testable import Notebook

/// A small vocabulary in the shape of Loom's (docs/design.md §3.3): Experiment, Table, Curves, Sweep.
enum Example {
    static let attention = EnumSchema("Attention", cases: [CaseSchema("none"), CaseSchema("se"), CaseSchema("cbam")])
    static let stem = EnumSchema("Stem", cases: [CaseSchema("cifar"), CaseSchema("imagenet")])

    static let model = EnumSchema("Model", cases: [
        CaseSchema("resnet", [
            ParameterSchema("depth", .int(allowed: [18, 34, 50, 101, 152])),
            ParameterSchema("width", .int(.atLeast(1)), default: 64),
            ParameterSchema("stem", .enumeration(stem), default: .case("cifar")),
            ParameterSchema("attention", .enumeration(attention), default: .case("none")),
            ParameterSchema("classes", .int(.atLeast(1)), default: .absent),
        ]),
        CaseSchema("vit", [
            ParameterSchema("patch", .int(.atLeast(1)), default: 4),
            ParameterSchema("dim", .int(.atLeast(1)), default: 192),
            ParameterSchema("depth", .int(.atLeast(1)), default: 12),
            ParameterSchema("heads", .int(.atLeast(1)), default: 3),
        ]),
    ])

    static let data = EnumSchema("Data", cases: [
        CaseSchema("shapes", [
            ParameterSchema("classes", .int(.atLeast(2)), default: 10),
            ParameterSchema("train", .int(.atLeast(1)), default: 8_000),
            ParameterSchema("test", .int(.atLeast(1)), default: 2_000),
        ]),
        CaseSchema("cifar100", [ParameterSchema("path", .string, default: "cifar-100-binary")]),
    ])

    static let policy = EnumSchema("Policy", cases: [CaseSchema("cifar10"), CaseSchema("imagenet")])
    static let augment = EnumSchema("Augment", cases: [
        CaseSchema("randomCrop", [ParameterSchema("padding", .int(.nonNegative), default: 4)]),
        CaseSchema("horizontalFlip"),
        CaseSchema("autoAugment", [ParameterSchema("policy", .enumeration(policy), positional: true, default: .case("cifar10"))]),
        CaseSchema("randomErasing", [ParameterSchema("p", .number(.within(0...1)), default: 0.5)]),
    ])

    static let optimizer = EnumSchema("Optimizer", cases: [
        CaseSchema("sgd", [
            ParameterSchema("lr", .number(.positive)),
            ParameterSchema("momentum", .number(.within(0..<1)), default: 0.9),
            ParameterSchema("weightDecay", .number(.nonNegative), default: 5e-4),
            ParameterSchema("nesterov", .bool, default: false),
        ]),
        CaseSchema("adamw", [
            ParameterSchema("lr", .number(.positive)),
            ParameterSchema("betas", .array(of: .number(.within(0..<1)), minCount: 2), default: [0.9, 0.999]),
            ParameterSchema("weightDecay", .number(.nonNegative), default: 0.05),
        ]),
    ])

    static let schedule = EnumSchema("Schedule", cases: [
        CaseSchema("constant"),
        CaseSchema("cosine", [
            ParameterSchema("warmupEpochs", .int(.nonNegative), default: 0),
            ParameterSchema("warmupLR", .number(.nonNegative), default: 0),
        ]),
        CaseSchema("step", [
            ParameterSchema("milestones", .array(of: .int(.atLeast(1)), minCount: 1)),
            ParameterSchema("gamma", .number(.positive), default: 0.1),
        ]),
    ])

    static let column = EnumSchema("Column", cases: ["model", "augment", "top1", "top5", "params", "trainTime"].map { CaseSchema($0) })

    static let experiment = CallSchema("Experiment", [
        ParameterSchema("model", .enumeration(model)),
        ParameterSchema("data", .enumeration(data), default: .case("shapes")),
        ParameterSchema("augment", .array(of: .enumeration(augment)), default: []),
        ParameterSchema("optimizer", .enumeration(optimizer), default: .case("sgd", [ResolvedArgument("lr", 0.1)])),
        ParameterSchema("schedule", .enumeration(schedule), default: .case("cosine")),
        ParameterSchema("epochs", .int(.nonNegative), default: 15),
        ParameterSchema("batchSize", .int(.atLeast(1)), default: 128),
        ParameterSchema("seed", .int(), default: 0),
        ParameterSchema("seeds", .oneOf([.int(.atLeast(1)), .array(of: .int(), minCount: 1)]), default: 1),
        ParameterSchema("labelSmoothing", .number(.within(0..<1)), default: 0),
        ParameterSchema("teacher", .reference(kind: "Experiment"), default: .absent),
    ], members: ["top1", "top5", "params", "trainTime"].map { MemberSchema($0) }, doc: "Trains and evaluates a model.")

    static let table = CallSchema("Table", [
        ParameterSchema("columns", .array(of: .enumeration(column), minCount: 1), default: [.case("top1")]),
        ParameterSchema("title", .string, default: ""),
    ], variadic: VariadicSchema("runs", .reference(kind: "Experiment"), minCount: 1), derivable: false)

    static let curves = CallSchema("Curves", [
        ParameterSchema("metric", .enumeration(EnumSchema("Metric", cases: [CaseSchema("testTop1"), CaseSchema("trainLoss")])),
                        default: .case("testTop1")),
    ], variadic: VariadicSchema("runs", .reference(kind: "Experiment"), minCount: 1), derivable: false)

    static let sweep = CallSchema("Sweep", [
        ParameterSchema("base", .reference(kind: "Experiment"), positional: true),
        ParameterSchema("lr", .array(of: .number(.positive)), default: []),
        ParameterSchema("batchSize", .array(of: .int(.atLeast(1))), default: []),
    ])

    static let registry = SchemaRegistry([experiment, table, curves, sweep])
}

@Suite struct SchemaRegistryTests {
    @Test func exampleRegistryIsSound() {
        #expect(Example.registry.validate() == [])
    }

    @Test(arguments: Example.registry.calls.map(\.name))
    func everyEntryResolvesByName(_ name: String) {
        let schema = Example.registry.call(named: name)
        #expect(schema?.name == name)
        #expect(Example.registry.schema(ofKind: schema!.kind) != nil)
    }

    @Test func validateReportsBadDeclarations() {
        let bad = SchemaRegistry([
            CallSchema("Bad", [
                ParameterSchema("lr", .number(.positive), default: -1),
                ParameterSchema("lr", .int()),
                ParameterSchema("run", .reference(kind: "Nothing"), positional: true),
            ]),
        ])
        let problems = bad.validate()
        #expect(problems.contains("Bad: parameter `lr` is declared twice"))
        #expect(problems.contains("Bad: positional parameters must come before labelled ones"))
        #expect(problems.contains("Bad: default -1 of `lr` is not a number > 0"))
        #expect(problems.contains("Bad.run: no call produces kind `Nothing`"))
    }

    @Test func conformWidensIntegersAndFillsCaseDefaults() {
        #expect(ValueType.number(.positive).conform(1) == .number(1))
        #expect(ValueType.number(.positive).conform(0) == nil)
        let sgd = ValueType.enumeration(Example.optimizer).conform(.case("sgd", [ResolvedArgument("lr", 1)]))
        #expect(sgd == .case("sgd", [ResolvedArgument("lr", .number(1)), ResolvedArgument("momentum", 0.9),
                                     ResolvedArgument("weightDecay", 5e-4), ResolvedArgument("nesterov", false)]))
    }

    @Test func suggestionUsesEditDistance() {
        #expect(Suggestion.distance("weightDecy", "weightDecay") == 1)
        #expect(Suggestion.nearest(to: "weightDecy", in: ["lr", "momentum", "weightDecay"]) == "weightDecay")
        #expect(Suggestion.nearest(to: "Batchsize", in: ["batchSize", "seed"]) == "batchSize")
        #expect(Suggestion.nearest(to: "xyz", in: ["lr", "momentum"]) == nil)
    }
}
