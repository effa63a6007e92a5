// Tests of the vocabulary: every entry checks in a minimal cell and suggests the right name for a typo;
// the cells of docs/design.md §3.2 check; range, choice and unknown-name errors.
import Testing
@testable import Experiments
import Notebook

/// Checks `cells` (one config cell each) against the vocabulary.
func checkCells(_ cells: String...) -> NotebookCheck {
    checkCells(cells)
}

func checkCells(_ cells: [String]) -> NotebookCheck {
    Checker(registry: Vocabulary.registry()).check(Document(
        text: cells.map { "```swift config\n\($0)\n```\n" }.joined(separator: "Prose.\n"), fileName: "study.md"))
}

let baseCell = "let base = Experiment(model: .resnet(depth: 18, width: 16))"

/// One entry of the vocabulary: a minimal cell using it, and a cell with a typo and the name suggested for it.
struct Entry: CustomTestStringConvertible, Sendable {
    var name: String
    var minimal: String
    var typo: String
    var suggestion: String
    var testDescription: String { name }

    /// An enum case used as `label:` of an Experiment (the typo cell misspells `typoLabel` as `typoAs`).
    static func experimentArgument(_ name: String, _ label: String, _ value: String, typo: String, _ suggestion: String) -> Entry {
        Entry(name: name, minimal: "let e = Experiment(model: .resnet(depth: 18), \(label): \(value))",
              typo: "let e = Experiment(model: .resnet(depth: 18), \(label): \(typo))", suggestion: suggestion)
    }

    static func model(_ name: String, _ value: String, typo: String, _ suggestion: String) -> Entry {
        Entry(name: name, minimal: "let e = Experiment(model: \(value))", typo: "let e = Experiment(model: \(typo))",
              suggestion: suggestion)
    }

    static func augment(_ name: String, _ value: String, typo: String, _ suggestion: String) -> Entry {
        experimentArgument(name, "augment", "[\(value)]", typo: "[\(typo)]", suggestion)
    }
}

