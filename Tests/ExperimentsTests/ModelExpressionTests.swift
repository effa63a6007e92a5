// Tests: model expressions (each form, short names, errors) and Predictor against the model's own forward.

import Engine
import Experiments
import Foundation
import Notebook
import Testing
import Vision

struct ModelExpressionTests {
    func resnet(_ text: String, classes: Int = 100) throws -> ResNet.Config {
        guard case let .resnet(c) = try ModelExpression.parse(text, defaultClasses: classes) else {
            Issue.record("\(text) is not a ResNet"); throw CancellationError()
        }
        return c
    }

    func vit(_ text: String) throws -> ViT.Config {
        guard case let .vit(c) = try ModelExpression.parse(text) else {
            Issue.record("\(text) is not a ViT"); throw CancellationError()
        }
        return c
    }

    /// The error message for `text`, or nil if it parsed.
    func failure(_ text: String) -> String? {
        do { _ = try ModelExpression.parse(text); return nil } catch { return "\(error)" }
    }

    @Test(arguments: [18, 34, 50, 101, 152])
    func depthFormMatchesTheStandardConfig(depth: Int) throws {
        let c = try resnet(".resnet(depth: \(depth), width: 16, stem: .imagenet, attention: .cbam, classes: 10)")
        #expect(c == ResNet.Config.depth(depth, width: 0.25, stem: .imagenet, attention: .cbam, classes: 10))
        #expect(c.channels == [16, 32, 64, 128] && c.stemWidth == 16)
    }

    @Test func depthFormDefaults() throws {
        let c = try resnet(".resnet(depth: 18)", classes: 7)
        #expect(c == ResNet.Config.depth(18, classes: 7))
        #expect(c.stem == .cifar && c.attention == AttentionKind.none && c.stemWidth == 64)
        #expect(try resnet("resnet( depth : 50 , attention: .se, )").attention == .se)  // leading dot optional, trailing comma
    }

