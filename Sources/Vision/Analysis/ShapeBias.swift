// Shape bias on the `.shapes` cue-conflict split (Geirhos et al. 2019, docs/methods.md §7.7) and the patch-shuffle proxy (§7.9).
import Engine
import Foundation

/// Shape-vs-texture decisions on cue-conflict images (shape of one class, texture of another).
public struct ShapeBiasResult: Codable, Equatable, Sendable {
    /// Images scored: those whose shape and texture labels differ.
    public var n: Int
    /// Images dropped because their two labels coincide.
    public var dropped: Int
    /// Predictions equal to the shape label (S).
    public var shapeDecisions: Int
    /// Predictions equal to the texture label (T).
    public var textureDecisions: Int
    /// Predictions matching neither label (ignored by the bias).
    public var neither: Int
    /// S / (S + T); nil when S + T = 0.
    public var shapeBias: Double?
    /// S / n: accuracy with respect to the shape label.
    public var shapeAccuracy: Double
    /// T / n: accuracy with respect to the texture label.
    public var textureAccuracy: Double
}

/// Accuracy after shuffling a g × g grid of patches, for one g.
public struct PatchShufflePoint: Codable, Equatable, Sendable {
    /// Patches per side (1 = the unshuffled images).
    public var grid: Int
    public var correct: Int
    public var n: Int
    /// correct / n.
    public var accuracy: Double
}

/// The patch-shuffle shape proxy (Naseer et al. 2021): local texture survives the shuffle, global
/// shape does not, so a model that keeps its accuracy relies on texture. A proxy, not Geirhos's bias.
public struct PatchShuffleResult: Codable, Equatable, Sendable {
    /// What this measures, for labels in reports.
    public var kind: String = "patch-shuffle accuracy (shape-reliance proxy; not a cue-conflict shape bias)"
    /// The seed of the permutations.
    public var seed: UInt64
    /// One point per grid, in the order asked, g = 1 (unshuffled) first.
    public var points: [PatchShufflePoint]
}

/// Shape bias on cue-conflict images.
public enum ShapeBias {
    /// Runs `model` on the cue-conflict images and counts shape and texture decisions.
    ///
    /// - Parameters:
    ///   - pixels: (N, 3, H, W) in [0, 1], not normalised (e.g. the `.shapes` `.cueConflict` split).
    ///   - shapeLabels: each image's shape class (the split's `labels`).
    ///   - textureLabels: each image's texture class (the split's `textureLabels`).
    public static func measure(model: Classifier, pixels: Tensor, shapeLabels: [Int], textureLabels: [Int],
                               normalization: Normalization, batchSize: Int = 128) throws -> ShapeBiasResult {
        try GradCAM.checkInput(model: model, pixels: pixels, labels: shapeLabels, batchSize: batchSize)
        let (predictions, classes) = predict(model: model, pixels: pixels, normalization: normalization, batchSize: batchSize)
        if let bad = (shapeLabels + textureLabels).first(where: { !(0..<classes).contains($0) }) {
            throw GradCAMError(message: "shape bias: label \(bad) is outside the model's 0..<\(classes) classes")
        }
        return try count(predictions: predictions, shapeLabels: shapeLabels, textureLabels: textureLabels)
    }

    /// The counts from given predictions (model-vs-human's `ShapeBias`: drop images whose labels
    /// coincide, S = shape hits, T = texture hits, bias = S / (S + T)).
    public static func count(predictions: [Int], shapeLabels: [Int], textureLabels: [Int]) throws -> ShapeBiasResult {
        guard predictions.count == shapeLabels.count, shapeLabels.count == textureLabels.count else {
            throw GradCAMError(message: "shape bias: \(predictions.count) predictions, \(shapeLabels.count) shape labels and "
                               + "\(textureLabels.count) texture labels; all three must have one entry per image")
        }
        var s = 0, t = 0, neither = 0, dropped = 0
        for (p, (shape, texture)) in zip(predictions, zip(shapeLabels, textureLabels)) {
            if shape == texture { dropped += 1; continue }
            if p == shape { s += 1 } else if p == texture { t += 1 } else { neither += 1 }
        }
        let n = s + t + neither
        guard n > 0 else {
            throw GradCAMError(message: "shape bias: no image has different shape and texture labels "
                               + "(\(dropped) dropped); use the `.shapes` cue-conflict split")
        }
        return ShapeBiasResult(n: n, dropped: dropped, shapeDecisions: s, textureDecisions: t, neither: neither,
                               shapeBias: s + t > 0 ? Double(s) / Double(s + t) : nil,
                               shapeAccuracy: Double(s) / Double(n), textureAccuracy: Double(t) / Double(n))
    }