let entries: [Entry] = [
    // Calls.
    Entry(name: "Experiment", minimal: "let e = Experiment(model: .resnet(depth: 18))",
          typo: "let e = Experiment(model: .resnet(depth: 18), batchsize: 64)", suggestion: "batchSize"),
    Entry(name: "Sweep", minimal: baseCell + "\nlet s = Sweep(base, lr: [0.05, 0.1])",
          typo: baseCell + "\nlet s = Sweep(base, lrs: [0.05, 0.1])", suggestion: "lr"),
    Entry(name: "Table", minimal: baseCell + "\nTable(base)", typo: baseCell + "\nTable(base, colums: [.top1])",
          suggestion: "columns"),
    Entry(name: "Table", minimal: baseCell + "\nTable(base, baseline: base)", typo: baseCell + "\nTable(base, baseline: bsae)",
          suggestion: "base"),
    Entry(name: "compare", minimal: baseCell + "\nTable(base, baseline: .compare(to: base, metrics: [.top1, .testLoss]))",
          typo: baseCell + "\nTable(base, baseline: .compare(to: base, metrcs: [.top1]))", suggestion: "metrics"),
    Entry(name: "Curves", minimal: baseCell + "\nCurves(base)", typo: baseCell + "\nCurves(base, metrc: .lr)",
          suggestion: "metric"),
    Entry(name: "Bars", minimal: baseCell + "\nBars(base)", typo: baseCell + "\nBars(base, metic: .top5)",
          suggestion: "metric"),
    Entry(name: "Samples", minimal: baseCell + "\nSamples(base)", typo: baseCell + "\nSamples(base, cont: 4)",
          suggestion: "count"),
    Entry(name: "Confusion", minimal: baseCell + "\nConfusion(base)", typo: baseCell + "\nConfusoin(base)",
          suggestion: "Confusion"),
    // Models.
    .model("resnet", ".resnet(depth: 50)", typo: ".resnet(dept: 50)", "depth"),
    .model("vit", ".vit(dim: 96, heads: 3)", typo: ".vit(dim: 96, haeds: 3)", "heads"),
    .model("timm", ".timm(\"resnet18\", classes: 6)", typo: ".timm(\"resnet18\", clases: 6)", "classes"),
    // Data.
    .experimentArgument("shapes", "data", ".shapes", typo: ".shapes(textureCeu: 0.5)", "textureCue"),
    .experimentArgument("cifar10", "data", ".cifar10", typo: ".cifar10(pth: \"x\")", "path"),
    .experimentArgument("cifar100", "data", ".cifar100", typo: ".cifar100(paht: \"x\")", "path"),
    Entry(name: "imageFolder", minimal: "let e = Experiment(model: .resnet(depth: 18, classes: 37), data: .imageFolder(path: \"pets\"))",
          typo: "let e = Experiment(model: .resnet(depth: 18, classes: 37), data: .imageFolder(path: \"pets\", tset: \"v\"))",
          suggestion: "test"),
    // Augmentations.
    .augment("randomCrop", ".randomCrop", typo: ".randomCrop(paddin: 2)", "padding"),
    .augment("horizontalFlip", ".horizontalFlip", typo: ".horizontalFlp", "horizontalFlip"),
    .augment("randomResizedCrop", ".randomResizedCrop(size: 32)", typo: ".randomResizedCrop(sise: 32)", "size"),
    .augment("resize", ".resize(size: 32)", typo: ".resise(size: 32)", "resize"),
    .augment("colorJitter", ".colorJitter(0.4)", typo: ".colorJitter(brightnes: 0.2)", "brightness"),
    .augment("autoAugment", ".autoAugment(.v0)", typo: ".autoAugment(.cifar01)", "cifar10"),
    .augment("randAugment", ".randAugment(\"rand-m9-n2-mstd0.5\")", typo: ".randAugmnt(\"rand-m9\")", "randAugment"),
    .augment("trivialAugment", ".trivialAugment", typo: ".trivialAugmnt", "trivialAugment"),
    .augment("cutout", ".cutout", typo: ".cutout(sze: 8)", "size"),
    .augment("randomErasing", ".randomErasing(p: 0.5, mode: .const)", typo: ".randomErasing(pp: 0.5)", "p"),
    // Mixing.
    .experimentArgument("none", "mix", ".none", typo: ".nne", "none"),
    .experimentArgument("mixup", "mix", ".mixup", typo: ".mixup(alfa: 0.2)", "alpha"),
    .experimentArgument("cutmix", "mix", ".cutmix(alpha: 1)", typo: ".cutmix(alpha: 1, prb: 0.5)", "prob"),
    .experimentArgument("mixupCutmix", "mix", ".mixupCutmix", typo: ".mixupCutmix(swichProb: 0.2)", "switchProb"),
    // Normalisation.
    .experimentArgument("dataset", "normalize", ".dataset", typo: ".datset", "dataset"),
    .experimentArgument("imagenet", "normalize", ".imagenet", typo: ".imagnet", "imagenet"),
    .experimentArgument("half", "normalize", ".half", typo: ".hlf", "half"),
    .experimentArgument("custom", "normalize", ".custom(mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25])",
                        typo: ".custm(mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25])", "custom"),
    // Optimisers.
    .experimentArgument("sgd", "optimizer", ".sgd(lr: 0.05)", typo: ".sgd(lr: 0.05, momentm: 0.8)", "momentum"),
    .experimentArgument("adamw", "optimizer", ".adamw(lr: 1e-3)", typo: ".adamw(lr: 1e-3, weightDecy: 0.05)", "weightDecay"),
    .experimentArgument("lion", "optimizer", ".lion(lr: 1e-4)", typo: ".lion(lr: 1e-4, beta: 0.95)", "beta1"),
    // Schedules.
    .experimentArgument("constant", "schedule", ".constant", typo: ".constnt", "constant"),
    .experimentArgument("cosine", "schedule", ".cosine(warmupEpochs: 2)", typo: ".cosine(minLr: 1e-5)", "minLR"),
    .experimentArgument("step", "schedule", ".step(decayEpochs: 3)", typo: ".step(decayEpochs: 3, decayrate: 0.5)", "decayRate"),
    .experimentArgument("multiStep", "schedule", ".multiStep(milestones: [3, 6])",
                        typo: ".multiStep(milestones: [3, 6], decayrate: 0.5)", "decayRate"),
    // Analyses.
    Entry(name: "FrequencyAnalysis", minimal: baseCell + "\nFrequencyAnalysis(base)",
          typo: baseCell + "\nFrequencyAnalysis(base, exampels: 64)", suggestion: "examples"),
    Entry(name: "FilteredAccuracy", minimal: baseCell + "\nFilteredAccuracy(base, cutoffs: [4, 8])",
          typo: baseCell + "\nFilteredAccuracy(base, cutofs: [4, 8])", suggestion: "cutoffs"),
    Entry(name: "Published", minimal: baseCell + "\nPublished(base, top1: 79.05, source: \"Report X, table 1\")",
          typo: baseCell + "\nPublished(base, top: 79.05, source: \"Report X, table 1\")", suggestion: "top1"),
    Entry(name: "radial", minimal: baseCell + "\nFilteredAccuracy(base, filter: .radial)",
          typo: baseCell + "\nFilteredAccuracy(base, filter: .radail)", suggestion: "radial"),
    Entry(name: "square", minimal: baseCell + "\nFilteredAccuracy(base, filter: .square)",
          typo: baseCell + "\nFilteredAccuracy(base, filter: .sqaure)", suggestion: "square"),
    Entry(name: "FrequencyNoise", minimal: baseCell + "\nFrequencyNoise(base, epsilon: 0.5)",
          typo: baseCell + "\nFrequencyNoise(base, epsilom: 0.5)", suggestion: "epsilon"),
    Entry(name: "sign", minimal: baseCell + "\nFrequencyNoise(base, noise: .sign)",
          typo: baseCell + "\nFrequencyNoise(base, noise: .sing)", suggestion: "sign"),
    Entry(name: "gaussian", minimal: baseCell + "\nFrequencyNoise(base, noise: .gaussian)",
          typo: baseCell + "\nFrequencyNoise(base, noise: .gausian)", suggestion: "gaussian"),
    Entry(name: "FourierHeatmap", minimal: baseCell + "\nFourierHeatmap(base, examples: 100)",
          typo: baseCell + "\nFourierHeatmap(base, nrom: 4)", suggestion: "norm"),
    Entry(name: "GradCAM", minimal: baseCell + "\nGradCAM(base, images: 4, layer: \"layer3\")",
          typo: baseCell + "\nGradCam(base)", suggestion: "GradCAM"),
    Entry(name: "predicted", minimal: baseCell + "\nGradCAM(base, target: .predicted)",
          typo: baseCell + "\nGradCAM(base, target: .predicte)", suggestion: "predicted"),
    Entry(name: "label", minimal: baseCell + "\nGradCAM(base, target: .label)",
          typo: baseCell + "\nGradCAM(base, target: .lable)", suggestion: "label"),
    Entry(name: "ShapeBias", minimal: baseCell + "\nShapeBias(base, radii: [4])",
          typo: baseCell + "\nShapeBias(base, radius: [4])", suggestion: "radii"),
    // Backends.
    .experimentArgument("embedded", "backend", ".embedded", typo: ".embeded", "embedded"),
    .experimentArgument("torch", "backend", ".torch(processes: 2)", typo: ".torch(procesess: 2)", "processes"),
    .experimentArgument("local", "backend", ".torch(launcher: .local)", typo: ".torch(launcher: .locl)", "local"),
    .experimentArgument("slurm", "backend", ".torch(launcher: .slurm(partition: \"gpu\"))",
                        typo: ".torch(launcher: .slurm(partiton: \"gpu\"))", "partition"),
    // Distillation.
    Entry(name: "distill", minimal: baseCell + "\nlet s = base.with(teacher: .distill(teacher: base, temperature: 2))",
          typo: baseCell + "\nlet s = base.with(teacher: .distill(teacher: base, temprature: 2))", suggestion: "temperature"),
]