    @Test func layersForm() throws {
        let c = try resnet(".resnet(layers: [2, 1, 1, 2], block: .bottleneck, channels: [16, 16, 32, 32], stem: .imagenet, attention: .se, classes: 10)")
        #expect(c == ResNet.Config(block: .bottleneck, layers: [2, 1, 1, 2], channels: [16, 16, 32, 32], stem: .imagenet,
                                   stemWidth: 64, attention: .se, classes: 10))
        let d = try resnet(".resnet(layers: [1, 1, 1], width: 8)")
        #expect(d.block == .basic && d.channels == [8, 16, 32] && d.stemWidth == 8)
    }

    @Test func vitForm() throws {
        let c = try vit(".vit(image: 24, patch: 4, dim: 32, depth: 3, heads: 4, classes: 10)")
        #expect(c == ViT.Config(image: 24, patch: 4, dim: 32, depth: 3, heads: 4, mlpRatio: 4, qkvBias: true, classes: 10))
        let d = try vit(".vit(mlpRatio: 2.5, qkvBias: false, image: 1_6)")
        #expect(d.image == 16 && d.mlpRatio == 2.5 && !d.qkvBias && d.dim == 192 && d.depth == 12 && d.heads == 3 && d.classes == 100)
    }

    @Test func shortNamesMatchTheTorchAnchors() throws {
        #expect(try resnet("r18") == ResNet.Config(block: .basic, layers: [2, 2, 2, 2], classes: 100))
        #expect(try resnet("r50") == ResNet.Config(block: .bottleneck, layers: [3, 4, 6, 3], classes: 100))
        #expect(try resnet("se50") == ResNet.Config(block: .bottleneck, layers: [3, 4, 6, 3], attention: .se, classes: 100))
        #expect(try resnet("timm_r50").stem == .imagenet)
        #expect(try vit("vit6") == ViT.Config(image: 32, patch: 4, dim: 192, depth: 6, heads: 3, classes: 100))
        #expect(try vit("vit12").depth == 12)
        #expect(Int(Double(try vit("vit6").dim) * (try vit("vit6").mlpRatio)) == 768)
        for short in ModelExpression.shortNames { #expect(throws: Never.self) { try ModelExpression.parse(short.name) } }
    }

    /// `loom bench` prints the config's parameter count; it is the built model's for every short name.
    @Test(arguments: ModelExpression.shortNames.map(\.name))
    func shortNamesParameterCountsAreTheModels(name: String) throws {
        let spec = try ModelExpression.parse(name)
        #expect(spec.parameterCount == spec.build(seed: 0).parameterCount)
    }

    @Test func descriptionReadsBack() throws {
        for text in ["r18", ".resnet(depth: 101, width: 32, attention: .cbam, classes: 5)",
                     ".resnet(layers: [2, 1], block: .bottleneck, channels: [16, 24])", "vit6", ".vit(image: 8, patch: 2, dim: 8, depth: 1, heads: 2, mlpRatio: 1.5)"] {
            let m = try ModelExpression.parse(text)
            #expect(try ModelExpression.parse(m.expression) == m, "\(m)")
        }
        #expect(try ModelExpression.parse("r18").expression == ".resnet(depth: 18, width: 64, stem: .cifar, attention: .none, classes: 100)")
    }

    @Test func splitListKeepsCommasInsideCalls() {
        #expect(ModelExpression.splitList("r18, .resnet(depth: 18, width: 16),.resnet(layers: [1, 1], classes: 3),vit6")
                == ["r18", ".resnet(depth: 18, width: 16)", ".resnet(layers: [1, 1], classes: 3)", "vit6"])
        #expect(ModelExpression.splitList(" , ") == [])
    }

    /// The command line gets exactly a cell's messages for `model:` (checker and resolver), plus its own for short names.
    @Test(arguments: [
        (".resnet(dept: 18)", ["unknown argument `dept` for `.resnet`", "did you mean `depth`?"]),
        (".resnet(depth: 20)", ["`depth` of `.resnet` must be one of 18, 34, 50, 101, 152, found 20"]),
        (".resnet(depth: 18, stem: .cifr)", ["`.cifr` is not a `Stem` case", "did you mean `.cifar`?"]),
        (".resnet(depth: 18, attention: .eca)", ["`.eca` is not a `Attention` case"]),
        (".resnet(depth: 18, attention: se)", ["`attention` of `.resnet` expects a `Attention` case such as `.none`", "`se`"]),
        (".resnet(width: 16)", ["`.resnet` needs `depth:`", "or `layers:`"]),
        (".resnet(depth: 18, layers: [2, 2])", ["not both"]),
        (".resnet(depth: 18, block: .basic)", ["`block:` of `.resnet` goes with `layers:`"]),
        (".resnet(layers: [2, 2], channels: [16])", ["`channels:` of `.resnet` has 1 entries but `layers:` has 2"]),
        (".resnet(layers: [2, 0])", ["`layers` of `.resnet` must be in 1...1000, found 0"]),
        (".resnet(layers: 2)", ["`layers` of `.resnet` expects an array of integers, found an integer"]),
        (".resnet(depth: 18, width: 0.5)", ["`width` of `.resnet` expects an integer", "found a number"]),
        (".resnet(depth: 18, classes: 1)", ["`classes: 1` of `.resnet`: a classifier needs at least 2 classes (0 means no head)"]),
        (".resnet(depth: 18, depth: 34)", ["argument `depth` is given twice"]),
        (".resnet(depth: 18", ["expected ')' in argument list"]),
        (".resnet(depth 18)", ["expected ')' in argument list, found '18'"]),
        (".resnet(depth: 18) x", ["unexpected 'x'"]),
        (".resnet(depth: 1x8)", ["invalid number literal"]),
        (".resnt(depth: 18)", ["`.resnt` is not a `Model` case", "did you mean `.resnet`?"]),
        ("r19", ["unknown model `r19`", "did you mean `r18`?", "vit6"]),
        ("resnet", ["add the arguments"]),
        ("", ["expected a model"]),
        (".vit(image: 30)", ["`patch: 4` of `.vit` does not divide the image side 30"]),
        (".vit(dim: 32, heads: 5)", ["`heads: 5` of `.vit` does not divide `dim: 32`"]),
        (".vit(qkvBias: 1)", ["`qkvBias` of `.vit` expects a boolean"]),
        (".vit(mlpRatio: .big)", ["`mlpRatio` of `.vit` expects a number"]),
        (".vit(depth: [1])", ["`depth` of `.vit` expects an integer"]),
        (".vit(dpeth: 3)", ["unknown argument `dpeth` for `.vit`", "did you mean `depth`?"]),
    ])
    func errorsNameTheLabelAndTheValidChoices(text: String, fragments: [String]) {
        guard let message = failure(text) else { Issue.record("\(text) parsed"); return }
        #expect(message.hasPrefix("model '\(text)'"))
        for f in fragments { #expect(message.contains(f), "\(message) lacks \(f)") }
    }

    /// The same text as `model:` of a notebook cell gets the same messages from the checker and the resolver.
    @Test(arguments: [".resnet(dept: 18)", ".resnet(depth: 20)", ".resnet(depth: 18, stem: .cifr)", ".vit(dpeth: 3)",
                      ".resnet(layers: 2)", ".resnet(width: 16, classes: 10)", ".vit(image: 30, classes: 10)"])
    func errorsAreTheCellsErrors(text: String) throws {
        var bindings = Bindings()
        let cell = Checker(registry: Vocabulary.registry()).check(Cell(source: "let a = Experiment(model: \(text))"),
                                                                   bindings: &bindings)
        let expected: String
        if cell.hasErrors {
            expected = cell.diagnostics.map(\.message).joined(separator: "\n")
        } else {
            let e = try #require(throws: ResolveError.self) { try Resolver(bindings: bindings).experiment(.reference("a", path: [])) }
            expected = e.message
        }
        let e = try #require(throws: ModelExpressionError.self) { try ModelExpression.parse(text) }
        #expect(e.message == expected)
    }

    /// The command line suggests by the cells' one rule (``Suggestion``): Levenshtein distance within a third of the
    /// name, a case-insensitive match first.
    @Test func suggestionsFollowTheCellRule() {
        #expect(Suggestion.distance("dpeth", "depth") == 2 && Suggestion.distance("resnt", "resnet") == 1
                && Suggestion.distance("", "vit") == 3)
        #expect(Suggestion.nearest(to: "dpeth", in: ["image", "patch", "dim", "depth", "heads"]) == "depth")
        #expect(Suggestion.nearest(to: "Depth", in: ["layers", "depth"]) == "depth" && Suggestion.distance("kitten", "sitting") == 3)
    }

    @Test func errorsGiveTheColumn() throws {
        let e = try #require(throws: ModelExpressionError.self) { try ModelExpression.parse(".resnet(depth: 18, stem: .x)") }
        #expect(e.column == 27)  // the case name, as a cell's diagnostic marks it
    }
}