    /// Top-1 class of each image (evaluation mode, no graph) and the model's class count.
    static func predict(model: Classifier, pixels: Tensor, normalization: Normalization, batchSize: Int) -> (predictions: [Int], classes: Int) {
        AnalysisEval.predictionsAndClasses(model: model, count: pixels.dim(0), batchSize: batchSize) {
            AnalysisEval.normalizedBatch(pixels, $0, normalization)
        }
    }
}

/// The patch-shuffle proxy of docs/methods.md §7.9.
public enum PatchShuffle {
    /// Each image cut into a `grid × grid` array of equal patches, randomly permuted. Image i's
    /// permutation comes from its own stream of `seed` (and `grid`), so it does not depend on batching.
    public static func shuffled(_ pixels: Tensor, grid g: Int, seed: UInt64) throws -> Tensor {
        guard pixels.rank == 4 else {
            throw GradCAMError(message: "patch shuffle: pixels must be (N, C, H, W), got shape \(pixels.shape)")
        }
        let n = pixels.dim(0), c = pixels.dim(1), h = pixels.dim(2), w = pixels.dim(3)
        guard g >= 1, h % g == 0, w % g == 0 else {
            throw GradCAMError(message: "patch shuffle: grid \(g) must be ≥ 1 and divide the image size \(h)×\(w) "
                               + "(e.g. 2, 4 or 8 for 32-pixel images)")
        }
        let out = pixels.copy()
        if g == 1 { return out }
        let ph = h / g, pw = w / g
        let src = pixels.ptr, dst = out.ptr
        for i in 0..<n {
            var rng = SeededRNG(seed: seed, stream: UInt64(g) << 40 | UInt64(i))
            let perm = rng.permutation(g * g)
            for (to, from) in perm.enumerated() {
                let (ty, tx) = (to / g * ph, to % g * pw), (fy, fx) = (from / g * ph, from % g * pw)
                for ch in 0..<c {
                    let plane = (i * c + ch) * h * w
                    for y in 0..<ph {
                        (dst + plane + (ty + y) * w + tx).update(from: src + plane + (fy + y) * w + fx, count: pw)
                    }
                }
            }
        }
        return out
    }

    /// Top-1 accuracy on the images as given (g = 1) and after shuffling each grid in `grids`.
    public static func measure(model: Classifier, pixels: Tensor, labels: [Int], normalization: Normalization,
                               batchSize: Int = 128, grids: [Int] = [2, 4, 8], seed: UInt64 = 0) throws -> PatchShuffleResult {
        try GradCAM.checkInput(model: model, pixels: pixels, labels: labels, batchSize: batchSize)
        guard !grids.isEmpty else { throw GradCAMError(message: "patch shuffle: grids is empty; give e.g. [2, 4, 8]") }
        var points: [PatchShufflePoint] = []
        for g in [1] + grids.filter({ $0 != 1 }) {
            let x = try shuffled(pixels, grid: g, seed: seed)
            let (p, classes) = ShapeBias.predict(model: model, pixels: x, normalization: normalization, batchSize: batchSize)
            if let bad = labels.first(where: { !(0..<classes).contains($0) }) {
                throw GradCAMError(message: "patch shuffle: label \(bad) is outside the model's 0..<\(classes) classes")
            }
            let correct = zip(p, labels).filter { $0 == $1 }.count
            points.append(PatchShufflePoint(grid: g, correct: correct, n: labels.count,
                                            accuracy: Double(correct) / Double(labels.count)))
        }
        return PatchShuffleResult(seed: seed, points: points)
    }
}

extension ShapeBias {
    /// `measure` on a labelled cue-conflict set (e.g. `ShapesDataset.load(.cueConflict)`), whose
    /// `labels` are the shapes and `textureLabels` the textures.
    public static func measure(model: Classifier, cueConflict set: LabeledImages, normalization: Normalization,
                               batchSize: Int = 128) throws -> ShapeBiasResult {
        guard let textures = set.textureLabels else {
            throw GradCAMError(message: "shape bias needs texture labels; load the `.shapes` cue-conflict split "
                               + "(ShapesDataset.load(.cueConflict)), not the train or test split")
        }
        return try measure(model: model, pixels: unitPixels(set.images), shapeLabels: set.labels,
                           textureLabels: textures, normalization: normalization, batchSize: batchSize)
    }

    /// Images of one size as an (N, 3, H, W) tensor of pixel / 255.
    public static func unitPixels(_ images: [Image]) throws -> Tensor {
        guard let first = images.first else { throw GradCAMError(message: "no images given") }
        guard images.allSatisfy({ $0.width == first.width && $0.height == first.height }) else {
            throw GradCAMError(message: "images differ in size (first is \(first.width)×\(first.height)); one batch needs one size")
        }
        let per = 3 * first.width * first.height
        let t = Tensor(uninitialized: [images.count, 3, first.height, first.width])
        for (i, im) in images.enumerated() {
            im.writePlanar(into: UnsafeMutableBufferPointer(start: t.ptr + i * per, count: per), normalization: .unit)
        }
        return t
    }
}