@Suite struct VocabularyTests {
    @Test func registryIsSound() {
        #expect(Vocabulary.registry().validate() == [])
    }

    @Test(arguments: entries)
    func minimalCellChecks(entry: Entry) {
        let result = checkCells(entry.minimal)
        #expect(result.diagnostics == [], "\(result.diagnostics)")
        #expect(Vocabulary.diagnostics(for: result) == [])
    }

    @Test(arguments: entries)
    func typoSuggestsName(entry: Entry) throws {
        let result = checkCells(entry.typo)
        let d = try #require(result.diagnostics.first, "no error for \(entry.typo)")
        #expect(result.diagnostics.count == 1, "\(result.diagnostics)")
        #expect(d.suggestion == entry.suggestion, "\(d.message)")
        #expect(d.message.contains("did you mean"), "\(d.message)")
    }

    /// Every call and every enum case of the vocabulary has an entry above (adding one without a test fails here), or
    /// belongs to a registered analysis, whose call and cases `AnalysisRegistryTests` check from the registry.
    @Test func everyNameIsTested() {
        func visit(_ type: ValueType, into names: inout Set<String>) {
            switch type {
            case .enumeration(let e):
                for c in e.cases where !["Stem", "Attention", "Block", "Policy", "ErasingMode", "Column", "CurveMetric",
                                        "BarMetric"].contains(e.name) {
                    names.insert(c.name)
                    c.signature.parameters.forEach { visit($0.type, into: &names) }
                }
            case .array(let element, _, _): visit(element, into: &names)
            case .oneOf(let types): types.forEach { visit($0, into: &names) }
            default: break
            }
        }
        func names(_ calls: [CallSchema]) -> Set<String> {
            var names = Set<String>()
            for call in calls {
                names.insert(call.name)
                call.signature.parameters.forEach { visit($0.type, into: &names) }
            }
            return names
        }
        let registered = names(AnalysisKinds.all.map { $0.schema })
        #expect(names(Vocabulary.calls) == Set(entries.map(\.name)).union(registered))
    }