final class PredictTests {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("loom-predict-\(UUID().uuidString)").path

    init() throws { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
    deinit { try? FileManager.default.removeItem(atPath: dir) }

    /// A tiny trained-looking model: random init with BN statistics moved off their defaults.
    func saveModel(_ expression: String, seed: UInt64) throws -> (ModelSpec, Classifier, String) {
        let spec = try ModelExpression.parse(expression)
        let model = spec.build(seed: seed)
        var rng = RandomGenerator(seed: seed + 100)
        for (name, t) in model.stateDict() where name.hasSuffix("running_mean") || name.hasSuffix("running_var") || name.hasSuffix("bn3.weight") || name.hasSuffix("bn2.weight") {
            t.assign(Tensor.uniform(t.shape, low: 0.5, high: 1.5, rng: &rng))
        }
        let path = dir + "/w-\(seed).safetensors"
        try SafeTensors.write(model.stateDict(), to: path)
        return (spec, model, path)
    }

    @Test(arguments: [".resnet(layers: [1, 1], block: .basic, channels: [8, 16], attention: .se, classes: 10)",
                      ".vit(image: 8, patch: 4, dim: 16, depth: 2, heads: 2, classes: 10)"])
    func predictReproducesTheModelsForward(expression: String) throws {
        let (spec, original, path) = try saveModel(expression, seed: 3)
        var rng = RandomGenerator(seed: 9)
        let x = Tensor.randn([3, 3, 8, 8], rng: &rng)
        let expected = Autograd.noGrad { () -> Tensor in original.eval(); return original(x) }.scalars

        // Without classes: the count comes from the weights' head.
        let bare = expression.replacingOccurrences(of: ", classes: 10", with: "")
        let (loaded, model) = try Predictor.loadModel(bare, weights: path)
        #expect(loaded == spec)
        let inputPath = dir + "/input.safetensors"
        try SafeTensors.write(["input": x], to: inputPath)
        let logits = Predictor.logits(model, try Predictor.readInputTensor(inputPath, imageSize: loaded.requiredImageSize))
        #expect(logits.shape == [3, 10])
        #expect(zip(logits.scalars, expected).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($1)) })

        let top = Predictor.top(3, of: logits, sources: ["a", "b", "c"])
        #expect(top.map(\.source) == ["a", "b", "c"])
        for (i, p) in top.enumerated() {
            let row = Array(expected[(i * 10)..<((i + 1) * 10)])
            #expect(p.top.first?.index == row.indices.max { row[$0] < row[$1] })
            #expect(p.top.map(\.probability) == p.top.map(\.probability).sorted(by: >))
            #expect(p.top.allSatisfy { $0.probability > 0 && $0.probability < 1 })
        }
    }

    @Test func softmaxProbabilitiesSumToOne() {
        let p = Predictor.top(4, of: Tensor(shape: [1, 4], data: [1, 2, 3, 10]), sources: [])[0]
        #expect(p.source == "input[0]" && abs(p.top.map(\.probability).reduce(0, +) - 1) < 1e-12)
        #expect(p.top.map(\.index) == [3, 2, 1, 0])
        #expect(abs(p.top[1].probability / p.top[2].probability - M_E) < 1e-9)
        let big = Predictor.top(2, of: Tensor(shape: [1, 3], data: [1000, 999, -1000]), sources: [])[0]  // no overflow
        #expect(big.top.map(\.index) == [0, 1] && abs(big.top[0].probability - 1 / (1 + exp(-1))) < 1e-12)
    }

    @Test func imagesAreNormalisedIntoOneBatch() throws {
        var img = Image(width: 8, height: 8)
        img[x: 1, y: 2, c: 0] = 255
        let a = dir + "/a.png", b = dir + "/b.png"
        try PNG.write(img, to: a); try PNG.write(Image(width: 8, height: 8), to: b)
        let spec = try ModelExpression.parse(".vit(image: 8, patch: 4, dim: 8, depth: 1, heads: 2)")
        let batch = try Predictor.readImages([a, b], normalization: .cifar10, imageSize: spec.requiredImageSize)
        #expect(batch.shape == [2, 3, 8, 8])
        #expect(abs(batch.scalars[2 * 8 + 1] - (1 - 0.4914) / 0.2470) < 1e-5)
        #expect(abs(batch.scalars[3 * 64] - (0 - 0.4914) / 0.2470) < 1e-5)
    }

    @Test func wrongSizesAndFilesAreClearErrors() throws {
        let small = dir + "/small.png", big = dir + "/big.png"
        try PNG.write(Image(width: 6, height: 6), to: small); try PNG.write(Image(width: 8, height: 6), to: big)
        let vit = try ModelExpression.parse(".vit(image: 8, patch: 4, dim: 8, depth: 1, heads: 2)")
        let e1 = try #require(throws: PredictError.self) { try Predictor.readImages([small], normalization: .unit, imageSize: vit.requiredImageSize) }
        #expect(e1.description.contains("8×8") && e1.description.contains("small.png is 6×6"))
        let e2 = try #require(throws: PredictError.self) { try Predictor.readImages([small, big], normalization: .unit, imageSize: try ModelExpression.parse("r18").requiredImageSize) }
        #expect(e2.description.contains("differ in size") && e2.description.contains("big.png 8×6"))

        let wrongName = dir + "/x.safetensors"
        try SafeTensors.write(["pixels": Tensor.zeros([1, 3, 8, 8])], to: wrongName)
        let e3 = try #require(throws: PredictError.self) { try Predictor.readInputTensor(wrongName, imageSize: vit.requiredImageSize) }
        #expect(e3.description.contains("no tensor named 'input'") && e3.description.contains("pixels"))
        let wrongShape = dir + "/y.safetensors"
        try SafeTensors.write(["input": Tensor.zeros([3, 8, 8])], to: wrongShape)
        #expect(throws: PredictError.self) { try Predictor.readInputTensor(wrongShape, imageSize: vit.requiredImageSize) }
        try SafeTensors.write(["input": Tensor.zeros([1, 3, 6, 6])], to: wrongShape)
        let e4 = try #require(throws: PredictError.self) { try Predictor.readInputTensor(wrongShape, imageSize: vit.requiredImageSize) }
        #expect(e4.description.contains("6×6") && e4.description.contains("8×8"))
    }

    @Test func mismatchedWeightsNameTheTensors() throws {
        let (_, _, path) = try saveModel(".resnet(layers: [1], channels: [8], classes: 10)", seed: 1)
        let e1 = try #require(throws: PredictError.self) { try Predictor.loadModel(".resnet(layers: [1], channels: [16])", weights: path) }
        #expect(e1.description.contains("has shape [10, 8], the model expects [10, 16]"))
        let e2 = try #require(throws: PredictError.self) { try Predictor.loadModel(".resnet(layers: [1, 1], channels: [8, 8])", weights: path) }
        #expect(e2.description.contains("missing") && e2.description.contains("layer2.0."))
        #expect(throws: SafeTensorsError.self) { try Predictor.loadModel("r18", weights: dir + "/absent.safetensors") }
    }
}

/// `.timm("name")`: timm's architecture names mapped onto Loom's ResNet and ViT, the tag's class count, errors.
struct TimmModelTests {
    @Test(arguments: [("resnet18", 18, AttentionKind.none), ("resnet50", 50, .none), ("seresnet50", 50, .se),
                      ("resnet152", 152, .none), ("seresnet101", 101, .se)])
    func resnetsAreTimmsShapes(name: String, depth: Int, attention: AttentionKind) throws {
        let spec = try ModelExpression.parse(".timm(\"\(name)\")")
        #expect(spec == .resnet(ResNet.Config.depth(depth, stem: .imagenet, attention: attention, classes: 1000)!))
        #expect(spec == (try ModelExpression.parse(".resnet(depth: \(depth), stem: .imagenet, attention: .\(attention.rawValue), classes: 1000)")))
    }

