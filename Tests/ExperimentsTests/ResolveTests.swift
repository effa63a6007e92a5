// Tests of resolution: defaults, each form of each part, errors checks cannot see, labels, sweeps, building objects.
import Engine
import Foundation
import Testing
@testable import Experiments
import Notebook
import Vision

/// Checks `cells` (which must be clean) and resolves the binding `name`.
func resolve(_ name: String, _ cells: String...) throws -> ExperimentSpec {
    let (resolver, value) = try checked(name, cells)
    return try resolver.experiment(value)
}

func checked(_ name: String, _ cells: [String]) throws -> (Resolver, ResolvedValue) {
    let result = checkCells(cells)
    #expect(result.diagnostics == [], "\(result.diagnostics)")
    let value = try #require(result.bindings[name]?.value, "no binding \(name)")
    return (Resolver(bindings: result.bindings), value)
}

/// The resolution error of binding `name`.
func resolveError(_ name: String, _ cells: String...) throws -> String {
    let (resolver, value) = try checked(name, cells)
    do {
        _ = try resolver.experiment(value)
    } catch let error as ResolveError {
        return error.message
    }
    Issue.record("no error resolving \(name)")
    return ""
}

@Suite struct ResolveTests {
    @Test func defaults() throws {
        let spec = try resolve("e", "let e = Experiment(model: .resnet(depth: 18))")
        #expect(spec == ExperimentSpec(
            model: .resnet(ResNet.Config.depth(18, classes: 10)!),
            data: .shapes(classes: 10, size: 32, train: 8_000, test: 2_000, textureCue: 0, seed: 0),
            augment: [], mix: nil, optimizer: .sgd(momentum: 0.9, weightDecay: 5e-4, nesterov: true), learningRate: 0.1,
            schedule: Schedule(.cosine(minLR: 0), baseLR: 0.1, epochs: 10, warmupEpochs: 0, warmupLR: 1e-5),
            epochs: 10, batchSize: 128, seeds: [0], labelSmoothing: 0, distillation: nil, weights: nil, clipGrad: nil))
        #expect(spec.mixup == nil)
        #expect(spec.lossLabelSmoothing == 0)
        #expect(spec.modelLabel == "ResNet-18")
        #expect(spec.augmentLabel == "none")
        #expect(spec.optimizerLabel == "SGD 0.1, m 0.9, wd 5e-4, nesterov")
        #expect(spec.scheduleLabel == "cosine")
        #expect(spec.dataLabel == "shapes(10)")
    }

    @Test func resnetForms() throws {
        let se = try resolve("e", "let e = Experiment(model: .resnet(depth: 18, width: 16, attention: .se), data: .cifar100)")
        #expect(se.model == .resnet(ResNet.Config.depth(18, width: 0.25, attention: .se, classes: 100)!))
        #expect(se.modelLabel == "ResNet-18 w16 +SE")
        let big = try resolve("e", "let e = Experiment(model: .resnet(depth: 50, stem: .imagenet, attention: .cbam, classes: 7))")
        #expect(big.classes == 7)
        #expect(big.modelLabel == "ResNet-50 ImageNet-stem +CBAM")
        let custom = try resolve("e", "let e = Experiment(model: .resnet(layers: [1, 1, 2], width: 8))")
        #expect(custom.model == .resnet(ResNet.Config(block: .basic, layers: [1, 1, 2], channels: [8, 16, 32], stemWidth: 8,
                                                      classes: 10)))
        #expect(custom.modelLabel == "ResNet basic[1,1,2] 8-16-32")
        let given = try resolve("e", "let e = Experiment(model: .resnet(layers: [2, 2], block: .bottleneck, channels: [16, 40]))")
        #expect(given.model == .resnet(ResNet.Config(block: .bottleneck, layers: [2, 2], channels: [16, 40], stemWidth: 64,
                                                     classes: 10)))
    }

    @Test(arguments: [
        (".resnet(width: 16)", "`.resnet` needs `depth:` (18, 34, 50, 101 or 152) or `layers:` (blocks per stage)"),
        (".resnet(depth: 18, layers: [2, 2])", "`.resnet` takes `depth:` or `layers:`, not both"),
        (".resnet(depth: 18, block: .basic)", "`block:` of `.resnet` goes with `layers:`; `depth: 18` fixes it"),
        (".resnet(layers: [2, 2], channels: [8])", "`channels:` of `.resnet` has 1 entries but `layers:` has 2; give one per stage"),
        (".vit(patch: 5)", "`patch: 5` of `.vit` does not divide the image side 32"),
        (".vit(dim: 100, heads: 3)", "`heads: 3` of `.vit` does not divide `dim: 100`"),
    ] as [(String, String)])
    func modelErrors(model: String, message: String) throws {
        #expect(try resolveError("e", "let e = Experiment(model: \(model))") == message)
    }

    @Test func vit() throws {
        let spec = try resolve("e", "let e = Experiment(model: .vit(patch: 4, depth: 6), data: .cifar100)")
        #expect(spec.model == .vit(ViT.Config(image: 32, patch: 4, dim: 192, depth: 6, heads: 3, classes: 100)))
        #expect(spec.modelLabel == "ViT d192×6 h3 p4")
        let resized = try resolve("e", """
            let e = Experiment(model: .vit(patch: 16, qkvBias: false), data: .imageFolder(path: "pets", test: "pets-val"),
                               augment: [.randomResizedCrop(size: 224)], optimizer: .adamw(lr: 1e-3))
            """.replacingOccurrences(of: ".vit(patch: 16", with: ".vit(patch: 16, classes: 37"))
        #expect(resized.model == .vit(ViT.Config(image: 224, patch: 16, dim: 192, depth: 12, heads: 3, qkvBias: false, classes: 37)))
        #expect(resized.data == .imageFolder(path: "pets", test: "pets-val"))
        #expect(try resolveError("e", "let e = Experiment(model: .resnet(depth: 18), data: .imageFolder(path: \"pets\"))")
                == "`.resnet` needs `classes:` with `.imageFolder` data (its class count is known only after reading the folder)")
        #expect(try resolveError("e", "let e = Experiment(model: .vit(classes: 3), data: .imageFolder(path: \"pets\"))")
                == "`.vit` needs `image:` with `.imageFolder` data unless `augment` resizes the images")
    }

    @Test func dataForms() throws {
        #expect(try resolve("e", "let e = Experiment(model: .resnet(depth: 18), data: .cifar10)").data
                == .cifar10(path: "data/cifar-10-batches-bin"))
        #expect(try resolve("e", "let e = Experiment(model: .resnet(depth: 18), data: .cifar100(path: \"/d/c100\"))").data
                == .cifar100(path: "/d/c100"))
        let shapes = try resolve("e", """
            let e = Experiment(model: .resnet(depth: 18),
                               data: .shapes(classes: 4, size: 16, train: 40, test: 20, textureCue: 0.5, seed: 3))
            """)
        #expect(shapes.data == .shapes(classes: 4, size: 16, train: 40, test: 20, textureCue: 0.5, seed: 3))
        #expect(shapes.classes == 4)
        #expect(shapes.dataLabel == "shapes(4) cue 0.5")
        #expect(DataSpec.path("data/x", root: "/nb") == "/nb/data/x")
        #expect(DataSpec.path("/abs/x", root: "/nb") == "/abs/x")
        #expect(DataSpec.path("data/x", root: "") == "data/x")
    }

    @Test func augmentations() throws {
        let spec = try resolve("e", """
            let e = Experiment(model: .resnet(depth: 18), augment: [
                .randomCrop, .horizontalFlip, .autoAugment(.cifar10), .colorJitter(0.4, saturation: 0.2),
                .randAugment("rand-m9-n2-mstd0.5"), .trivialAugment, .randomResizedCrop, .resize(size: 40),
                .cutout, .randomErasing])
            """)
        #expect(spec.augment == [
            .randomCrop(padding: 4), .horizontalFlip, .autoAugment(policy: "cifar10"),
            .colorJitter(brightness: 0.4, contrast: 0.4, saturation: 0.2, hue: 0), .randAugment(config: "rand-m9-n2-mstd0.5"),
            .trivialAugment, .randomResizedCrop(size: nil), .resize(size: 40), .cutout(size: 16),
            .randomErasing(p: 0.25, mode: "pixel", count: 1),
        ])
        #expect(spec.augmentLabel
                == "crop+flip+AA(cifar10)+CJ(0.4, 0.4, 0.2)+RA(rand-m9-n2-mstd0.5)+TA+RRC+resize(40)+cutout(16)+RE(0.25)")
        #expect(spec.imageSize == 40)
        #expect(try resolveError("e", "let e = Experiment(model: .resnet(depth: 18), augment: [.randAugment(\"rand-x9\")])")
                .hasPrefix("`.randAugment`: bad augmentation config 'rand-x9'"))
    }

    @Test func pipelinesFollowTimmOrder() throws {
        let spec = try resolve("e", """
            let e = Experiment(model: .resnet(depth: 18),
                               augment: [.randomErasing(p: 1, mode: .const), .randomCrop(padding: 2), .cutout(size: 4),
                                         .horizontalFlip, .autoAugment(.v0)])
            """)
        let train = try spec.trainPipeline(normalization: .cifar10)
        #expect(train.steps.map(\.name) == [
            "RandomCrop(32, pad 2)", "HorizontalFlip(p 0.5)", "AutoAugment(v0)", AugmentStep.normalize(.cifar10).name,
            "RandomErasing(p 1.0, const, count 1…1)", "Cutout(4)",
        ])
        #expect(spec.testPipeline(normalization: .cifar10).steps.map(\.name) == [AugmentStep.normalize(.cifar10).name])
        var rng = SeededRNG(seed: 1)
        let out = train(Image(width: 32, height: 32, fill: .mid), rng: &rng)
        #expect(out.width == 32 && out.height == 32 && out.channels == 3)

        let rrc = try resolve("e", "let e = Experiment(model: .resnet(depth: 18), augment: [.randomResizedCrop(size: 64)])")
        #expect(rrc.testPipeline(normalization: .unit).steps.map(\.name)
                == ["ResizeShorterSide(73)", "CenterCrop(64x64)", AugmentStep.normalize(.unit).name])
        let folder = try resolve("e", """
            let e = Experiment(model: .resnet(depth: 18, classes: 2), data: .imageFolder(path: "p"), augment: [.randomCrop])
            """)
        #expect(throws: ResolveError("`.randomCrop` needs the image size; put `.resize(size:)` before it for `.imageFolder` data")) {
            try folder.trainPipeline(normalization: .imagenet)
        }
    }

    /// After `.randomResizedCrop(size: 224)` on an image folder, evaluation is timm's `transforms_imagenet_eval`
    /// (shorter side to 256, aspect kept, bilinear antialiased; centre crop 224): on the fixtures' two 640×427
    /// photographs it gives PIL's `eval224` pixels exactly (Tests/Fixtures/README.md). On square images it equals
    /// the square resize it replaced, so CIFAR and `.shapes` results do not move.
    @Test func randomResizedCropEvaluatesWithTimmsTransform() throws {
        let spec = try resolve("e", """
            let e = Experiment(model: .resnet(depth: 18, classes: 2), data: .imageFolder(path: "p"),
                               augment: [.randomResizedCrop(size: 224), .horizontalFlip])
            """)
        let eval = spec.testPipeline(normalization: .unit)
        let reference = try SafeTensors.read(JPEGFolderEndToEndTests.fixture("photos_reference.safetensors"))
        for name in ["photo_china", "photo_flower"] {
            let photo = try ImageFile.read(path: JPEGFolderEndToEndTests.fixture("\(name).jpg"))
            var rng = SeededRNG(seed: 0)
            let x = eval(photo, rng: &rng)
            #expect(x.width == 224 && x.height == 224)
            // The planar [0, 1] floats back to HWC bytes, compared with PIL's.
            let expected = try #require(reference["\(name).eval224"]).ints
            var worst = 0
            for y in 0..<224 {
                for col in 0..<224 {
                    for c in 0..<3 {
                        let v = Int((x.data[(c * 224 + y) * 224 + col] * 255).rounded())
                        worst = max(worst, abs(v - expected[(y * 224 + col) * 3 + c]))
                    }
                }
            }
            #expect(worst == 0, "\(name): max difference \(worst) levels")
        }
        var rng = SeededRNG(seed: 0)
        let square = Image(width: 40, height: 40, pixels: (0..<4800).map { UInt8(($0 * 37) % 256) })
        let small = try resolve("e", "let e = Experiment(model: .resnet(depth: 18), augment: [.randomResizedCrop(size: 28)])")
        let old = AugmentPipeline([.image(Resize(width: 32, height: 32)), .image(CenterCrop(width: 28, height: 28)), .normalize(.unit)])
        var rng2 = SeededRNG(seed: 0)
        #expect(small.testPipeline(normalization: .unit)(square, rng: &rng).data == old(square, rng: &rng2).data)
    }

    @Test func mixingFoldsSmoothingIntoMixup() throws {
        let spec = try resolve("e", """
            let e = Experiment(model: .resnet(depth: 18), mix: .mixupCutmix(switchProb: 0.3), labelSmoothing: 0.1)
            """)
        #expect(spec.mix == MixSpec(mixupAlpha: 0.8, cutmixAlpha: 1, probability: 1, switchProbability: 0.3))
        #expect(spec.mixup == Mixup(mixupAlpha: 0.8, cutmixAlpha: 1, probability: 1, switchProbability: 0.3, labelSmoothing: 0.1))
        #expect(spec.lossLabelSmoothing == 0)
        #expect(spec.mixLabel == "mixup(0.8)|cutmix(1)")
        let cutmix = try resolve("e", "let e = Experiment(model: .resnet(depth: 18), mix: .cutmix(prob: 0.5))")
        #expect(cutmix.mix == MixSpec(mixupAlpha: 0, cutmixAlpha: 1, probability: 0.5, switchProbability: 0.5))
        #expect(cutmix.mixLabel == "cutmix(1)")
        let smooth = try resolve("e", "let e = Experiment(model: .resnet(depth: 18), mix: .none, labelSmoothing: 0.1)")
        #expect(smooth.mixup == nil)
        #expect(smooth.lossLabelSmoothing == 0.1)
    }

    @Test func optimizersAndSchedules() throws {
        let adamw = try resolve("e", """
            let e = Experiment(model: .resnet(depth: 18), optimizer: .adamw(lr: 1e-3, beta2: 0.95),
                               schedule: .step(decayEpochs: 30, warmupEpochs: 2), epochs: 90)
            """)
        #expect(adamw.optimizer == .adamw(beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.05))
        #expect(adamw.learningRate == 1e-3)
        #expect(adamw.schedule == Schedule(.step(decayEpochs: 30, decayRate: 0.1), baseLR: 1e-3, epochs: 90, warmupEpochs: 2,
                                           warmupLR: 1e-5))
        #expect(adamw.optimizerLabel == "AdamW 1e-3, β 0.9/0.95, wd 0.05")
        #expect(adamw.scheduleLabel == "step(30, ×0.1), warmup 2")
        let lion = try resolve("e", """
            let e = Experiment(model: .resnet(depth: 18), optimizer: .lion(lr: 1e-4),
                               schedule: .multiStep(milestones: [3, 6]), epochs: 8, seed: 5, seeds: 3, clipGrad: 2)
            """)
        #expect(lion.optimizer == .lion(beta1: 0.9, beta2: 0.99, weightDecay: 0.5))
        #expect(lion.schedule == Schedule(.multiStep(milestones: [3, 6], decayRate: 0.2), baseLR: 1e-4, epochs: 8))
        #expect(lion.seeds == [5, 6, 7])
        #expect(lion.clipGrad == 2)
        #expect(lion.optimizerLabel == "Lion 1e-4, wd 0.5")
        let plain = try resolve("e", "let e = Experiment(model: .resnet(depth: 18), optimizer: .sgd(lr: 0.5, nesterov: false))")
        #expect(plain.optimizerLabel == "SGD 0.5, m 0.9, wd 5e-4")
        #expect(try resolveError("e", "let e = Experiment(model: .resnet(depth: 18), schedule: .multiStep(milestones: [6, 3]))")
                == "`milestones:` of `.multiStep` must increase, found [6, 3]")
        #expect(try resolveError("e", "let e = Experiment(model: .resnet(depth: 18), epochs: 0)")
                == "`epochs: 0` only evaluates, so it needs `weights:` (a safetensors file or `.timm(\"name\")`) to evaluate")
        let eval = try resolve("e", "let e = Experiment(model: .resnet(depth: 18), epochs: 0, weights: \"w.safetensors\")")
        #expect(eval.weights == "w.safetensors")
    }

    @Test func teachers() throws {
        let cells = ["let t = Experiment(model: .resnet(depth: 34, width: 8), epochs: 3)",
                     "let s = Experiment(model: .resnet(depth: 18, width: 8), teacher: t)",
                     "let s2 = s.with(teacher: .distill(teacher: t, temperature: 2, alpha: 0.5))",
                     "let s3 = s.with(teacher: .distill(teacher: s2))"]
        let teacher = try resolve("t", cells[0])
        let bare = try resolve("s", cells[0], cells[1])
        #expect(bare.distillation == DistillationSpec(teacher: teacher, teacherName: "t", temperature: 4, alpha: 0.9))
        let explicit = try resolve("s2", cells[0], cells[1], cells[2])
        #expect(explicit.distillation == DistillationSpec(teacher: teacher, teacherName: "t", temperature: 2, alpha: 0.5))
        let chained = try resolve("s3", cells[0], cells[1], cells[2], cells[3])
        #expect(chained.distillation?.teacher.distillation?.teacher == teacher)
        let kd = try #require(explicit.distillation).distillation(teacher: teacher.model.build(seed: 0))
        #expect(kd.temperature == 2 && kd.alpha == 0.5 && kd.gamma == 0.5)
        #expect(try resolveError("s", cells[0], "let s = Experiment(model: .resnet(depth: 18, classes: 5), teacher: t)")
                == "the teacher predicts 10 classes and the student 5; distillation needs the same classes")
    }

    @Test func specsRoundTripThroughJSON() throws {
        let spec = try resolve("s", "let t = Experiment(model: .vit(depth: 2), mix: .mixup)",
                               "let s = Experiment(model: .resnet(depth: 18), augment: [.randomErasing, .autoAugment], teacher: t)")
        let json = try JSONEncoder().encode(spec)
        #expect(try JSONDecoder().decode(ExperimentSpec.self, from: json) == spec)
    }

    @Test func sweepExpands() throws {
        let (resolver, value) = try checked("sw", [
            "let base = Experiment(model: .resnet(depth: 18), optimizer: .sgd(lr: 0.1))",
            "let sw = Sweep(base, optimizer: [.sgd(lr: 1), .adamw(lr: 1)], lr: [0.05, 0.2], batchSize: [64, 128, 256])",
            "let hand = base.with(optimizer: .adamw(lr: 0.2), batchSize: 64)",
        ])
        let points = try resolver.sweep(value)
        #expect(points.count == 12)
        #expect(points.map(\.spec.learningRate) == [0.05, 0.05, 0.05, 0.2, 0.2, 0.2, 0.05, 0.05, 0.05, 0.2, 0.2, 0.2])
        #expect(points.map(\.spec.batchSize).prefix(3) == [64, 128, 256])
        #expect(points[0].label == "SGD 0.05, m 0.9, wd 5e-4, nesterov, lr 0.05, batch 64")
        #expect(points[9].label == "AdamW 0.2, wd 0.05, lr 0.2, batch 64")
        let result = checkCells("let base = Experiment(model: .resnet(depth: 18), optimizer: .sgd(lr: 0.1))",
                                "let hand = base.with(optimizer: .adamw(lr: 0.2), batchSize: 64)")
        #expect(points[9].value == result.bindings["hand"]?.value)

        let (r2, empty) = try checked("sw", ["let base = Experiment(model: .resnet(depth: 18))", "let sw = Sweep(base)"])
        #expect(throws: ResolveError("`Sweep` needs at least one axis, e.g. `lr: [0.05, 0.1, 0.2]`")) { try r2.sweep(empty) }
        let (r3, twice) = try checked("sw", ["let base = Experiment(model: .resnet(depth: 18))", "let sw = Sweep(base, seed: [1, 1])"])
        #expect(throws: ResolveError("`Sweep` repeats the point seed 1")) { try r3.sweep(twice) }
    }

    @Test func outputRunsExpandSweeps() throws {
        let result = checkCells("let base = Experiment(model: .resnet(depth: 18))",
                                "let sw = Sweep(base, epochs: [1, 2])",
                                "Table(base, sw, Experiment(model: .vit(depth: 1)))\nSamples(base)")
        #expect(result.diagnostics == [])
        let resolver = Resolver(bindings: result.bindings)
        let statements = result.cells[2].statements
        let runs = try resolver.runs(of: statements[0].value)
        #expect(runs.map(\.name) == ["base", "sw[epochs 1]", "sw[epochs 2]", "run 3"])
        #expect(try resolver.runs(of: statements[1].value).map(\.name) == ["base"])
    }

    @Test func resolutionErrorsAreDiagnosticsAtTheStatement() {
        let result = checkCells("let base = Experiment(model: .resnet(depth: 18))",
                                "let bad = base.with(model: .resnet(depth: 18, layers: [2]))\nlet sw = Sweep(base, model: [.vit(patch: 3)])")
        #expect(result.diagnostics == [])
        let diagnostics = Vocabulary.diagnostics(for: result)
        #expect(diagnostics.map(\.message) == [
            "`.resnet` takes `depth:` or `layers:`, not both",
            "`Sweep` point 1 (model .vit): `patch: 3` of `.vit` does not divide the image side 32",
        ])
        #expect(diagnostics.map(\.range.start.line) == [6, 7])
    }

    @Test func buildsModelsAndLoadsShapes() throws {
        let spec = try resolve("e", """
            let e = Experiment(model: .resnet(layers: [1, 1], width: 4),
                               data: .shapes(classes: 3, size: 16, train: 12, test: 6), augment: [.randomCrop, .horizontalFlip])
            """)
        let model = spec.model.build(seed: 0)
        let logits = Autograd.noGrad { model(Tensor.zeros([2, 3, 16, 16])) }
        #expect(logits.shape == [2, 3])
        let data = try spec.data.load(root: "/nonexistent")
        #expect(data.train.count == 12 && data.test.count == 6)
        #expect(data.classNames.count == 3)
        #expect(data.normalization.mean.allSatisfy { $0 > 0 && $0 < 1 } && data.normalization.std.allSatisfy { $0 > 0 })
        let x = try spec.trainPipeline(normalization: data.normalization)
        var rng = SeededRNG(seed: 0)
        #expect(x(data.train.images[0], rng: &rng).data.count == 3 * 16 * 16)
        let vit = try resolve("e", "let e = Experiment(model: .vit(patch: 8, dim: 16, depth: 1, heads: 2), data: .shapes(size: 16))")
        #expect(Autograd.noGrad { vit.model.build(seed: 1)(Tensor.zeros([1, 3, 16, 16])) }.shape == [1, 10])
    }

    @Test func missingCIFARNamesThePath() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("loom-no-cifar-\(getpid())").path
        for (cell, file) in [(".cifar100", "data/cifar-100-binary/fine_label_names.txt"),
                             (".cifar10(path: \"c10\")", "c10/batches.meta.txt")] {
            let spec = try resolve("e", "let e = Experiment(model: .resnet(depth: 18), data: \(cell))")
            #expect(throws: CIFARError.missingFile(path: root + "/" + file, expectedBytes: nil)) {
                _ = try spec.data.load(root: root)
            }
        }
    }
}