    @Test func designExampleChecksCleanly() {
        let result = checkCells("""
            let base = Experiment(
                model: .resnet(depth: 18, width: 16),
                data: .shapes(classes: 10, train: 8_000, test: 2_000),
                augment: [.randomCrop(padding: 4), .horizontalFlip],
                optimizer: .sgd(lr: 0.1, momentum: 0.9, weightDecay: 5e-4, nesterov: true),
                schedule: .cosine(warmupEpochs: 1, warmupLR: 1e-4),
                epochs: 15, batchSize: 128, seed: 0)
            let se = base.with(model: .resnet(depth: 18, width: 16, attention: .se))
            let aa = se.with(augment: [.randomCrop(padding: 4), .horizontalFlip, .autoAugment(.cifar10)])
            """, """
            Table(base, se, aa, columns: [.model, .augment, .top1, .top5, .params, .trainTime])
            Curves(base, se, aa, metric: .testTop1)
            """)
        #expect(result.diagnostics == [], "\(result.diagnostics)")
        #expect(Vocabulary.diagnostics(for: result) == [])
        #expect(result.cells.flatMap(\.statements).map(\.kind) == ["experiment", "experiment", "experiment", "output", "output"])
    }

    @Test func fullVocabularyChecks() {
        let result = checkCells("let teacher = Experiment(model: .resnet(depth: 34), data: .cifar100)", """
            let big = Experiment(
                model: .resnet(layers: [2, 2], block: .bottleneck, channels: [16, 32], stem: .imagenet, attention: .cbam, classes: 100),
                data: .cifar100,
                augment: [.randomResizedCrop(size: 32), .horizontalFlip, .colorJitter(0.3, hue: 0.1),
                          .randAugment("rand-m9-n2-mstd0.5"), .trivialAugment, .randomErasing(p: 0.25, mode: .rand, count: 2),
                          .cutout(size: 8)],
                mix: .mixupCutmix(mixup: 0.8, cutmix: 1.0, switchProb: 0.5, prob: 1.0),
                optimizer: .adamw(lr: 1e-3, beta1: 0.9, beta2: 0.95, weightDecay: 0.05),
                schedule: .multiStep(milestones: [60, 120, 160], decayRate: 0.2, warmupEpochs: 5, warmupLR: 1e-4),
                epochs: 200, batchSize: 256, seed: 1, seeds: 3, labelSmoothing: 0.1,
                teacher: teacher, weights: "weights/r18.safetensors", clipGrad: 1.0)
            let sweep = Sweep(big, optimizer: [.sgd(lr: 0.1), .lion(lr: 1e-4)], lr: [0.1, 0.2], batchSize: [64, 128])
            Table(big, sweep, columns: [.model, .data, .augment, .mix, .optimizer, .schedule, .epochs, .batchSize, .top1,
                                        .top5, .testLoss, .trainLoss, .params, .flops, .trainTime, .imagesPerSecond,
                                        .lr, .weightDecay, .imageSize, .normalize, .backend, .differs])
            Bars(big, sweep, metric: .flops)
            Curves(sweep, metric: .lr)
            Samples(big, count: 4, images: 2)
            """)
        #expect(result.diagnostics == [], "\(result.diagnostics)")
        #expect(Vocabulary.diagnostics(for: result) == [])
    }

