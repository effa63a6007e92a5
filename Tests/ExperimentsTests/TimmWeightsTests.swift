// `weights: .timm(...)`: the checker and resolver on both forms of `weights:`, run keys, and with LOOM_TORCH_PYTHON a
// real conversion of a local resnet18 checkpoint (cache reuse, mismatches, unknown names, a pretrained_cfg evaluation).
import Engine
import Foundation
import Notebook
import Testing
@testable import Experiments
import Vision

/// A plan of one `swift config` cell in a fresh workspace (kept alive by the returned folder).
private func planCell(_ cell: String) throws -> (NotebookPlan, TempDir) {
    let dir = try TempDir()
    let ws = try Workspace(outputDirectory: dir.path + "/out", dataRoot: dir.path)
    let plan = try makePlan(document: Document(text: "```swift config\n\(cell)\n```\n", fileName: "t.md"),
                            registry: notebookRegistry(), workspace: ws)
    return (plan, dir)
}

@Suite struct TimmWeightsTests {
    // MARK: - Checker

    @Test func bothFormsCheck() {
        let check = checkCells("""
            let a = Experiment(model: .resnet(depth: 18), weights: "w.safetensors", epochs: 0)
            let b = Experiment(weights: .timm("resnet50.a1_in1k"), epochs: 0)
            let c = Experiment(model: .timm("resnet18"), weights: .timm("resnet18", file: "ckpt/r18.pth"), epochs: 0)
            """)
        #expect(check.diagnostics.isEmpty, "\(check.diagnostics)")
    }

