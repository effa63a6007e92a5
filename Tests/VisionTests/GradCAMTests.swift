// Grad-CAM: localisation on a learned bright-square detector, finite-difference gradients, ViT grids, post-processing.
import Engine
import Foundation
import Testing
@testable import Vision

/// Dim noise images, half of them (class 1) with a bright 4×4 square at a random position.
private func squares(count: Int, size: Int, seed: UInt64) -> (LabeledImages, [(x: Int, y: Int)?]) {
    var rng = SeededRNG(seed: seed)
    var images: [Image] = [], labels: [Int] = [], boxes: [(x: Int, y: Int)?] = []
    for i in 0..<count {
        var px = (0..<(size * size * 3)).map { _ in UInt8(rng.int(below: 70)) }
        var box: (x: Int, y: Int)? = nil
        if i % 2 == 1 {
            let bx = rng.int(below: size - 3), by = rng.int(below: size - 3)
            for y in by..<(by + 4) { for x in bx..<(bx + 4) { for c in 0..<3 { px[(y * size + x) * 3 + c] = 255 } } }
            box = (bx, by)
        }
        images.append(Image(width: size, height: size, pixels: px))
        labels.append(i % 2)
        boxes.append(box)
    }
    return (LabeledImages(images: images, labels: labels, classNames: ["empty", "square"]), boxes)
}

private func tinyResNet(classes: Int = 2, seed: UInt64 = 0, attention: AttentionKind = .none) -> ResNet {
    ResNet(.init(block: .basic, layers: [1, 1], channels: [8, 16], stemWidth: 8, attention: attention, classes: classes), seed: seed)
}

/// Finite-difference check of ∂(Σ target logits)/∂latent at a few coordinates.
private func checkGradient(model: Classifier, layer: String?, input: Tensor, targets: [Int]) throws {
    model.eval()
    let cut = try GradCAM.Cut(model: model, layer: layer)
    let classes = GradCAM.knownClassCount(model)!
    let g = try GradCAM.gradients(cut: cut, input: input, classes: classes) { _ in targets }
    let (latent, rest) = Autograd.noGrad { cut.prefix(input) }
    func score(_ t: Tensor) -> Double {
        let logits = Autograd.noGrad { rest(t) }
        return targets.enumerated().reduce(0.0) { $0 + Double(logits.ptr[$1.offset * classes + $1.element]) }
    }
    let eps: Float = 1e-2
    var rng = SeededRNG(seed: 5)
    var maxGrad: Double = 0
    for i in 0..<latent.count { maxGrad = max(maxGrad, Double(abs(g.gradient.ptr[i]))) }
    #expect(maxGrad > 1e-4, "the gradient must not vanish")
    for _ in 0..<12 {
        let j = rng.int(below: latent.count)
        let plus = latent.copy(), minus = latent.copy()
        plus.ptr[j] += eps; minus.ptr[j] -= eps
        let numeric = (score(plus) - score(minus)) / Double(2 * eps)
        let analytic = Double(g.gradient.ptr[j])
        #expect(abs(numeric - analytic) < 2e-3 + 0.02 * abs(analytic), "∂score/∂latent[\(j)]: analytic \(analytic), numeric \(numeric)")
    }
}