    @Test(arguments: [
        ("optimizer: .sgd(lr: 0)", "`lr` of `.sgd` must be > 0 and <= 1e+30, found 0"),
        ("optimizer: .adamw(lr: -1e-3)", "`lr` of `.adamw` must be > 0 and <= 1e+30, found -0.001"),
        ("batchSize: 0", "`batchSize` of `Experiment` must be in 1...65536, found 0"),
        ("model: .resnet(depth: 19)", "`depth` of `.resnet` must be one of 18, 34, 50, 101, 152, found 19"),
        ("augment: [.autoAugmnt]", "`.autoAugmnt` is not a `Augment` case; did you mean `.autoAugment`?"),
        ("augment: [.mixup]", "`.mixup` is not a `Augment` case"),
        ("augment: [.randomErasing(p: 1.5)]", "`p` of `.randomErasing` must be in 0...1, found 1.5"),
        ("data: .shapes(classes: 13)", "`classes` of `.shapes` must be in 2...12, found 13"),
        ("labelSmoothing: 1", "`labelSmoothing` of `Experiment` must be in 0..<1, found 1"),
        ("teacher: nobody", "unknown binding `nobody`"),
    ] as [(String, String)])
    func checkErrors(argument: String, message: String) throws {
        let arguments = argument.hasPrefix("model:") ? argument : "model: .resnet(depth: 18), " + argument
        let result = checkCells("let e = Experiment(\(arguments))")
        #expect(result.diagnostics.map(\.message) == [message])
    }

