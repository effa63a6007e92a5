// Tests: pretrained weights evaluate with their pretrained_cfg's resize, crop and interpolation — which runs do, the
// transform each gets, the key marker on exactly those runs, and analyses reading it back from the run's record.
import Engine
import Foundation
import Notebook
import Testing
@testable import Experiments
import Vision

@Suite struct PretrainedEvalTests {
    static let cell = """
        let only = Experiment(data: .imageFolder(path: "imgs"), weights: .timm("resnet50.a1_in1k"), epochs: 0)
        let cropped = Experiment(data: .imageFolder(path: "imgs"), weights: .timm("resnet50.a1_in1k"),
                                 augment: [.randomResizedCrop(size: 160), .horizontalFlip], epochs: 2)
        let squareResize = Experiment(data: .imageFolder(path: "imgs"), weights: .timm("resnet50.a1_in1k"),
                                      augment: [.resize(size: 64)], epochs: 0)
        let trainsNative = Experiment(data: .shapes(classes: 4), weights: .timm("resnet18"), epochs: 1)
        let ownWeights = Experiment(model: .resnet(depth: 18, classes: 3), data: .imageFolder(path: "imgs"), weights: "w.safetensors",
                                    augment: [.randomResizedCrop(size: 160)], epochs: 0)
        """

    static let resnet50Cfg = PretrainedConfig(mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], inputSize: [3, 224, 224],
                                              interpolation: "bicubic", cropPct: 0.95, cropMode: "center")

    static func plan() throws -> (NotebookPlan, Workspace, TempDir) {
        let dir = try TempDir()
        let ws = try Workspace(outputDirectory: dir.path + "/out", dataRoot: dir.path)
        let plan = try makePlan(document: Document(text: "```swift config\n\(cell)\n```\n", fileName: "t.md"),
                                registry: notebookRegistry(), workspace: ws)
        #expect(plan.cellErrors.isEmpty, "\(plan.cellErrors.values.flatMap { $0 }.map(\.message))")
        return (plan, ws, dir)
    }

    @Test func whichRunsEvaluateWithTheCfgAndAtWhatSize() throws {
        let (plan, _, dir) = try Self.plan()
        func spec(_ n: String) throws -> ExperimentSpec { try #require(plan.experiment(n)).spec }
        #expect(try spec("only").evaluatesWithPretrainedCfg && spec("cropped").evaluatesWithPretrainedCfg)
        #expect(try !spec("squareResize").evaluatesWithPretrainedCfg && !spec("trainsNative").evaluatesWithPretrainedCfg
                && !spec("ownWeights").evaluatesWithPretrainedCfg)
        // Evaluation-only: the cfg's input size; with a sized random-resized crop: its size (timm's --img-size).
        let only = try Self.resnet50Cfg.evalTransform(for: spec("only"), weights: "w")
        #expect(only == TimmEvalTransform(size: 224, cropPct: 0.95, cropMode: .center, interpolation: .bicubic))
        let cropped = try Self.resnet50Cfg.evalTransform(for: spec("cropped"), weights: "w")
        #expect(cropped.size == 160 && cropped.scaleSize == 168)
        var prepared = try spec("cropped")
        prepared.pretrainedEval = cropped
        #expect(prepared.testPipeline(normalization: .imagenet).steps.map(\.name).prefix(2)
                == ["ResizeShorterSide(168, bicubic)", "CenterCrop(160x160)"])
        // Before the weights are converted (and for the others): the transform `augment:` implies, as before.
        #expect(try spec("cropped").testPipeline(normalization: .imagenet).steps.map(\.name).prefix(2)
                == ["ResizeShorterSide(182)", "CenterCrop(160x160)"])
        #expect(try spec("only").resizesImages && spec("only").imageSizeLabel == "pretrained_cfg")
        #expect(try spec("cropped").imageSizeLabel == "160" && spec("squareResize").imageSizeLabel == "64")
        withExtendedLifetime(dir) {}
    }

    /// Keys change only for the runs whose evaluation changes.
    @Test func onlyRunsEvaluatedWithTheCfgCarryTheKeyMarker() throws {
        let (plan, ws, dir) = try Self.plan()
        for (name, marked) in [("only", true), ("cropped", true), ("squareResize", false), ("trainsNative", false),
                               ("ownWeights", false)] {
            guard let spec = plan.experiment(name)?.spec else { Issue.record("no \(name)"); continue }
            #expect(inputsManifest(spec, root: ws.dataRoot).contains("|eval:pretrained_cfg") == marked, "\(name)")
        }
        #expect(inputsManifest(try #require(plan.experiment("squareResize")).spec, root: ws.dataRoot) == "")
        withExtendedLifetime(dir) {}
    }

    @Test func cfgsLoomCannotReproduceAreExecuteErrors() throws {
        let (plan, _, dir) = try Self.plan()
        var cfg = Self.resnet50Cfg
        cfg.cropMode = "border"
        #expect { try cfg.evalTransform(for: try #require(plan.experiment("only")).spec, weights: ".timm(\"x\")") }
            throws: { "\($0)".contains("crop_mode `border` is not reproduced") && "\($0)".contains("`augment: [.resize(size: N)]`") }
        cfg = Self.resnet50Cfg
        cfg.inputSize = [3, 224, 160]
        #expect { try cfg.evalTransform(for: try #require(plan.experiment("only")).spec, weights: ".timm(\"x\")") }
            throws: { "\($0)".contains("input_size [3, 224, 160] is not square") }
        withExtendedLifetime(dir) {}
    }

    /// Analyses prepare images as the run's evaluation did: from its `pretrained.json`, also when written before
    /// `crop_mode` was recorded (timm's default, `center`).
    @Test func finishedRunsEvaluateAsTheirRunDid() throws {
        let (plan, ws, dir) = try Self.plan()
        let only = try #require(plan.experiment("only")).spec
        let legacy = #"{"name":"resnet50.a1_in1k","sha256":"s","tensors":1,"pretrainedCfg":{"mean":[0.485,0.456,0.406],"#
            + #""std":[0.229,0.224,0.225],"input_size":[3,224,224],"interpolation":"bicubic","crop_pct":0.95}}"#
        try FileManager.default.createDirectory(atPath: ws.checkpointDirectory("k"), withIntermediateDirectories: true)
        try Data(legacy.utf8).write(to: URL(fileURLWithPath: ws.checkpointDirectory("k") + "/pretrained.json"))
        let run = try only.asRun("k", in: ws)
        #expect(run.pretrainedEval == TimmEvalTransform(size: 224, cropPct: 0.95, cropMode: .center, interpolation: .bicubic))
        #expect(run.normalize == .custom(mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225]))
        let square = try #require(plan.experiment("squareResize")).spec
        #expect(try square.asRun("k", in: ws).pretrainedEval == nil)
        withExtendedLifetime(dir) {}
    }
}