    @Test func vitsAndTheirTags() throws {
        let small = ViT.Config(image: 224, patch: 16, dim: 384, depth: 12, heads: 6, mlpRatio: 4, qkvBias: true, classes: 1000)
        #expect(try ModelExpression.parse(".timm(\"vit_small_patch16_224\")") == .vit(small))
        var dino = small; dino.classes = 0
        #expect(try ModelExpression.parse(".timm(\"vit_small_patch16_224.dino\")") == .vit(dino))
        var in21k = small; in21k.classes = 21_843
        #expect(try ModelExpression.parse(".timm(\"vit_small_patch16_224.augreg_in21k\")") == .vit(in21k))
        #expect(try ModelExpression.parse(".timm(\"vit_small_patch16_224.augreg_in21k_ft_in1k\")") == .vit(small))
        var ten = small; ten.classes = 10
        #expect(try ModelExpression.parse(".timm(\"vit_small_patch16_224.dino\", classes: 10)") == .vit(ten))
        #expect(try ModelExpression.parse(".timm(\"vit_base_patch32_384\")")
                == .vit(ViT.Config(image: 384, patch: 32, dim: 768, depth: 12, heads: 12, mlpRatio: 4, qkvBias: true, classes: 1000)))
        #expect(try ModelExpression.parse(".timm(\"vit_tiny_patch16_224\")").parameterCount == 5_717_416)  // timm's vit_tiny
    }