    @Test func membersAreReadable() {
        let result = checkCells(baseCell, "Table(base, columns: [.top1, .flops])")
        #expect(result.diagnostics == [])
        let registry = Vocabulary.registry()
        #expect(registry.schema(ofKind: Vocabulary.Kind.experiment)?.members.map(\.name)
                == ["top1", "top5", "testLoss", "trainLoss", "params", "flops", "trainTime", "imagesPerSecond", "published",
                    "deltaLogA", "lowPass", "highPass", "noiseDrop", "heatmapError", "shapeBias", "hybridShapeBias"])
        let wrong = checkCells(baseCell, "let t = Table(base)\nTable(t)")
        #expect(wrong.diagnostics.count == 1)
    }

    @Test func extraSchemasJoinTheRegistry() {
        let analysis = CallSchema("LayerProbe", variadic: VariadicSchema("runs", Vocabulary.runs, minCount: 1),
                                  kind: Vocabulary.Kind.output, derivable: false)
        let registry = Vocabulary.registry(adding: [analysis])
        #expect(registry.validate() == [])
        #expect(registry.calls.map(\.name).last == "LayerProbe")
        let result = Checker(registry: registry).check(Document(
            text: "```swift config\n\(baseCell)\nLayerProbe(base)\n```\n", fileName: "study.md"))
        #expect(result.diagnostics == [])
    }

    @Test func everyParameterIsDocumented() {
        var undocumented: [String] = []
        func visit(_ signature: Signature, owner: String) {
            for p in signature.parameters {
                if p.doc.isEmpty { undocumented.append("\(owner).\(p.name)") }
                visitType(p.type)
            }
        }
        func visitType(_ type: ValueType) {
            switch type {
            case .enumeration(let e): e.cases.forEach { visit($0.signature, owner: ".\($0.name)") }
            case .array(let element, _, _): visitType(element)
            case .oneOf(let types): types.forEach(visitType)
            default: break
            }
        }
        Vocabulary.calls.forEach { visit($0.signature, owner: $0.name) }
        #expect(undocumented == [])
    }
}

/// Issue 14, defect 10: `epochs: 9223372036854775807` passed the checker and started a run that never ended. Every
/// numeric field of the vocabulary has a two-sided range (or a list of allowed values) that the checker enforces.
@Suite struct NumericRangeTests {
    /// Numeric types reachable from `type` that lack an upper or a lower bound, as "owner.parameter".
    static func unbounded(_ type: ValueType, at place: String, seen: inout Set<String>) -> [String] {
        switch type {
        case .int(let b, let allowed):
            return allowed != nil || (b.lower != nil && b.upper != nil) ? [] : [place]
        case .number(let b):
            return b.lower != nil && b.upper != nil ? [] : [place]
        case .array(let element, _, _): return unbounded(element, at: place, seen: &seen)
        case .oneOf(let types): return types.flatMap { unbounded($0, at: place, seen: &seen) }
        case .enumeration(let e):
            guard seen.insert(e.name).inserted else { return [] }
            return e.cases.flatMap { c in
                c.signature.parameters.flatMap { unbounded($0.type, at: ".\(c.name)(\($0.name):)", seen: &seen) }
                    + (c.signature.variadic.map { unbounded($0.element, at: ".\(c.name)(\($0.name)...)", seen: &seen) } ?? [])
            }
        default: return []
        }
    }

    @Test func everyNumericFieldHasARange() {
        var seen = Set<String>(), missing: [String] = []
        for call in Vocabulary.registry().calls {
            for p in call.signature.parameters { missing += Self.unbounded(p.type, at: "\(call.name)(\(p.name):)", seen: &seen) }
            if let v = call.signature.variadic { missing += Self.unbounded(v.element, at: "\(call.name)(\(v.name)...)", seen: &seen) }
        }
        missing += Self.unbounded(.enumeration(Vocabulary.backend), at: "backend", seen: &seen)
        #expect(missing.isEmpty, "numeric fields without a range: \(missing)")
    }

    @Test(arguments: [
        ("epochs: 9223372036854775807", "`epochs` of `Experiment` must be in 0...10000, found 9223372036854775807"),
        ("epochs: 10001", "`epochs` of `Experiment` must be in 0...10000, found 10001"),
        ("batchSize: 1000000", "`batchSize` of `Experiment` must be in 1...65536, found 1000000"),
        ("seed: 99999999999", "`seed` of `Experiment` must be in 0...2147483647, found 99999999999"),
        ("optimizer: .sgd(lr: 1e300)", "`lr` of `.sgd` must be > 0 and <= 1e+30, found 1e+300"),
    ] as [(String, String)])
    func absurdValuesAreRefusedWithTheRange(argument: String, message: String) {
        let result = Checker(registry: Vocabulary.registry()).check(Document(
            text: "```swift config\nlet e = Experiment(model: .resnet(depth: 18), \(argument))\n```\n", fileName: "t.md"))
        #expect(result.diagnostics.map(\.message) == [message])
    }
}
