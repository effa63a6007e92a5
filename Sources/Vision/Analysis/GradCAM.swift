// Grad-CAM (Selvaraju et al. 2017) as pytorch-grad-cam computes it (docs/methods.md §7.6), for ResNets and ViTs.
import Engine
import Foundation

/// Bad input to an analysis (Grad-CAM, shape bias, patch shuffle), naming the value and a fix.
public struct GradCAMError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public var description: String { message }
}

/// Which class's logit Grad-CAM explains.
public enum GradCAMTarget: Codable, Equatable, Sendable {
    /// The model's top class for each image (pytorch-grad-cam's default).
    case predicted
    /// The image's true label.
    case trueLabel
    /// The same class for every image.
    case fixed(Int)
}

/// One image's Grad-CAM.
public struct GradCAMMap: Codable, Equatable, Sendable {
    /// Position of the image in the input batch.
    public var index: Int
    public var trueLabel: Int
    /// The model's top class and its softmax probability.
    public var predicted: Int
    public var probability: Double
    /// The class whose logit was explained, and its softmax probability.
    public var target: Int
    public var targetProbability: Double
    /// The map at the layer's resolution (ReLU, then min-subtracted and divided by max + 1e-7),
    /// row-major `gridHeight × gridWidth`.
    public var gridWidth: Int
    public var gridHeight: Int
    public var grid: [Float]
    /// The map at the input resolution (bilinear as cv2.resize, then rescaled to [0, 1]), row-major.
    public var width: Int
    public var height: Int
    public var cam: [Float]
    /// JET heat map blended onto the image (pytorch-grad-cam `show_cam_on_image`), as PNG.
    public var overlayPNG: Data

    /// The overlay decoded to an image.
    public func overlay() throws -> Image { try PNG.decode([UInt8](overlayPNG), name: "Grad-CAM overlay \(index)") }

    /// The input-resolution pixel (x, y) where the map is largest (first in row-major order).
    public var peak: (x: Int, y: Int) {
        var best = 0
        for i in cam.indices where cam[i] > cam[best] { best = i }
        return (best % width, best / width)
    }
}

/// Grad-CAM of a batch of images at one layer.
public struct GradCAMResult: Codable, Equatable, Sendable {
    /// The latent used (e.g. `layer4`, `blocks.11.norm1`).
    public var layer: String
    public var target: GradCAMTarget
    /// Weight of the image in the overlay (`show_cam_on_image`'s `image_weight`).
    public var imageWeight: Double
    public var maps: [GradCAMMap]
}

/// Grad-CAM: L = ReLU(Σ_k α_k A^k) with α_k the spatial mean of ∂y^c/∂A^k, y^c the pre-softmax
/// logit, post-processed as pytorch-grad-cam does (docs/methods.md §7.6).
public enum GradCAM {
    /// Grad-CAM maps for every image.
    ///
    /// - Parameters:
    ///   - model: a `ResNet` (any stem, SE/CBAM) or `ViT`; switched to evaluation mode. Parameter
    ///     gradients are left untouched (their `requiresGrad` is lifted during the call and restored).
    ///   - pixels: (N, 3, H, W) in [0, 1] at the model's input size, not normalised.
    ///   - labels: the true class of each image.
    ///   - normalization: applied as (x − mean) / std per channel before the model.
    ///   - batchSize: images per forward/backward pass.
    ///   - layer: a latent name (ResNet: `layer4`, `layer3`, `layer4.1`, `stem`; ViT: `blocks.N`,
    ///     `blocks.N.norm1`); nil for the model's `defaultCAMLayer`.
    ///   - target: whose logit to explain.
    ///   - imageWeight: the image's share in the overlay (0.5 in pytorch-grad-cam).
    public static func compute(model: Classifier, pixels: Tensor, labels: [Int], normalization: Normalization,
                               batchSize: Int = 32, layer: String? = nil, target: GradCAMTarget = .predicted,
                               imageWeight: Double = 0.5) throws -> GradCAMResult {
        try checkInput(model: model, pixels: pixels, labels: labels, batchSize: batchSize)
        guard (0...1).contains(imageWeight) else {
            throw GradCAMError(message: "Grad-CAM: imageWeight must be in [0, 1], got \(imageWeight)")
        }
        let cut = try Cut(model: model, layer: layer)
        let classes = try classCount(model)
        if case let .fixed(c) = target, !(0..<classes).contains(c) {
            throw GradCAMError(message: "Grad-CAM: target class \(c) is outside 0..<\(classes) for this model")
        }
        model.eval()
        let n = pixels.dim(0), h = pixels.dim(2), w = pixels.dim(3)
        var maps: [GradCAMMap] = []
        maps.reserveCapacity(n)
        for start in stride(from: 0, to: n, by: batchSize) {
            let end = Swift.min(n, start + batchSize)
            let x = AnalysisEval.normalizedBatch(pixels, start..<end, normalization)
            let batchLabels = Array(labels[start..<end])
            let g = try gradients(cut: cut, input: x, classes: classes) { logits in
                logits.indices.map { i -> Int in
                    switch target {
                    case .predicted: return argmax(logits[i])
                    case .trueLabel: return batchLabels[i]
                    case let .fixed(c): return c
                    }
                }
            }
            for i in 0..<(end - start) {
                let raw = weightedMap(g, image: i)
                let grid = rescaled(raw.map { Swift.max(0, $0) })
                let cam = rescaled(resizeBilinear(grid, width: cut.gridWidth(g), height: cut.gridHeight(g),
                                                  toWidth: w, toHeight: h))
                let probs = softmax(g.logits[i])
                let predicted = argmax(g.logits[i])
                let overlay = try overlayPNG(cam: cam, pixels: pixels, image: start + i, imageWeight: Float(imageWeight))
                maps.append(GradCAMMap(index: start + i, trueLabel: labels[start + i], predicted: predicted,
                                       probability: probs[predicted], target: g.targets[i],
                                       targetProbability: probs[g.targets[i]],
                                       gridWidth: cut.gridWidth(g), gridHeight: cut.gridHeight(g), grid: grid,
                                       width: w, height: h, cam: cam, overlayPNG: overlay))
            }
        }
        return GradCAMResult(layer: cut.name, target: target, imageWeight: imageWeight, maps: maps)
    }