    @Test func unknownNamesAreExplained() {
        func failure(_ text: String) -> String {
            do { _ = try ModelExpression.parse(text); return "parsed" } catch { return "\(error)" }
        }
        #expect(failure(".timm(\"resnet5O\")").contains("no timm architecture `resnet5O`"))
        #expect(failure(".timm(\"resnet5O\")").contains("did you mean `resnet50`?"))
        #expect(failure(".timm(\"vit_small_patch15_224\")").contains("patch 15 does not divide the image side 224"))
        #expect(failure(".timm(nam: \"resnet50\")").contains("did you mean `name`?") || failure(".timm(nam: \"resnet50\")").contains("`nam`"))
    }

    @Test func inACellTimmsClassesWinOverTheDatasets() throws {
        let spec = try resolve("e", "let e = Experiment(model: .timm(\"resnet18\"), data: .cifar100)")
        guard case let .resnet(c) = spec.model else { Issue.record("\(spec.model)"); return }
        #expect(c.classes == 1000 && c.stem == .imagenet)
        let tuned = try resolve("e", "let e = Experiment(model: .timm(\"resnet18\", classes: 100), data: .cifar100)")
        guard case let .resnet(t) = tuned.model else { Issue.record("\(tuned.model)"); return }
        #expect(t.classes == 100)
    }
}
