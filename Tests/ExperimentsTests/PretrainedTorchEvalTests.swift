// The torch backend evaluates pretrained weights with their `pretrained_cfg` transform, as the embedded engine does:
// config.json's eval ops carry the resize (⌊size / crop_pct⌋, shorter side or squash), its interpolation and the crop.
import Experiments
import Foundation
import Testing
import Vision

@Suite struct PretrainedTorchEvalTests {
    /// A spec whose evaluation follows a `pretrained_cfg` (here resnet50.a1_in1k's: crop_pct 0.95, bicubic, at 40 px).
    static func spec(_ mode: TimmEvalTransform.CropMode = .center) throws -> ExperimentSpec {
        var (spec, _, _) = try torchSpec("let e = Experiment(model: .resnet(depth: 18), data: .cifar10, epochs: 1)")
        spec.pretrainedEval = TimmEvalTransform(size: 40, cropPct: 0.95, cropMode: mode, interpolation: .bicubic)
        return spec
    }

    static func config(_ spec: ExperimentSpec, directory: String = "/o") throws -> Data {
        try TorchConfig.json(spec: spec, key: "k", binding: "e", seed: 0, backend: TorchBackend(python: torchPython ?? "p"),
                             data: TorchData(kind: "cifar10", train: "/d", test: "/d", normalization: .imagenet),
                             files: TorchRunFiles(directory: directory, finalWeights: directory + "/f.safetensors"),
                             weights: nil, teacherWeights: nil)
    }

    @Test func configCarriesThePretrainedTransform() throws {
        for (mode, resize) in [(TimmEvalTransform.CropMode.center, "resizeShorter"), (.squash, "resize")] {
            let json = try #require(try JSONSerialization.jsonObject(with: Self.config(try Self.spec(mode))) as? [String: Any])
            let eval = try #require(json["eval"] as? [[String: Any]])
            #expect(eval.count == 2)
            #expect(eval.first?["op"] as? String == resize && eval.first?["size"] as? Int == 42)  // ⌊40 / 0.95⌋
            #expect(eval.first?["interpolation"] as? String == "bicubic")
            #expect(eval.last?["op"] as? String == "centerCrop" && eval.last?["size"] as? Int == 40)
        }
        // Without pretrained weights nothing changes: no interpolation key, timm's 0.875 after a random-resized crop.
        let (plain, _, _) = try torchSpec("let e = Experiment(model: .resnet(depth: 18), data: .cifar10, augment: [.randomResizedCrop(size: 32)])")
        let json = try #require(try JSONSerialization.jsonObject(with: Self.config(plain)) as? [String: Any])
        let eval = try #require(json["eval"] as? [[String: Any]])
        #expect(eval.first?["interpolation"] == nil && eval.first?["size"] as? Int == 36)
    }

    /// One photograph-sized random image through Loom's evaluation pipeline and through `build_transform` of
    /// python/loom_train.py from the config.json Loom writes: the same values (both resize as PIL does).
    @Test(.enabled(if: torchPython != nil, "skipped: LOOM_TORCH_PYTHON not set"), .timeLimit(.minutes(5)))
    func embeddedAndTorchAgreeOnThePretrainedTransform() throws {
        let python = try #require(torchPython)
        let dir = try TempDir()
        var rng = SeededRNG(seed: 11)
        let image = Image(width: 61, height: 47, pixels: (0..<61 * 47 * 3).map { _ in UInt8(rng.next() % 256) })
        for mode in TimmEvalTransform.CropMode.allCases {
            let spec = try Self.spec(mode)
            let (torch, loom, worst) = try evalPipelines(python, spec: spec, config: try Self.config(spec, directory: dir.path),
                                                         dataset: .imagenet, image: image, in: dir.path)
            #expect(torch == loom && loom == 3 * 40 * 40)
            print("PretrainedTorchEvalTests: \(mode) Loom vs torch max |Δ| = \(worst)")
            // One 8-bit level after normalisation (std ≥ 0.224) at most, the resize fixtures' tolerance.
            #expect(worst <= 1 / 255 / 0.224 + 1e-5, "\(mode)")
        }
    }
}

@Suite struct PretrainedEstimateTests {
    /// `loom plan` estimates a pretrained evaluation at timm's 224 px before the weights are converted (an image
    /// folder's size is unknown before reading it), at an explicit `.resize` when there is one, and counts the one
    /// evaluation of an `epochs: 0` run.
    @Test func pretrainedEvaluationIsEstimatedAtItsInputSize() throws {
        let data = ".imageFolder(path: \"val\", test: \"val\")"
        let (pretrained, _, _) = try torchSpec("let e = Experiment(data: \(data), weights: .timm(\"resnet50.a1_in1k\"), epochs: 0)")
        #expect(pretrained.estimatedImageSize == 224)
        let (resized, _, _) = try torchSpec("let e = Experiment(data: \(data), augment: [.resize(size: 64)], weights: .timm(\"resnet50.a1_in1k\"), epochs: 0)")
        #expect(resized.estimatedImageSize == 64)
        let (plain, _, _) = try torchSpec("let e = Experiment(model: .resnet(depth: 18), data: .cifar10, epochs: 1)")
        #expect(plain.estimatedImageSize == 32)
    }
}