@Suite(.serialized) struct GradCAMTests {
    @Test func camOfALearnedSquareDetectorPeaksInsideTheSquare() throws {
        let size = 16
        let (train, _) = squares(count: 128, size: size, seed: 1)
        let (test, boxes) = squares(count: 40, size: size, seed: 2)
        let model = tinyResNet()
        let setup = TrainingSetup(model: model,
                                  train: DataLoader(train, pipeline: AugmentPipeline([.normalize(.unit)]), batchSize: 32, shuffle: true, seed: 0),
                                  test: DataLoader(test, pipeline: AugmentPipeline([.normalize(.unit)]), batchSize: 40, shuffle: false, seed: 0),
                                  classes: 2, optimizer: .sgd(momentum: 0.9, weightDecay: 5e-4, nesterov: true),
                                  schedule: Schedule(.cosine(minLR: 0), baseLR: 0.05, epochs: 3))
        let history = try Trainer(setup).run().history
        #expect(history.last!.top1 > 0.9, "the detector should learn: top-1 \(history.last!.top1)")

        let positives = test.labels.indices.filter { test.labels[$0] == 1 }
        let pixels = try ShapeBias.unitPixels(positives.map { test.images[$0] })
        let result = try GradCAM.compute(model: model, pixels: pixels, labels: positives.map { test.labels[$0] },
                                         normalization: .unit, batchSize: 8, target: .trueLabel)
        #expect(result.layer == "layer2")
        var inside = 0
        for map in result.maps {
            #expect(map.gridWidth == 8 && map.gridHeight == 8, "layer2 of a CIFAR-stem ResNet is 2× downsampled")
            #expect(map.width == size && map.height == size && map.cam.count == size * size)
            #expect(map.cam.max()! > 0.99 && map.cam.min()! >= 0)
            let box = boxes[positives[map.index]]!
            let (px, py) = map.peak
            if (box.x - 1)...(box.x + 4) ~= px, (box.y - 1)...(box.y + 4) ~= py { inside += 1 }
        }
        #expect(inside * 10 >= result.maps.count * 8, "CAM peak inside the square for \(inside) of \(result.maps.count) images")
    }

    @Test func latentGradientMatchesFiniteDifferences() throws {
        var rng = RandomGenerator(seed: 3)
        let x = Tensor.randn([2, 3, 8, 8], rng: &rng)
        try checkGradient(model: tinyResNet(classes: 3, seed: 1), layer: "layer1", input: x, targets: [2, 0])
        try checkGradient(model: tinyResNet(classes: 3, seed: 2, attention: .se), layer: nil, input: x, targets: [1, 1])
        let vit = ViT(.init(image: 8, patch: 4, dim: 8, depth: 2, heads: 2, classes: 3), seed: 4)
        try checkGradient(model: vit, layer: nil, input: x, targets: [0, 2])
        try checkGradient(model: vit, layer: "blocks.0", input: x, targets: [1, 0])
    }

