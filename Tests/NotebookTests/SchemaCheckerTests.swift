// Tests of the checker: located type, range, name and label errors with did-you-mean, defaults, .with, bindings.
import Testing
@testable import Notebook

/// A notebook whose config cells are `cells`, separated by one prose line; cell k's first line is 2 + 4k
/// when each cell is one line long.
func notebook(_ cells: String...) -> Document {
    Document(text: cells.map { "```swift config\n\($0)\n```\n" }.joined(separator: "Prose.\n"), fileName: "study.md")
}

func check(_ cells: String...) -> NotebookCheck {
    Checker(registry: Example.registry).check(Document(
        text: cells.map { "```swift config\n\($0)\n```\n" }.joined(separator: "Prose.\n"), fileName: "study.md"))
}

@Suite struct SchemaCheckerTests {
    let base = "let base = Experiment(model: .resnet(depth: 18))"

    func only(_ result: NotebookCheck) throws -> Diagnostic {
        #expect(result.diagnostics.count == 1, "\(result.diagnostics)")
        return try #require(result.diagnostics.first)
    }

    @Test func unknownLabelSuggestsNearest() throws {
        let source = "let base = Experiment(\n    model: .resnet(depth: 18),\n    optimizer: .sgd(lr: 0.1, weightDecy: 5e-4))"
        let document = notebook(source)
        let d = try only(Checker(registry: Example.registry).check(document))
        #expect(d.message == "unknown argument `weightDecy` for `.sgd`; did you mean `weightDecay`?")
        #expect(d.suggestion == "weightDecay")
        #expect(d.rendered(in: document.source) == """
        study.md:4:30: error: unknown argument `weightDecy` for `.sgd`; did you mean `weightDecay`?
            optimizer: .sgd(lr: 0.1, weightDecy: 5e-4))
                                     ^~~~~~~~~~
        """)
    }

    @Test(arguments: [
        ("let base = Experment(model: .resnet(depth: 18))", 12, "unknown call `Experment`; did you mean `Experiment`?"),
        ("let base = Experiment(model: .resnt(depth: 18))", 31, "`.resnt` is not a `Model` case; did you mean `.resnet`?"),
        ("let base = Experiment(model: .resnet(depth: 18), batchsize: 64)", 50,
         "unknown argument `batchsize` for `Experiment`; did you mean `batchSize`?"),
        ("let base = Experiment(model: .resnet(depth: 18), optimizer: .sgd(lr: -0.1))", 70, "`lr` of `.sgd` must be > 0, found -0.1"),
        ("let base = Experiment(model: .resnet(depth: 18), batchSize: 0)", 61, "`batchSize` of `Experiment` must be >= 1, found 0"),
        ("let base = Experiment(model: .resnet(depth: 19))", 45, "`depth` of `.resnet` must be one of 18, 34, 50, 101, 152, found 19"),
        ("let base = Experiment(model: .resnet(depth: 18), epochs: \"ten\")", 58,
         "`epochs` of `Experiment` expects an integer >= 0, found a string"),
        ("let base = Experiment(model: .resnet(depth: 18), epochs: 1.5)", 58,
         "`epochs` of `Experiment` expects an integer >= 0, found a number"),
        ("let base = Experiment(model: .resnet)", 31, "missing argument `depth` for `.resnet`"),
        ("let base = Experiment(epochs: 3)", 12, "missing argument `model` for `Experiment`"),
        ("let base = Experiment(model: .resnet(depth: 18), epochs: 1, epochs: 2)", 61, "argument `epochs` is given twice"),
        ("let base = Experiment(.resnet(depth: 18))", 23, "missing label `model:` for this argument of `Experiment`"),
        ("let base = Experiment(model: .resnet(depth: 18), 5)", 50,
         "unexpected unlabelled argument; `Experiment` takes labelled arguments only"),
        ("let base = Experiment(model: .resnet(depth: 18), seeds: \"x\")", 57,
         "`seeds` of `Experiment` expects an integer >= 1 or an array of integers, found a string"),
        ("let base = Experiment(model: .resnet(depth: 18), seeds: 0)", 57, "`seeds` of `Experiment` must be >= 1, found 0"),
        ("let base = Experiment(model: .resnet(depth: 18), augment: .horizontalFlip)", 59,
         "`augment` of `Experiment` expects an array of `Augment` cases, found the case `.horizontalFlip`"),
        ("let base = Experiment(model: .resnet(depth: 18), schedule: .step(milestones: []))", 78,
         "`milestones` of `.step` needs at least 1 element"),
        ("Table()", 1, "`Table` needs at least 1 unlabelled `runs` argument"),
        ("let x = 3", 9, "a statement must be a call such as `Experiment(...)` or a derivation such as `base.with(...)`, found an integer"),
    ] as [(String, Int, String)])
    func locatedErrors(source: String, column: Int, message: String) throws {
        let d = try only(check(source))
        #expect(d.message == message)
        #expect(d.range.start == SourcePosition(line: 2, column: column))
    }

    /// An array type's element-count bounds: exactly n when both are n, else at least / at most, each at the array.
    @Test func arrayCountBounds() throws {
        func errors(_ type: ValueType, _ literal: String) -> [String] {
            let registry = SchemaRegistry([CallSchema("Pick", [ParameterSchema("xs", type)])])
            return Checker(registry: registry).check(Document(text: "```swift config\nPick(xs: \(literal))\n```\n", fileName: "t.md"))
                .diagnostics.map { "\($0.range.start.column): \($0.message)" }
        }
        let three = ValueType.array(of: .number(), minCount: 3, maxCount: 3)
        #expect(errors(three, "[1, 2, 3]") == [])
        #expect(errors(three, "[1, 2]") == ["10: `xs` of `Pick` needs exactly 3 elements, found 2"])
        #expect(errors(three, "[1, 2, 3, 4]") == ["10: `xs` of `Pick` needs exactly 3 elements, found 4"])
        let few = ValueType.array(of: .int(), minCount: 1, maxCount: 2)
        #expect(errors(few, "[]") == ["10: `xs` of `Pick` needs at least 1 element"])
        #expect(errors(few, "[1, 2, 3]") == ["10: `xs` of `Pick` takes at most 2 elements, found 3"])
        // Defaults are held to the same bounds.
        #expect(three.conform(.array([.int(1), .int(2)])) == nil)
        #expect(three.conform(.array([.int(1), .int(2), .int(3)])) == .array([.number(1), .number(2), .number(3)]))
    }

    @Test func referenceErrors() throws {
        let unknown = try only(check(base, "Table(bse)"))
        #expect(unknown.message == "unknown binding `bse`; did you mean `base`?")
        #expect(unknown.range.start == SourcePosition(line: 6, column: 7))
        let wrongKind = try only(check(base, "let t = Table(base)\nTable(t)"))
        #expect(wrongKind.message == "`runs` of `Table` expects a reference to an `Experiment`, found the binding `t`, which is a `Table`")
        let laterBinding = try only(check("Table(base)", base))
        #expect(laterBinding.message == "unknown binding `base`")
    }

    @Test func allCellsAreCheckedAndFailuresDoNotCascade() {
        let result = check(
            "let base = Experiment(model: .resnet(depth: 18), optimizer: .sgd(lr: 0))",
            "let se = base.with(epochs: 3)\nTable(base, se, columns: [.top1, .top6])",
            "Curves(bse)")
        #expect(result.diagnostics.map(\.description) == [
            "2:70: error: `lr` of `.sgd` must be > 0, found 0",
            "7:35: error: `.top6` is not a `Column` case; did you mean `.top1`?",
            "11:8: error: unknown binding `bse`; did you mean `base`?",
        ])
        #expect(result.bindings.ordered.map(\.name.text) == ["base", "se"])
        #expect(result.bindings["base"]?.value == nil)
        #expect(result.cells.map(\.hasErrors) == [true, true, true])
    }

    @Test func defaultsAreFilledIn() throws {
        let result = check(base)
        #expect(result.diagnostics.isEmpty)
        let value = try #require(result.cells.first?.statements.first?.value)
        #expect(value["model"] == .case("resnet", [ResolvedArgument("depth", 18), ResolvedArgument("width", 64),
                                                   ResolvedArgument("stem", .case("cifar")),
                                                   ResolvedArgument("attention", .case("none")),
                                                   ResolvedArgument("classes", .null)]))
        #expect(value["data"] == .case("shapes", [ResolvedArgument("classes", 10), ResolvedArgument("train", 8000),
                                                  ResolvedArgument("test", 2000)]))
        #expect(value["optimizer"] == .case("sgd", [ResolvedArgument("lr", 0.1), ResolvedArgument("momentum", 0.9),
                                                    ResolvedArgument("weightDecay", 5e-4), ResolvedArgument("nesterov", false)]))
        #expect(value["schedule"] == .case("cosine", [ResolvedArgument("warmupEpochs", 0), ResolvedArgument("warmupLR", .number(0))]))
        #expect(value["labelSmoothing"] == .number(0))
        #expect(value["teacher"] == .null)
        #expect(value["augment"] == [])
    }

    @Test func withDerivesAVariant() throws {
        let result = check(base, "let se = base.with(model: .resnet(depth: 18, attention: .se), epochs: 30)\nlet se2 = se.with(seed: 1)")
        #expect(result.diagnostics.isEmpty)
        let values = result.cells.flatMap(\.statements)
        let (b, se, se2) = (values[0].value, values[1].value, values[2].value)
        #expect(values.map(\.kind) == ["Experiment", "Experiment", "Experiment"])
        #expect(se["epochs"] == 30 && b["epochs"] == 15)
        #expect(se["model"]?["attention"] == .case("se"))
        #expect(se["optimizer"] == b["optimizer"])
        #expect(se2["seed"] == 1 && se2["epochs"] == 30)
        let direct = check("Experiment(model: .resnet(depth: 18, attention: .se), epochs: 30)")
        #expect(direct.cells[0].statements[0].canonicalJSON == values[1].canonicalJSON)
    }

    @Test func withErrors() {
        let result = check(base, "let a = base.with(epoch: 3)\nlet t = Table(base)\nlet u = t.with(title: \"x\")\nbase.wth(seed: 2)")
        #expect(result.diagnostics.map(\.description) == [
            "6:19: error: unknown argument `epoch` for `Experiment`; did you mean `epochs`?",
            "8:11: error: `.with(...)` derives variants of calls such as `Experiment`; this `Table` has no variants",
            "9:6: error: unknown method `.wth`; values only support `.with(...)`; did you mean `with`?",
        ])
    }

    @Test func redeclarationHasANote() throws {
        let document = notebook(base, base)
        let d = try only(Checker(registry: Example.registry).check(document))
        #expect(d.message == "invalid redeclaration of `base`")
        #expect(d.notes.map(\.description) == ["2:5: note: `base` was first declared here"])
    }

    @Test func positionalVariadicAndInlineCalls() throws {
        let result = check(base, """
        Sweep(base, lr: [0.1, 1])
        Table(base, Experiment(model: .vit()), columns: [.top1, .params])
        Sweep(base: base)
        """)
        #expect(result.diagnostics.map(\.description) == ["8:7: error: `base` of `Sweep` is written without a label"])
        let statements = result.cells[1].statements
        #expect(statements[0].value["base"] == .reference("base", path: []))
        #expect(statements[0].value["lr"] == [.number(0.1), .number(1)])
        guard case .array(let runs)? = statements[1].value["runs"] else { Issue.record("runs"); return }
        #expect(runs.count == 2 && runs[1].name == "Experiment")
        #expect(statements[1].value.referencedBindings == ["base"])
    }

    @Test func inlineReferencesAreChecked() {
        let document = Document(text: """
        ```swift config
        let aa = Experiment(model: .resnet(depth: 18))
        ```
        AutoAugment reaches `= aa.top1`, not `= aa.top2`; `= ab.top1` is a typo.
        """, fileName: "study.md")
        let result = Checker(registry: Example.registry).check(document)
        #expect(result.diagnostics.map(\.description) == [
            "4:44: error: `Experiment` has no result `top2`; did you mean `top1`?",
            "4:54: error: unknown binding `ab`; did you mean `aa`?",
        ])
    }
}