    @Test(arguments: [
        (#"weights: .tim("resnet50")"#, ["`.tim`", "did you mean `.timm`?"]),
        (#"weights: .timm("resnet50", fil: "x.pth")"#, ["`fil`", "did you mean `file`?"]),
        (#"weights: .timm(file: "x.pth")"#, ["missing argument `name`"]),
        (#"weights: 3"#, ["weights"]),
    ])
    func typosAreCheckerErrors(argument: String, fragments: [String]) throws {
        let cell = "let e = Experiment(model: .resnet(depth: 18), \(argument), epochs: 0)"
        let check = checkCells(cell)
        let d = try #require(check.diagnostics.first, "no error for \(argument)")
        #expect(check.diagnostics.count == 1, "\(check.diagnostics)")
        for f in fragments { #expect(d.message.contains(f), "\(d.message)") }
        #expect(d.range.start.line == 2)
    }

    // MARK: - Resolution

    @Test func resolvesBothFormsAndTheOmittedModel() throws {
        let (plan, dir) = try planCell("""
            let path = Experiment(model: .resnet(depth: 18), weights: "w.safetensors", epochs: 0)
            let bare = Experiment(data: .shapes(classes: 4), weights: .timm("resnet18.a1_in1k"), epochs: 0)
            let local = Experiment(model: .timm("resnet18"), weights: .timm("resnet18.tv_in1k", file: "r18.pth"), epochs: 0,
                                   normalize: .dataset)
            """)
        #expect(plan.cellErrors.isEmpty, "\(plan.cellErrors)")
        let path = try #require(plan.experiment("path")).spec
        #expect(path.weights == "w.safetensors" && path.pretrained == nil && !path.normalizeFromPretrained)
        let bare = try #require(plan.experiment("bare")).spec
        #expect(bare.pretrained == PretrainedWeights(name: "resnet18.a1_in1k") && bare.weights == nil)
        #expect(bare.model == (try TimmModels.spec("resnet18", classes: nil)) && bare.classes == 1_000)
        #expect(bare.normalizeFromPretrained && bare.normalizeLabel == "pretrained_cfg")
        let local = try #require(plan.experiment("local")).spec
        #expect(local.pretrained == PretrainedWeights(name: "resnet18.tv_in1k", file: "r18.pth"))
        #expect(!local.normalizeFromPretrained && local.normalizeLabel != "pretrained_cfg")
        #expect(local.differences(from: bare).contains { $0.contains(#"weights .timm("resnet18.a1_in1k") → .timm("resnet18.tv_in1k", file: "r18.pth")"#) })
        withExtendedLifetime(dir) {}
    }

    @Test(arguments: [
        ("Experiment(epochs: 1)", "needs `model:`"),
        (#"Experiment(model: .timm("resnet50"), weights: .timm("resnet18.a1_in1k"), epochs: 0)"#,
         #"`model: .timm("resnet50")` does not fit `weights: .timm("resnet18.a1_in1k")`"#),
        (#"Experiment(weights: .timm("resnett18"), epochs: 0)"#, "did you mean `resnet18`?"),
    ])
    func unbuildableCombinationsAreCellErrors(cell: String, fragment: String) throws {
        let (plan, dir) = try planCell("let e = " + cell)
        let errors = plan.cellErrors.values.flatMap { $0 }.map(\.message)
        #expect(errors.count == 1 && errors[0].contains(fragment), "\(errors)")
        withExtendedLifetime(dir) {}
    }

    // MARK: - Keys

    @Test func keysCarryTheWeightsIdentity() throws {
        let dir = try TempDir()
        try Data("one".utf8).write(to: URL(fileURLWithPath: dir.path + "/a.pth"))
        try Data("two".utf8).write(to: URL(fileURLWithPath: dir.path + "/b.pth"))
        try Data("w".utf8).write(to: URL(fileURLWithPath: dir.path + "/w.safetensors"))
        let ws = try Workspace(outputDirectory: dir.path + "/out", dataRoot: dir.path)
        let cell = """
            let e = Experiment(data: .shapes(classes: 4), weights: .timm("resnet18", file: "a.pth"), epochs: 0)
            let sameFileAgain = Experiment(data: .shapes(classes: 4), weights: .timm("resnet18", file: "a.pth"), epochs: 0)
            let otherFile = e.with(weights: .timm("resnet18", file: "b.pth"))
            let otherName = e.with(weights: .timm("resnet18.a1_in1k", file: "a.pth"))
            let download = e.with(weights: .timm("resnet18"))
            let datasetStats = e.with(normalize: .dataset)
            let imagenet = e.with(normalize: .imagenet)
            let path = Experiment(model: .resnet(depth: 18), weights: "w.safetensors", epochs: 0)
            """
        let plan = try makePlan(document: Document(text: "```swift config\n\(cell)\n```\n", fileName: "t.md"),
                                registry: notebookRegistry(), workspace: ws)
        #expect(plan.cellErrors.isEmpty, "\(plan.cellErrors)")
        func key(_ n: String) throws -> String { try #require(plan.experiment(n)).runs[0].key }
        #expect(try key("e") == key("sameFileAgain"))
        let keys = try ["e", "otherFile", "otherName", "download", "datasetStats", "imagenet"].map(key)
        #expect(Set(keys).count == keys.count, "\(keys)")
        // The string form keys as before: its value as written and the file's content.
        let path = try #require(plan.experiment("path"))
        #expect(inputsManifest(path.spec, root: dir.path) == "|weights:" + (try ContentHash.sha256Hex(fileAt: dir.path + "/w.safetensors")))
        #expect(path.value.canonicalJSON.contains(#""weights":"w.safetensors""#))
        let e = try #require(plan.experiment("e"))
        // An evaluation-only run evaluates with the weights' pretrained_cfg transform: marked (docs/methods.md §6.6).
        #expect(inputsManifest(e.spec, root: dir.path)
                == "|eval:pretrained_cfg|timm-file:" + (try ContentHash.sha256Hex(fileAt: dir.path + "/a.pth")))
        // A changed checkpoint is other weights: a new key.
        try Data("one, changed".utf8).write(to: URL(fileURLWithPath: dir.path + "/a.pth"))
        let again = try makePlan(document: Document(text: "```swift config\n\(cell)\n```\n", fileName: "t.md"),
                                 registry: notebookRegistry(), workspace: ws)
        #expect(try #require(again.experiment("e")).runs[0].key != key("e"))
    }

    /// Analyses and confusion matrices read a pretrained run's normalisation from its `pretrained.json`.
    @Test func finishedRunsNormaliseAsTheirRunDid() throws {
        let (plan, dir) = try planCell("""
            let pre = Experiment(data: .shapes(classes: 4), weights: .timm("resnet18", file: "r.pth"), epochs: 0)
            let own = pre.with(normalize: .dataset)
            """)
        let ws = try Workspace(outputDirectory: dir.path + "/out", dataRoot: dir.path)
        let pre = try #require(plan.experiment("pre")).spec, own = try #require(plan.experiment("own")).spec
        #expect(throws: ExecuteError.self) { try pre.asRun("k", in: ws) }
        // `normalize: .dataset` keeps the dataset's statistics, but evaluates with the cfg's transform, so it reads it too.
        #expect(throws: ExecuteError.self) { try own.asRun("k", in: ws) }
        let cfg = PretrainedConfig(mean: [0.1, 0.2, 0.3], std: [0.4, 0.5, 0.6], inputSize: [3, 224, 224],
                                   interpolation: "bilinear", cropPct: 0.875)
        let record = TimmWeightsRecord(name: "resnet18", file: "r.pth", fileSHA256: "f", sha256: "s", tensors: 1, pretrainedCfg: cfg)
        try FileManager.default.createDirectory(atPath: ws.checkpointDirectory("k"), withIntermediateDirectories: true)
        try JSONEncoder().encode(record).write(to: URL(fileURLWithPath: ws.checkpointDirectory("k") + "/pretrained.json"))
        #expect(try pre.asRun("k", in: ws).normalize == .custom(mean: [0.1, 0.2, 0.3], std: [0.4, 0.5, 0.6]))
        #expect(try own.asRun("k", in: ws).normalize == own.normalize && own.asRun("k", in: ws).pretrainedEval?.size == 224)
    }

    @Test func noTorchPythonNamesTheVariable() throws {
        guard let python = ["/usr/bin/python3"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }),
              (try? runPython(python, ["-c", "import torch"])) == nil else { return }  // needs a Python without torch
        let dir = try TempDir()
        let ws = try Workspace(outputDirectory: dir.path + "/out", dataRoot: dir.path)
        #expect { try TimmWeights.prepare(PretrainedWeights(name: "resnet18"), model: try TimmModels.spec("resnet18", classes: nil),
                                          workspace: ws, python: python, environment: BLASCore.childEnvironment()) }
            throws: { "\($0)".contains("LOOM_TORCH_PYTHON") && "\($0)".contains("torch") && $0 is DataMissing
                      && "\($0)".contains("timm.create_model('resnet18', pretrained=True)") }
    }

    @Test func missingLocalFileIsNamed() throws {
        let dir = try TempDir()
        let ws = try Workspace(outputDirectory: dir.path + "/out", dataRoot: dir.path)
        #expect { try TimmWeights.prepare(PretrainedWeights(name: "resnet18", file: "nope.pth"), model: try TimmModels.spec("resnet18", classes: nil),
                                          workspace: ws, python: "/bin/false", environment: [:]) }
            throws: { "\($0)".contains(dir.path + "/nope.pth is no readable file") && $0 is DataMissing
                      && "\($0)".contains(#"weights: .timm("resnet18", file: "nope.pth")"#) }
    }
}

/// With a real torch and timm: one random resnet18 checkpoint, converted, reused, refused and evaluated.
@Suite(.serialized, .enabled(if: torchPython != nil, "skipped: LOOM_TORCH_PYTHON not set"))
struct TimmWeightsTorchTests {
    /// A folder holding `r18.pth`: timm's resnet18 with random weights, saved as a plain state dict.
    static func checkpoint() throws -> TempDir {
        let dir = try TempDir()
        _ = try runPython(try #require(torchPython), ["-c", """
            import timm, torch
            torch.manual_seed(0)
            torch.save(timm.create_model("resnet18").state_dict(), "\(dir.path)/r18.pth")
            """])
        return dir
    }

    @Test(.timeLimit(.minutes(5)))
    func convertsOnceChecksAndExplains() throws {
        let dir = try Self.checkpoint()
        let ws = try Workspace(outputDirectory: dir.path + "/output", dataRoot: dir.path)
        let python = try #require(torchPython), env = BLASCore.childEnvironment()
        let weights = PretrainedWeights(name: "resnet18", file: "r18.pth")
        let model = try TimmModels.spec("resnet18", classes: nil)
        let (path, record) = try TimmWeights.prepare(weights, model: model, workspace: ws, python: python, environment: env)
        #expect(path.hasPrefix(dir.path + "/output/weights/resnet18-file-"))
        #expect(record.sha256 == (try ContentHash.sha256Hex(fileAt: path)))
        #expect(record.fileSHA256 == (try ContentHash.sha256Hex(fileAt: dir.path + "/r18.pth")) && record.tensors == 122)
        #expect(record.pretrainedCfg.mean == [0.485, 0.456, 0.406] && record.pretrainedCfg.std == [0.229, 0.224, 0.225])
        #expect(record.pretrainedCfg.inputSize == [3, 224, 224] && record.pretrainedCfg.interpolation == "bicubic"
                && record.pretrainedCfg.cropPct == 0.95)
        // The safetensors hold the checkpoint's tensors under timm's names.
        let file = try SafeTensors.read(path)
        #expect(file["fc.weight"]?.shape == [1_000, 512] && file["layer4.1.bn2.running_var"] != nil)
        // Reused: no Python is run the second time (a missing interpreter would fail).
        let (again, reused) = try TimmWeights.prepare(weights, model: model, workspace: ws, python: "/nonexistent/python", environment: env)
        #expect(again == path && reused == record)
        // The wrong model, from the cache (Loom's own comparison) and converted afresh (the converter's): the same list.
        let four = try TimmModels.spec("resnet18", classes: 4)
        let wrongHead = "wrong shape: fc.bias [1000] (model [4]), fc.weight [1000, 512] (model [4, 512])"
        #expect { try TimmWeights.prepare(weights, model: four, workspace: ws, python: python, environment: env) }
            throws: { "\($0)".contains("(102 tensors) does not fit") && "\($0)".contains(wrongHead) }
        let fresh = try Workspace(outputDirectory: dir.path + "/fresh", dataRoot: dir.path)
        #expect { try TimmWeights.prepare(weights, model: four, workspace: fresh, python: python, environment: env) }
            throws: { "\($0)".contains("timm's `resnet18` weights (122 tensors) does not fit") && "\($0)".contains(wrongHead) }
        // A cached file that no longer has its sha256 is converted again (here: with no Python, so it fails).
        try Data("broken".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: (any Error).self) {
            try TimmWeights.prepare(weights, model: model, workspace: ws, python: "/nonexistent/python", environment: env)
        }
        #expect { try TimmWeights.prepare(PretrainedWeights(name: "resnett18", file: "r18.pth"), model: model, workspace: fresh,
                                          python: python, environment: env) }
            throws: { "\($0)".contains(#"timm does not know `resnett18`: "Unknown model (resnett18)"; did you mean `resnet18`"#) }
    }

    /// `epochs: 0` evaluations of the converted weights on tiny `.shapes` data at 32 px: without `normalize:` the test
    /// loss equals the one with ImageNet's statistics written out (resnet18's pretrained_cfg; the dataset's own, which
    /// `.shapes` computes from its training split, would give another); the run keeps a copy of the sidecar.
    @Test(.timeLimit(.minutes(5)))
    func evaluationUsesThePretrainedNormalisation() throws {
        let dir = try Self.checkpoint()
        let box = try Sandbox()
        try FileManager.default.copyItem(atPath: dir.path + "/r18.pth", toPath: box.root + "/r18.pth")
        let path = try box.write("""
            ```swift config
            let pre = Experiment(data: .shapes(classes: 4, size: 32, train: 8, test: 8),
                                 weights: .timm("resnet18", file: "\(box.root)/r18.pth"), epochs: 0, batchSize: 8)
            let written = pre.with(normalize: .imagenet)
            ```
            """)
        let (summary, log, _) = try box.run(path)
        #expect(summary.failed == 0 && summary.trained == 2, "\(log.lines)")
        let (doc, ws) = try openNotebook(path, outputDirectory: box.output)
        let plan = try makePlan(document: doc, registry: notebookRegistry(), workspace: ws)
        func loss(_ name: String) throws -> Double {
            let run = try #require(plan.experiment(name)?.runs.first)
            return try #require(try ws.store.run(key: run.key)?.summary["testLoss"])
        }
        #expect(try loss("pre") == loss("written"))
        let key = try #require(plan.experiment("pre")?.runs.first?.key)
        let copy = try JSONDecoder().decode(TimmWeightsRecord.self, from: Data(contentsOf: URL(fileURLWithPath: ws.checkpointDirectory(key) + "/pretrained.json")))
        #expect(copy.name == "resnet18" && copy.pretrainedCfg.mean == [0.485, 0.456, 0.406])
        let converted = try FileManager.default.contentsOfDirectory(atPath: box.output + "/weights").sorted()
        #expect(converted.count == 2 && converted.allSatisfy { $0.hasPrefix("resnet18-file-") }, "\(converted)")
    }
}