    @Test func vitCAMHasTheTokenGridShape() throws {
        let vit = ViT(.init(image: 16, patch: 4, dim: 16, depth: 2, heads: 2, classes: 3), seed: 0)
        var rng = RandomGenerator(seed: 1)
        let pixels = Tensor.uniform([3, 3, 16, 16], rng: &rng)
        let r = try GradCAM.compute(model: vit, pixels: pixels, labels: [0, 1, 2], normalization: .cifar10, batchSize: 2)
        #expect(r.layer == "blocks.1.norm1")
        #expect(r.maps.count == 3 && r.maps.map(\.index) == [0, 1, 2])
        for m in r.maps {
            #expect(m.gridWidth == 4 && m.gridHeight == 4 && m.grid.count == 16)
            #expect(m.cam.count == 256)
            #expect(m.target == m.predicted)
            #expect(m.probability > 0 && m.probability <= 1)
            let overlay = try m.overlay()
            #expect(overlay.width == 16 && overlay.height == 16)
        }
        let early = try GradCAM.compute(model: vit, pixels: pixels, labels: [0, 1, 2], normalization: .unit, layer: "blocks.0")
        #expect(early.maps[0].grid.count == 16)
        #expect(throws: GradCAMError.self) {
            try GradCAM.compute(model: vit, pixels: pixels, labels: [0, 1, 2], normalization: .unit, layer: "blocks.1")
        }
    }

    @Test func resNetLayerNamesAndBadInputs() throws {
        let model = ResNet(.init(block: .basic, layers: [2, 1], channels: [4, 8], stemWidth: 4, classes: 2), seed: 0)
        #expect(model.latentIndex(named: "stem") == 0)
        #expect(model.latentIndex(named: "layer1.0") == 1)
        #expect(model.latentIndex(named: "layer1") == 2 && model.latentIndex(named: "layer1.1") == 2)
        #expect(model.latentIndex(named: "layer2") == 3)
        #expect(model.latentIndex(named: "layer3") == nil && model.latentIndex(named: "layer1.2") == nil)
        let x = Tensor.full([1, 3, 8, 8], 0.5)
        #expect(throws: GradCAMError.self) { try GradCAM.compute(model: model, pixels: x, labels: [0], normalization: .unit, layer: "layer4") }
        #expect(throws: GradCAMError.self) { try GradCAM.compute(model: model, pixels: x * 300, labels: [0], normalization: .unit) }
        #expect(throws: GradCAMError.self) { try GradCAM.compute(model: model, pixels: x, labels: [0, 1], normalization: .unit) }
        #expect(throws: GradCAMError.self) { try GradCAM.compute(model: model, pixels: x, labels: [5], normalization: .unit) }
        // Parameter gradients and flags are left as they were.
        let before = model.parameters.map(\.requiresGrad)
        let r = try GradCAM.compute(model: model, pixels: x, labels: [1], normalization: .unit, layer: "layer1.0", target: .fixed(1))
        #expect(r.maps[0].target == 1 && r.maps[0].gridWidth == 8)
        #expect(model.parameters.map(\.requiresGrad) == before)
        #expect(model.parameters.allSatisfy { $0.grad == nil })
        // Deterministic and JSON round-trips.
        let again = try GradCAM.compute(model: model, pixels: x, labels: [1], normalization: .unit, layer: "layer1.0", target: .fixed(1))
        #expect(again == r)
        let decoded = try JSONDecoder().decode(GradCAMResult.self, from: JSONEncoder().encode(r))
        #expect(decoded == r)
    }

    @Test func resizeMatchesOpenCVBilinear() {
        // cv2.resize(np.float32([[0, 1], [2, 3]]), (4, 4)) with INTER_LINEAR.
        let out = GradCAM.resizeBilinear([0, 1, 2, 3], width: 2, height: 2, toWidth: 4, toHeight: 4)
        #expect(out == [0, 0.25, 0.75, 1, 0.5, 0.75, 1.25, 1.5, 1.5, 1.75, 2.25, 2.5, 2, 2.25, 2.75, 3])
        // Non-square, non-integer factor: cv2.resize(np.float32([[0, 3, 6]]), (5, 2)).
        let wide = GradCAM.resizeBilinear([0, 3, 6], width: 3, height: 1, toWidth: 5, toHeight: 2)
        #expect(wide.count == 10)
        let expected: [Float] = [0, 1.2, 3, 4.8, 6]
        for (a, b) in zip(wide.prefix(5), expected) { #expect(abs(a - b) < 1e-5) }
        #expect(Array(wide.suffix(5)) == Array(wide.prefix(5)))
    }

    @Test func overlayBlendsJetAndImageLikeShowCamOnImage() throws {
        // cam = 1 everywhere → JET (128, 0, 0)/255; image 0.2 grey; w = 0.5; out / max(out); uint8 truncation.
        let pixels = Tensor.full([1, 3, 2, 2], 0.2)
        let png = try GradCAM.overlayPNG(cam: [1, 1, 1, 1], pixels: pixels, image: 0, imageWeight: 0.5)
        let img = try PNG.decode([UInt8](png))
        let heat = Float(128) / 255
        let top = 0.5 * heat + 0.5 * 0.2
        let expected = RGB(UInt8(255 * ((0.5 * heat + 0.1) / top)), UInt8(255 * (Float(0.1) / top)), UInt8(255 * (Float(0.1) / top)))
        #expect(img.pixel(x: 1, y: 1) == expected)
        #expect(expected == RGB(255, 72, 72))
    }
}