    // MARK: - Gradient of the score with respect to the latent

    /// The latent activation, its gradient and the logits of one batch.
    struct LatentGradient {
        /// (N, K, h, w) for a ResNet; (N, 1+T, D) tokens for a ViT.
        var activation: Tensor
        var gradient: Tensor
        var logits: [[Float]]
        var targets: [Int]
        var layout: Layout
    }

    /// How channels and positions sit in a latent.
    enum Layout: Equatable {
        /// (N, K, h, w).
        case channelsFirst(channels: Int, height: Int, width: Int)
        /// (N, 1+T, D), the class token first; T = side² patch tokens.
        case tokens(dim: Int, side: Int)
    }

    /// Where the network is cut: the prefix (run without a graph) and the rest (recorded).
    struct Cut {
        let model: Classifier
        let name: String
        let prefix: (Tensor) -> (latent: Tensor, rest: (Tensor) -> Tensor)
        let layout: (Tensor) -> Layout

        init(model: Classifier, layer: String?) throws {
            self.model = model
            if let resnet = model as? ResNet {
                let name = layer ?? resnet.defaultCAMLayer
                guard let index = resnet.latentIndex(named: name) else {
                    throw GradCAMError(message: "Grad-CAM: no layer '\(name)' in this ResNet; use one of "
                                       + (["layer1", "layer2", "layer3", "layer4"].prefix(resnet.config.layers.count) + resnet.latentNames)
                                           .joined(separator: ", "))
                }
                self.name = name
                prefix = { x in (resnet.features(x, through: index), { resnet.forward(fromLatent: $0, index: index) }) }
                layout = { .channelsFirst(channels: $0.dim(1), height: $0.dim(2), width: $0.dim(3)) }
            } else if let vit = model as? ViT {
                let depth = vit.config.depth
                let name = layer ?? vit.defaultCAMLayer
                let parts = name.split(separator: ".", omittingEmptySubsequences: false)
                guard parts.count == 2 || (parts.count == 3 && parts[2] == "norm1"), parts[0] == "blocks",
                      let block = Int(parts[1]), (0..<depth).contains(block) else {
                    throw GradCAMError(message: "Grad-CAM: no layer '\(name)' in this ViT (depth \(depth)); use blocks.N or "
                                       + "blocks.N.norm1 with N in 0…\(depth - 1), e.g. \(vit.defaultCAMLayer)")
                }
                if parts.count == 2, block == depth - 1 {
                    throw GradCAMError(message: "Grad-CAM: '\(name)' is the last block's output, which reaches the head only "
                                       + "through the class token, so every patch token has zero gradient; use "
                                       + "\(vit.defaultCAMLayer) (the default) or an earlier block")
                }
                self.name = name
                if parts.count == 3 {
                    prefix = { x in
                        let t = vit.tokens(x, before: block)
                        return (vit.norm1(t, block: block), { vit.forward(fromNorm1: $0, residual: t, block: block) })
                    }
                } else {
                    prefix = { x in (vit.tokens(x, before: block + 1), { vit.forward(fromTokens: $0, before: block + 1) }) }
                }
                let side = vit.config.image / vit.config.patch
                layout = { .tokens(dim: $0.dim(2), side: side) }
            } else {
                throw GradCAMError(message: "Grad-CAM needs a ResNet or a ViT, got \(type(of: model))")
            }
        }

