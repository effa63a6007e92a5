// Loader: seeded shuffling, per-image augmentation and batching of decoded images (prefetched by BatchStream).
import Engine
import Foundation

/// One mini-batch: normalised images (N, C, H, W) and integer labels.
public struct Batch {
    public let images: Tensor
    public let labels: [Int]
    /// Dataset indices of the images, in batch order.
    public let indices: [Int]
}

/// Iterates a labelled image set in batches. The order of epoch `e` is a permutation drawn
/// from (seed, e); image i of epoch e is augmented with `AugmentPipeline.rng(seed, e, i)`,
/// so every batch is reproducible on its own — a run can resume at any batch.
public struct DataLoader {
    public let data: LabeledImages
    public let pipeline: AugmentPipeline
    public let batchSize: Int
    public let shuffle: Bool
    public let dropLast: Bool
    public let seed: UInt64

    public init(_ data: LabeledImages, pipeline: AugmentPipeline, batchSize: Int, shuffle: Bool, dropLast: Bool = false, seed: UInt64) {
        precondition(batchSize > 0, "batch size must be positive")
        self.data = data; self.pipeline = pipeline; self.batchSize = batchSize
        self.shuffle = shuffle; self.dropLast = dropLast; self.seed = seed
    }


    /// Builds batch `b` of `epoch` (augmenting its images across the engine's threads).
    public func batch(_ b: Int, epoch: Int, order: [Int]) -> Batch {
        let lo = b * batchSize, hi = min(lo + batchSize, data.count)
        let idx = Array(order[lo..<hi])
        let pipeline = self.pipeline, seed = self.seed, images = data.images
        // The first image fixes the batch's size after the pipeline (a resize or crop may change it).
        var rng0 = AugmentPipeline.rng(seed: seed, epoch: epoch, index: idx[0])
        let first = pipeline(images[idx[0]], rng: &rng0)
        let c = 3, h = first.height, w = first.width
        let x = Tensor(uninitialized: [idx.count, c, h, w])
        let xp = SendPtr(x.ptr), plane = c * h * w
        precondition(first.data.count == plane, "image \(idx[0]) has \(first.data.count / max(h * w, 1)) channels after the pipeline")
        first.data.withUnsafeBufferPointer { xp.p.update(from: $0.baseAddress!, count: plane) }
        parallelFor(idx.count - 1, costPerItem: plane * 50) { s, e in
            for k in (s + 1)..<(e + 1) {
                var rng = AugmentPipeline.rng(seed: seed, epoch: epoch, index: idx[k])
                let p = pipeline(images[idx[k]], rng: &rng)
                precondition(p.data.count == plane, "image \(idx[k]) is \(p.width)×\(p.height), batch expects \(w)×\(h)")
                p.data.withUnsafeBufferPointer { (xp.p + k * plane).update(from: $0.baseAddress!, count: plane) }
            }
        }
        return Batch(images: x, labels: idx.map { data.labels[$0] }, indices: idx)
    }
}
