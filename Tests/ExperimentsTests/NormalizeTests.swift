// Tests of `normalize:` on Experiment: the checker's errors, resolution and labels, run-key stability, the embedded and
// analysis pipelines' values, config.json, parity with the torch trainer's transform (LOOM_TORCH_PYTHON), end to end.
import Engine
import Foundation
import Notebook
import Testing
@testable import Experiments
import Vision

/// The four choices as cell text, with the statistics each must give on CIFAR-10 data (dataset: CIFAR-10's).
let normalizeChoices: [(cell: String, mean: [Double], std: [Double])] = [
    ("", [0.4914, 0.4822, 0.4465], [0.2470, 0.2435, 0.2616]),
    (".imagenet", [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
    (".half", [0.5, 0.5, 0.5], [0.5, 0.5, 0.5]),
    (".custom(mean: [0.1, 0.2, 0.3], std: [0.4, 0.5, 0.6])", [0.1, 0.2, 0.3], [0.4, 0.5, 0.6]),
]

/// `let e = Experiment(...)` on CIFAR-10 with `normalize:` set to `choice` (left out when empty).
func normalizeCell(_ choice: String, data: String = ".cifar10") -> String {
    "let e = Experiment(model: .resnet(layers: [1], channels: [4], width: 4), data: \(data)"
        + (choice.isEmpty ? "" : ", normalize: \(choice)") + ", epochs: 1)"
}

@Suite struct NormalizeTests {
    // MARK: - Checker

    /// Each bad value is one error on the line and at the value, saying what the slot takes.
    @Test(arguments: [
        (".custom(mean: [0.5, 0.5], std: [0.5, 0.5, 0.5])", "`mean` of `.custom` needs exactly 3 elements, found 2", "[0.5, 0.5]"),
        (".custom(mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5, 0.5])", "`std` of `.custom` needs exactly 3 elements, found 4",
         "[0.5, 0.5, 0.5, 0.5]"),
        (".custom(mean: [0.5, 0.5, 0.5], std: [])", "`std` of `.custom` needs exactly 3 elements, found 0", "[]"),
        (".custom(mean: [0.5, 0.5, 0.5], std: [0.5, 0, 0.5])", "`std` of `.custom` must be > 0 and <= 1, found 0", "0, 0.5])"),
        (".custom(mean: [0.5, 0.5, 0.5], std: [0.2, 0.2, -0.25])", "`std` of `.custom` must be > 0 and <= 1, found -0.25", "-0.25"),
        (".custom(mean: [0.5, 0.5, 114], std: [0.2, 0.2, 0.2])", "`mean` of `.custom` must be in 0...1, found 114", "114"),
        (".custom(mean: [0.5, 0.5, 0.5])", "missing argument `std` for `.custom`", "custom("),
        (".hlf", "`.hlf` is not a `Normalize` case; did you mean `.half`?", "hlf"),
    ])
    func badValuesAreCheckerErrors(choice: String, message: String, at text: String) throws {
        let cell = "let ok = Experiment(model: .resnet(depth: 18))\n" + normalizeCell(choice)
        let check = checkCells(cell)
        let d = try #require(check.diagnostics.first, "no error for \(choice)")
        #expect(check.diagnostics.count == 1, "\(check.diagnostics)")
        #expect(d.message == message)
        // Line 2 of the cell is line 3 of the file (after the fence); the range starts at the offending text.
        let line = normalizeCell(choice)
        let column = try #require(line.range(of: text)).lowerBound.utf16Offset(in: line) + 1
        #expect(d.range.start.line == 3 && d.range.start.column == column, "\(d.range) for \(text)")
    }

    @Test func sweepTakesNormalizeAsAnAxis() throws {
        let check = checkCells(normalizeCell("") + "\nlet s = Sweep(e, normalize: [.dataset, .half, .custom(mean: [0.5, 0.5, 0.5], std: [0.2, 0.2, 0.2])])")
        #expect(check.diagnostics.isEmpty, "\(check.diagnostics)")
        let points = try Resolver(bindings: check.bindings).sweep(try #require(check.bindings["s"]?.value))
        #expect(points.map(\.spec.normalize) == [nil, .half, .custom(mean: [0.5, 0.5, 0.5], std: [0.2, 0.2, 0.2])])
        #expect(points.map(\.label) == ["normalize dataset", "normalize 0.5", "normalize mean 0.5, 0.5, 0.5 std 0.2, 0.2, 0.2"])
    }

    // MARK: - Resolution

    @Test func eachChoiceResolvesToItsStatistics() throws {
        for (choice, mean, std) in normalizeChoices {
            let (spec, _, _) = try torchSpec(normalizeCell(choice))
            let n = spec.normalization(dataset: .cifar10)
            #expect(n == Normalization(mean: mean.map(Float.init), std: std.map(Float.init)), "\(choice)")
        }
        #expect(try torchSpec(normalizeCell("")).0.normalize == nil)
        #expect(try torchSpec(normalizeCell(".dataset")).0.normalize == nil)
        #expect(try torchSpec(normalizeCell(".half")).0.normalize == .half)
        // The named choices are the constants the rest of Loom uses.
        #expect(NormalizeSpec.imagenet.normalization == .imagenet)
        // `.with` sets it like any field.
        let check = checkCells(normalizeCell("") + "\nlet h = e.with(normalize: .imagenet)")
        #expect(try Resolver(bindings: check.bindings).experiment(try #require(check.bindings["h"]?.value)).normalize == .imagenet)
    }

    @Test func theSpecKnowsItsNormalizationLabel() throws {
        let labels = try normalizeChoices.map { try torchSpec(normalizeCell($0.cell)).0.normalizationLabel }
        #expect(labels == ["dataset", "ImageNet", "0.5", "mean 0.1, 0.2, 0.3 std 0.4, 0.5, 0.6"])
    }

    /// A teacher sees the student's inputs: both must normalise alike once either writes `normalize:`.
    @Test func teacherAndStudentMustNormaliseAlike() throws {
        let base = normalizeCell(".half")
        func resolve(_ student: String) throws -> ExperimentSpec {
            let check = checkCells(base + "\n" + student)
            #expect(check.diagnostics.isEmpty, "\(check.diagnostics)")
            return try Resolver(bindings: check.bindings).experiment(try #require(check.bindings["s"]?.value))
        }
        #expect(try resolve("let s = e.with(teacher: e)").distillation?.teacher.normalize == .half)
        #expect(throws: ResolveError("the teacher was trained with normalisation `0.5` and the student uses `dataset`; the "
                                     + "teacher sees the student's inputs, so give both the same `normalize:`")) {
            try resolve("let s = e.with(normalize: .dataset, teacher: e)")
        }
    }

    // MARK: - Run keys

    /// What the run key hashes for the study notebook's `base` experiment, pinned. This is the text the code before
    /// `normalize:` existed hashed: its key, `3b7465fe8360…` on the AVX-512 path, is the one stored for `base` in the
    /// results store that code wrote, and `loom plan notebooks/study.md` finds every run cached against that store.
    static let pinnedBase = #"{"args":{"augment":[{"args":{"padding":3},"case":"randomCrop"},{"args":{},"case":"horizontalFlip"}],"#
        + #""batchSize":64,"clipGrad":null,"data":{"args":{"classes":6,"seed":0,"size":24,"test":600,"textureCue":0.8,"#
        + #""train":3000},"case":"shapes"},"epochs":8,"labelSmoothing":0.0,"mix":{"args":{},"case":"none"},"model":{"args":"#
        + #"{"attention":{"args":{},"case":"none"},"block":{"args":{},"case":"basic"},"channels":[16,32,64],"classes":null,"#
        + #""depth":null,"layers":[1,1,1],"stem":{"args":{},"case":"cifar"},"width":16},"case":"resnet"},"optimizer":{"args":"#
        + #"{"lr":0.1,"momentum":0.9,"nesterov":true,"weightDecay":0.0005},"case":"sgd"},"schedule":{"args":{"minLR":0.0,"#
        + #""warmupEpochs":1,"warmupLR":0.01},"case":"cosine"},"seed":0,"teacher":null,"weights":null},"call":"Experiment"}"#

    /// The `base` cell of notebooks/study.md as it was when its key was recorded.
    static let studyBase = """
        let base = Experiment(
            model: .resnet(layers: [1, 1, 1], block: .basic, channels: [16, 32, 64], width: 16),
            data: .shapes(classes: 6, size: 24, train: 3_000, test: 600, textureCue: 0.8),
            augment: [.randomCrop(padding: 3), .horizontalFlip],
            optimizer: .sgd(lr: 0.1, momentum: 0.9, weightDecay: 5e-4, nesterov: true),
            schedule: .cosine(warmupEpochs: 1, warmupLR: 0.01),
            epochs: 8, batchSize: 64, seed: 0)
        """

    @Test func keysOfExperimentsWithoutNormalizeDoNotChange() throws {
        let dir = try TempDir()
        let ws = try Workspace(outputDirectory: dir.path + "/out", dataRoot: dir.path)
        let plan = try makePlan(document: Document(text: "```swift config\n\(Self.studyBase)\n```\n", fileName: "study.md"),
                                registry: notebookRegistry(), workspace: ws)
        let base = try #require(plan.experiment("base"))
        let keyed = Backend.embedded.keyValue(normalizationKeyValue(base.value, spec: base.spec), trainer: "t")
        var runValue = keyed
        if case let .call(n, args) = keyed { runValue = .call(n, args.filter { $0.label != "seeds" }) }
        #expect(runValue.canonicalJSON == Self.pinnedBase)
        // The key is the hash of that text with the numerics version and the data manifest, so it is the stored one.
        let stored = ContentHash.sha256Hex(Data((Self.pinnedBase + "|loom-engine-5-avx512|shapes-generator-1").utf8))
        #expect(stored.hasPrefix("3b7465fe8360"))
        #expect(base.runs[0].key == ContentHash.sha256Hex(Data((Self.pinnedBase + "|" + engineNumericsVersion + "|shapes-generator-1").utf8)))
    }

    @Test func onlyANonDefaultNormalisationChangesTheKey() throws {
        let dir = try TempDir()
        let ws = try Workspace(outputDirectory: dir.path + "/out", dataRoot: dir.path)
        let cell = normalizeCell("") + """

            let dataset = e.with(normalize: .dataset)
            let sameAsCIFAR = e.with(normalize: .custom(mean: [0.4914, 0.4822, 0.4465], std: [0.2470, 0.2435, 0.2616]))
            let imagenet = e.with(normalize: .imagenet)
            let half = e.with(normalize: .half)
            let halfByHand = e.with(normalize: .custom(mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5]))
            let other = e.with(normalize: .custom(mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25]))
            let folder = Experiment(model: .resnet(layers: [1], channels: [4], width: 4, classes: 3), data: .imageFolder(path: "f"), epochs: 1)
            let folderImagenet = folder.with(normalize: .imagenet)
            let folderHalf = folder.with(normalize: .half)
            """
        let plan = try makePlan(document: Document(text: "```swift config\n\(cell)\n```\n", fileName: "t.md"),
                                registry: notebookRegistry(), workspace: ws)
        #expect(plan.cellErrors.isEmpty, "\(plan.cellErrors)")
        func key(_ n: String) throws -> String { try #require(plan.experiment(n)).runs[0].key }
        // The dataset's own statistics, however written, keep the key of the experiment without `normalize:`.
        #expect(try key("dataset") == key("e") && key("sameAsCIFAR") == key("e"))
        #expect(try key("folderImagenet") == key("folder"))
        // Any other statistics change it; the same statistics written two ways share one.
        #expect(try Set([key("e"), key("imagenet"), key("half"), key("other")]).count == 4)
        #expect(try key("half") == key("halfByHand") && key("folderHalf") != key("folder"))
        // The keyed value of the plain experiment is the value as it was before the parameter existed.
        let e = try #require(plan.experiment("e"))
        guard case let .call(n, args) = e.value else { Issue.record("not a call"); return }
        let before = ResolvedValue.call(n, args.filter { $0.label != "normalize" })
        #expect(normalizationKeyValue(e.value, spec: e.spec) == before)
        let half = try #require(plan.experiment("half"))
        #expect(normalizationKeyValue(half.value, spec: half.spec).canonicalJSON
            .contains(#""normalize":{"args":{"mean":[0.5,0.5,0.5],"std":[0.5,0.5,0.5]},"case":"custom"}"#))
    }

    // MARK: - Pipelines

    /// A 5×4 image whose pixels cover 0…255.
    static let image = Image(width: 5, height: 4, pixels: (0..<60).map { UInt8(($0 * 73 + 11) % 256) })

    /// `(p/255 − mean[c]) / std[c]` in Double, CHW.
    static func expected(_ image: Image, mean: [Double], std: [Double]) -> [Double] {
        let hw = image.width * image.height
        return (0..<3 * hw).map { i in
            let c = i / hw, p = Double(image.pixels[(i % hw) * 3 + c])
            return (p / 255 - mean[c]) / std[c]
        }
    }

    /// The evaluation pipeline, the training pipeline (no random steps) and the analyses' path (pixels in [0, 1], then
    /// `AnalysisEval.normalizedBatch`) all give each choice's values.
    @Test func pipelinesNormaliseWithEachChoice() throws {
        for (choice, mean, std) in normalizeChoices {
            let (spec, _, _) = try torchSpec(normalizeCell(choice))
            let n = spec.normalization(dataset: .cifar10)
            let want = Self.expected(Self.image, mean: mean, std: std)
            var rng = AugmentPipeline.rng(seed: 0, epoch: 0, index: 0)
            let eval = spec.testPipeline(normalization: n)(Self.image, rng: &rng).data
            let train = try spec.trainPipeline(normalization: n)(Self.image, rng: &rng).data
            let unit = spec.testPipeline(normalization: .unit)(Self.image, rng: &rng)
            let pixels = Tensor(shape: [1, 3, unit.height, unit.width], data: unit.data)
            let analysed = AnalysisEval.normalizedBatch(pixels, 0..<1, n).scalars
            for got in [eval, train, analysed] {
                #expect(got.count == want.count)
                #expect(zip(got, want).allSatisfy { abs(Double($0) - $1) < 1e-5 }, "\(choice): \(got.prefix(4)) vs \(want.prefix(4))")
            }
        }
    }

    /// config.json carries each choice's statistics, over the dataset's own (CIFAR-10's here).
    @Test func configJSONCarriesEachChoice() throws {
        for (choice, mean, std) in normalizeChoices {
            let c = try torchConfig(normalizeCell(choice), dataset: .cifar10)
            let n = try #require(c["normalize"] as? [String: [Double]])
            #expect(zip(n["mean"] ?? [], mean).allSatisfy { abs($0 - $1) < 1e-7 } && n["mean"]?.count == 3, "\(choice)")
            #expect(zip(n["std"] ?? [], std).allSatisfy { abs($0 - $1) < 1e-7 } && n["std"]?.count == 3, "\(choice)")
        }
        // `.shapes` data: the dataset's computed statistics unless a choice replaces them.
        let shapes = Normalization(mean: [0.3, 0.4, 0.5], std: [0.1, 0.2, 0.3])
        let plain = try torchConfig(normalizeCell("", data: ".shapes(classes: 2)"), dataset: shapes)
        let plainStd = try #require((plain["normalize"] as? [String: [Double]])?["std"])
        #expect(zip(plainStd, shapes.std).allSatisfy { abs($0 - Double($1)) < 1e-7 })
        let half = try torchConfig(normalizeCell(".half", data: ".shapes(classes: 2)"), dataset: shapes)
        #expect((half["normalize"] as? [String: [Double]]) == ["mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5]])
    }

    func torchConfig(_ cell: String, dataset: Normalization) throws -> [String: Any] {
        let (spec, _, _) = try torchSpec(cell)
        let json = try TorchConfig.json(spec: spec, key: "k", binding: "e", seed: 0, backend: TorchBackend(python: "p"),
                                        data: TorchData(kind: "imageFolder", train: "/d", test: "/d", normalization: dataset),
                                        files: TorchRunFiles(directory: "/o", finalWeights: "/o/f.safetensors"),
                                        weights: nil, teacherWeights: nil)
        return try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
    }

    /// The same image through Loom's evaluation pipeline and through the torch trainer's own transform, built by
    /// `build_transform` of python/loom_train.py from the config.json Loom writes, for each choice.
    @Test(.enabled(if: torchPython != nil, "skipped: LOOM_TORCH_PYTHON not set"), .timeLimit(.minutes(5)))
    func embeddedAndTorchPipelinesAgree() throws {
        let python = try #require(torchPython)
        let dir = try TempDir()
        var rng = SeededRNG(seed: 7)
        let image = Image(width: 32, height: 32, pixels: (0..<32 * 32 * 3).map { _ in UInt8(rng.next() % 256) })
        for (choice, _, _) in normalizeChoices {
            let (spec, _, _) = try torchSpec(normalizeCell(choice))
            let json = try TorchConfig.json(spec: spec, key: "k", binding: "e", seed: 0, backend: TorchBackend(python: python),
                                            data: TorchData(kind: "cifar10", train: "/d", test: "/d", normalization: .cifar10),
                                            files: TorchRunFiles(directory: dir.path, finalWeights: dir.path + "/f.safetensors"),
                                            weights: nil, teacherWeights: nil)
            let (torch, loom, worst) = try evalPipelines(python, spec: spec, config: json, dataset: .cifar10, image: image, in: dir.path)
            #expect(torch == loom)
            print("NormalizeTests: \(choice.isEmpty ? ".dataset" : choice) Loom vs torch max |Δ| = \(worst)")
            #expect(worst < 1e-5, "\(choice)")
        }
    }

    // MARK: - End to end

    /// A tiny `.shapes` run with `normalize: .half` trains, is stored under its own key, and is analysed: the analysis'
    /// clean accuracy on every test image equals the run's test top-1, so both normalised alike.
    @Test func halfNormalisedRunTrainsAndIsAnalysed() throws {
        try runHalfNotebook(backend: nil)
    }

    /// The same through the torch backend: its `config.json` carries 0.5, and Loom's analysis of the torch-trained
    /// weights agrees with the torch side's test accuracy.
    @Test(.enabled(if: torchPython != nil, "skipped: LOOM_TORCH_PYTHON not set"), .timeLimit(.minutes(5)))
    func halfNormalisedTorchRunTrainsAndIsAnalysed() throws {
        let (box, ws, key) = try runHalfNotebook(backend: ".torch(python: \"\(try #require(torchPython))\", processes: 1)")
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: TorchRunFiles(workspace: ws, key: key).config)))
        #expect((config as? [String: Any])?["normalize"] as? [String: [Double]] == ["mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5]])
        withExtendedLifetime(box) {}
    }

    /// Trains and analyses the tiny `.half` notebook on `backend` (the default when nil); returns the sandbox (its files
    /// live as long as it does), the workspace and the run key.
    /// Two blocks: timm's `make_blocks` divides by the block count − 1, so the torch side cannot build a one-block ResNet.
    @discardableResult
    func runHalfNotebook(backend: String?) throws -> (Sandbox, Workspace, String) {
        let box = try Sandbox()
        let path = try box.write("""
            ```swift config
            let half = Experiment(model: .resnet(layers: [1, 1], channels: [4, 8], width: 4),
                                  data: .shapes(classes: 2, size: 8, train: 32, test: 16), normalize: .half,
                                  epochs: 1, batchSize: 16\(backend.map { ", backend: \($0)" } ?? ""))
            FilteredAccuracy(half, cutoffs: [2], examples: 16)
            ```
            """)
        let (summary, log, _) = try box.run(path)
        #expect(summary.failed == 0 && summary.trained == 1 && summary.analysed == 1, "\(log.lines)")
        let (doc, ws) = try openNotebook(path, outputDirectory: box.output)
        let plan = try makePlan(document: doc, registry: notebookRegistry(), workspace: ws)
        let run = try #require(plan.experiment("half")?.runs.first)
        #expect(run.state == .cached)
        let record = try #require(try ws.store.run(key: run.key))
        #expect(record.status == .succeeded)
        let target = try #require(plan.analyses.first?.targets.first)
        #expect(target.state == .cached)
        let stored = try #require(try ws.store.result(key: target.key))
        let payload = try #require(try JSONSerialization.jsonObject(with: Data(stored.payload.utf8)) as? [String: Any])
        let clean = try #require(payload["clean"] as? Double)
        let top1 = try #require(record.summary["top1"])
        #expect(abs(clean - top1) < 1e-9, "analysis clean \(clean) vs run top-1 \(top1)")
        return (box, ws, run.key)
    }
}

/// `image` evaluated by Loom's pipeline for `spec` and by the torch trainer from `config` (that spec's config.json, written
/// into `dir` with the image): each side's value count and the largest absolute difference.
func evalPipelines(_ python: String, spec: ExperimentSpec, config: Data, dataset: Normalization, image: Image,
                   in dir: String) throws -> (torchCount: Int, loomCount: Int, worst: Double) {
    try PNG.write(image, to: dir + "/image.png")
    try config.write(to: URL(fileURLWithPath: dir + "/config.json"))
    let torch = try torchEvalTransform(python, config: dir + "/config.json", image: dir + "/image.png")
    var r = AugmentPipeline.rng(seed: 0, epoch: 0, index: 0)
    let loom = spec.testPipeline(normalization: spec.normalization(dataset: dataset))(image, rng: &r).data
    return (torch.count, loom.count, zip(torch, loom).map { abs($0 - Double($1)) }.max() ?? .infinity)
}

/// The torch trainer's evaluation transform (`build_transform` of python/loom_train.py from a config.json's `eval` and
/// `normalize`) applied to one image file, as a flat CHW array.
func torchEvalTransform(_ python: String, config: String, image: String) throws -> [Double] {
    let trainer = URL(fileURLWithPath: try TorchLaunch.trainerScript()).deletingLastPathComponent().path
    let script = """
        import json, sys
        sys.path.insert(0, sys.argv[1])
        import loom_train
        from PIL import Image
        config = json.load(open(sys.argv[2]))
        x = loom_train.build_transform(config["eval"], config["normalize"])(Image.open(sys.argv[3]).convert("RGB"))
        print(json.dumps([float(v) for v in x.flatten()]))
        """
    let out = try runPython(python, ["-c", script, trainer, config, image])
    guard let values = try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [Double] else {
        throw ResolveError("the torch transform printed no array: \(out)")
    }
    return values
}

/// Runs `python` with `arguments`; its standard output, or an error with its standard error.
func runPython(_ python: String, _ arguments: [String]) throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: python)
    p.arguments = arguments
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    let errors = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    guard p.terminationStatus == 0 else {
        throw ResolveError("python exited \(p.terminationStatus): " + (String(data: errors, encoding: .utf8) ?? ""))
    }
    return String(data: data, encoding: .utf8) ?? ""
}