        func gridWidth(_ g: LatentGradient) -> Int {
            switch g.layout { case let .channelsFirst(_, _, w): return w; case let .tokens(_, s): return s }
        }
        func gridHeight(_ g: LatentGradient) -> Int {
            switch g.layout { case let .channelsFirst(_, h, _): return h; case let .tokens(_, s): return s }
        }
    }

    /// Runs the prefix without recording, makes the latent a leaf, runs the rest and back-propagates
    /// the sum over images of the target logits; `chooseTargets` picks each image's class from its logits.
    static func gradients(cut: Cut, input: Tensor, classes: Int,
                          chooseTargets: ([[Float]]) throws -> [Int]) throws -> LatentGradient {
        // Parameters stop requiring gradients for the pass, so no weight gradient is computed or
        // accumulated; their flags are restored afterwards.
        let parameters = cut.model.parameters
        let flags = parameters.map(\.requiresGrad)
        parameters.forEach { $0.requiresGrad = false }
        defer { for (p, f) in zip(parameters, flags) { p.requiresGrad = f } }
        let (latentValue, rest) = Autograd.noGrad { cut.prefix(input) }
        let latent = Tensor(shape: latentValue.shape, storage: latentValue.copy().storage, requiresGrad: true)
        let logitsTensor = rest(latent)
        let n = input.dim(0)
        let flat = logitsTensor.scalars
        let logits = (0..<n).map { Array(flat[($0 * classes)..<(($0 + 1) * classes)]) }
        let targets = try chooseTargets(logits)
        let seed = Tensor.zeros([n, classes])
        for (i, c) in targets.enumerated() { seed.ptr[i * classes + c] = 1 }
        logitsTensor.backward(seed)
        let grad = latent.grad ?? Tensor.zeros(latent.shape)
        return LatentGradient(activation: latent.detached(), gradient: grad, logits: logits, targets: targets,
                              layout: cut.layout(latent))
    }

    /// Σ_k α_k A^k for image `i` (before ReLU), α_k the spatial mean of the gradient.
    static func weightedMap(_ g: LatentGradient, image i: Int) -> [Float] {
        let a = g.activation.ptr, d = g.gradient.ptr
        switch g.layout {
        case let .channelsFirst(k, h, w):
            let p = h * w, base = i * k * p
            var out = [Float](repeating: 0, count: p)
            for c in 0..<k {
                let row = base + c * p
                var alpha: Float = 0
                for j in 0..<p { alpha += d[row + j] }
                alpha /= Float(p)
                for j in 0..<p { out[j] += alpha * a[row + j] }
            }
            return out
        case let .tokens(dim, side):
            let t = side * side, base = i * (t + 1) * dim + dim  // skip the class token
            var alpha = [Float](repeating: 0, count: dim)
            for j in 0..<t { for c in 0..<dim { alpha[c] += d[base + j * dim + c] } }
            for c in 0..<dim { alpha[c] /= Float(t) }
            return (0..<t).map { j in
                var s: Float = 0
                for c in 0..<dim { s += alpha[c] * a[base + j * dim + c] }
                return s
            }
        }
    }

    // MARK: - Post-processing (pytorch_grad_cam base_cam.scale_cam_image, utils.image.show_cam_on_image)

    /// Subtracts the minimum and divides by (maximum + 1e-7).
    static func rescaled(_ v: [Float]) -> [Float] {
        guard let lo = v.min() else { return v }
        let shifted = v.map { $0 - lo }
        let hi = shifted.max()! + 1e-7
        return shifted.map { $0 / hi }
    }

    /// cv2.resize(INTER_LINEAR) of a Float grid: half-pixel centres (align_corners = false), source
    /// coordinates clamped at the borders, the horizontal pass first, in Float.
    static func resizeBilinear(_ src: [Float], width: Int, height: Int, toWidth ow: Int, toHeight oh: Int) -> [Float] {
        func taps(_ outSize: Int, _ inSize: Int) -> [(Int, Int, Float)] {
            let scale = Double(inSize) / Double(outSize)
            return (0..<outSize).map { d in
                var f = Float((Double(d) + 0.5) * scale - 0.5)
                var s = Int(f.rounded(.down))
                f -= Float(s)
                if s < 0 { s = 0; f = 0 }
                if s >= inSize - 1 { s = inSize - 1; f = 0 }
                return (s, Swift.min(s + 1, inSize - 1), f)
            }
        }
        let xt = taps(ow, width), yt = taps(oh, height)
        var rows = [Float](repeating: 0, count: height * ow)
        for y in 0..<height {
            for (x, (s0, s1, f)) in xt.enumerated() {
                rows[y * ow + x] = src[y * width + s0] * (1 - f) + src[y * width + s1] * f
            }
        }
        var out = [Float](repeating: 0, count: oh * ow)
        for (y, (s0, s1, f)) in yt.enumerated() {
            for x in 0..<ow { out[y * ow + x] = rows[s0 * ow + x] * (1 - f) + rows[s1 * ow + x] * f }
        }
        return out
    }

