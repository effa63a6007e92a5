// AnalysisEval: what the Fourier analyses share — input checks, normalisation, batched predictions, accuracy.
import Engine

/// Progress of a long analysis: `done` of `total` units (images or forward passes).
public typealias AnalysisProgress = (_ done: Int, _ total: Int) -> Void

/// An analysis input that cannot be used (wrong shape, values, sizes or parameters), with a hint.
public struct AnalysisError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Shared helpers of the analyses. Every analysis takes raw pixels in [0, 1] of shape
/// (N, 3, H, W) at the model's input resolution, perturbs or filters them, then normalises
/// per channel, `(x − mean) / std`, and runs the model in evaluation mode without gradients.
public enum AnalysisEval {
    /// Checks the common inputs: a non-empty (N, 3, H, W) tensor with values in [0, 1], one
    /// label per image (when given), a positive batch size, and a size the model accepts.
    public static func validate(model: Classifier, pixels: Tensor, labels: [Int]?, batchSize: Int) throws {
        guard pixels.rank == 4, pixels.dim(1) == 3, pixels.dim(0) >= 1, pixels.dim(2) >= 1, pixels.dim(3) >= 1 else {
            throw AnalysisError("pixels have shape \(pixels.shape); expected (N, 3, H, W) with N ≥ 1")
        }
        if let labels, labels.count != pixels.dim(0) {
            throw AnalysisError("\(pixels.dim(0)) images but \(labels.count) labels; pass one label per image")
        }
        if let labels, let bad = labels.first(where: { $0 < 0 }) {
            throw AnalysisError("label \(bad) is negative; labels are class indices 0, 1, …")
        }
        guard batchSize >= 1 else { throw AnalysisError("batchSize must be at least 1, got \(batchSize)") }
        if let vit = model as? ViT, pixels.dim(2) != vit.config.image || pixels.dim(3) != vit.config.image {
            throw AnalysisError("the ViT takes \(vit.config.image)×\(vit.config.image) images but pixels are "
                                + "\(pixels.dim(2))×\(pixels.dim(3)); resize them to the model's input resolution first")
        }
        var lo = Float.infinity, hi = -Float.infinity
        let p = pixels.ptr
        for i in 0..<pixels.count { lo = min(lo, p[i]); hi = max(hi, p[i]) }
        guard lo >= -1e-4, hi <= 1 + 1e-4 else {
            throw AnalysisError("pixel values span [\(lo), \(hi)] but analyses take raw pixels in [0, 1] "
                                + "(not normalised: pass the normalisation separately)")
        }
    }

    /// `(x − mean[c]) / std[c]` per channel of (N, 3, H, W) values, in place.
    public static func normalizeInPlace(_ x: UnsafeMutablePointer<Float>, images: Int, planeSize hw: Int, _ n: Normalization) {
        for i in 0..<images {
            for c in 0..<3 {
                let p = x + (i * 3 + c) * hw
                let scale = 1 / n.std[c], bias = -n.mean[c] / n.std[c]
                for k in 0..<hw { p[k] = p[k] * scale + bias }
            }
        }
    }

    /// Images `range` of `pixels`, normalised, as a new (count, 3, H, W) tensor.
    public static func normalizedBatch(_ pixels: Tensor, _ range: Range<Int>, _ n: Normalization) -> Tensor {
        let per = pixels.count / pixels.dim(0)
        let out = Tensor(uninitialized: [range.count] + Array(pixels.shape.dropFirst()))
        out.ptr.update(from: pixels.ptr + range.lowerBound * per, count: range.count * per)
        normalizeInPlace(out.ptr, images: range.count, planeSize: per / 3, n)
        return out
    }

    /// Predicted classes (arg-max logits, first on ties) of `count` inputs, built batch by batch:
    /// `makeBatch(range)` returns the model input (already normalised) for those indices.
    public static func predictions(model: Classifier, count: Int, batchSize: Int, progress: AnalysisProgress? = nil,
                                   makeBatch: (Range<Int>) -> Tensor) -> [Int] {
        predictionsAndClasses(model: model, count: count, batchSize: batchSize, progress: progress, makeBatch: makeBatch).predictions
    }

    /// ``predictions(model:count:batchSize:progress:makeBatch:)`` and the logits' width (0 for no inputs).
    /// `decide` turns a batch's logits into one answer per image (top-1 by default; the cue-conflict
    /// stimuli map 1,000 ImageNet classes onto 16 categories first).
    static func predictionsAndClasses(model: Classifier, count: Int, batchSize: Int, progress: AnalysisProgress? = nil,
                                      decide: (Tensor) -> [Int] = { $0.argmax(axis: 1) },
                                      makeBatch: (Range<Int>) -> Tensor) -> (predictions: [Int], classes: Int) {
        model.eval()
        var out: [Int] = [], classes = 0
        out.reserveCapacity(count)
        var start = 0
        while start < count {
            let range = start..<min(count, start + batchSize)
            let x = makeBatch(range)
            let logits = Autograd.noGrad { model(x) }
            classes = logits.dim(1)
            out += decide(logits)
            start = range.upperBound
            progress?(start, count)
        }
        return (out, classes)
    }

    /// Predicted classes of raw [0, 1] `pixels` after normalisation.
    public static func predictions(model: Classifier, pixels: Tensor, normalization: Normalization, batchSize: Int) -> [Int] {
        predictions(model: model, count: pixels.dim(0), batchSize: batchSize) { normalizedBatch(pixels, $0, normalization) }
    }

    /// Fraction of `predictions` equal to `labels` (0 for no items).
    public static func accuracy(_ predictions: [Int], _ labels: [Int]) -> Double {
        precondition(predictions.count == labels.count, "\(predictions.count) predictions for \(labels.count) labels")
        guard !labels.isEmpty else { return 0 }
        return Double(zip(predictions, labels).filter { $0 == $1 }.count) / Double(labels.count)
    }

    /// Top-1 accuracy of `model` on raw [0, 1] `pixels`.
    public static func accuracy(model: Classifier, pixels: Tensor, labels: [Int], normalization: Normalization,
                                batchSize: Int) -> Double {
        accuracy(predictions(model: model, pixels: pixels, normalization: normalization, batchSize: batchSize), labels)
    }
}

/// The Fourier analyses of docs/methods.md §7 and the frequency-hybrid shape-bias proxy of §7.8.
/// Each is a deterministic function (given its seed) of a model and raw [0, 1] images that
/// returns a `Codable` result holding everything its chart needs; none prints.
public enum FourierAnalyses {}