    /// JET of `uint8(255·cam)` blended with the image: out = (1 − w)·heat + w·img, divided by its
    /// maximum and quantised with `uint8(255·out)` (truncation), then PNG-encoded.
    static func overlayPNG(cam: [Float], pixels: Tensor, image: Int, imageWeight w: Float) throws -> Data {
        let h = pixels.dim(2), wd = pixels.dim(3), hw = h * wd
        let src = pixels.ptr + image * 3 * hw
        var blend = [Float](repeating: 0, count: hw * 3)
        for p in 0..<hw {
            let c = ColorMap.jetTable[Int(UInt8(clamping: Int(255 * cam[p])))]
            let heat = [Float(c.r) / 255, Float(c.g) / 255, Float(c.b) / 255]
            for ch in 0..<3 { blend[p * 3 + ch] = (1 - w) * heat[ch] + w * src[ch * hw + p] }
        }
        let top = blend.max() ?? 1
        let px = blend.map { UInt8(clamping: Int(255 * (top > 0 ? $0 / top : 0))) }
        return Data(try PNG.encode(Image(width: wd, height: h, pixels: px)))
    }

    // MARK: - Shared input handling

    /// Checks the (N, 3, H, W) pixels in [0, 1], the labels and the batch size against the model.
    static func checkInput(model: Classifier, pixels: Tensor, labels: [Int], batchSize: Int) throws {
        guard pixels.rank == 4, pixels.dim(1) == 3, pixels.dim(0) >= 1 else {
            throw GradCAMError(message: "analysis input must be (N, 3, H, W) pixels with N ≥ 1, got shape \(pixels.shape)")
        }
        guard labels.count == pixels.dim(0) else {
            throw GradCAMError(message: "analysis input has \(pixels.dim(0)) images but \(labels.count) labels")
        }
        guard batchSize >= 1 else { throw GradCAMError(message: "batchSize must be ≥ 1, got \(batchSize)") }
        var lo = Float.infinity, hi = -Float.infinity
        for i in 0..<pixels.count { lo = Swift.min(lo, pixels.ptr[i]); hi = Swift.max(hi, pixels.ptr[i]) }
        guard lo >= 0, hi <= 1 else {
            throw GradCAMError(message: "analysis pixels must be in [0, 1] (not normalised), got values in \(lo)…\(hi); "
                               + "pass raw pixels / 255 and the normalization separately")
        }
        if let vit = model as? ViT, pixels.dim(2) != vit.config.image || pixels.dim(3) != vit.config.image {
            throw GradCAMError(message: "the ViT takes \(vit.config.image)×\(vit.config.image) images, got "
                               + "\(pixels.dim(2))×\(pixels.dim(3)); resize the images to the model's input size")
        }
        if let classes = knownClassCount(model), let bad = labels.first(where: { !(0..<classes).contains($0) }) {
            throw GradCAMError(message: "label \(bad) is outside 0..<\(classes) for this model")
        }
    }

    /// The class count of a ResNet or ViT; nil for other classifiers (known after a forward pass).
    static func knownClassCount(_ model: Classifier) -> Int? {
        if let r = model as? ResNet { return r.config.classes }
        if let v = model as? ViT { return v.config.classes }
        return nil
    }

    /// The number of classes of a ResNet or ViT.
    static func classCount(_ model: Classifier) throws -> Int {
        if let c = knownClassCount(model) { return c }
        throw GradCAMError(message: "analyses need a ResNet or a ViT, got \(type(of: model))")
    }

    /// Index of the largest value (the first on ties, as numpy's argmax).
    static func argmax(_ v: [Float]) -> Int {
        var best = 0
        for i in v.indices where v[i] > v[best] { best = i }
        return best
    }

    /// Softmax in Double.
    static func softmax(_ v: [Float]) -> [Double] {
        let m = Double(v.max() ?? 0)
        let e = v.map { Foundation.exp(Double($0) - m) }
        let s = e.reduce(0, +)
        return e.map { $0 / s }
    }
}
