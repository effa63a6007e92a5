// Batches split for speed: one shard per thread for work whose images are independent
// (inference; a ViT's training step), each shard in cache-sized micro-batches.
import Engine

/// How a batch is split: into one contiguous shard per engine thread, each run with the engine
/// single-threaded on its own thread (no per-op hand-offs or idle waits), and each shard into
/// micro-batches whose largest activation stays in the last-level cache.
public enum MicroBatch {
    /// Target bytes of the largest activation of all shards' current micro-batches together
    /// (the shards share the 32 MiB L3 of the machine it was tuned on). A constant, not a
    /// setting: the split decides how a ViT's gradient is summed, so it is part of the numerics.
    public static let budgetBytes = 8 << 20

    /// The shards of a batch: one contiguous row range per engine thread, or the whole batch
    /// with the engine single-threaded, inside another shard, or when `batch` < 2 × threads.
    public static func shards(_ batch: Int) -> [Range<Int>] {
        let threads = Threads.count
        let count = threads > 1 && !Threads.inShard && batch >= 2 * threads ? threads : 1
        return (0..<count).map { s in (s * batch / count)..<((s + 1) * batch / count) }
    }

    /// A shard of `n` images (one of `shards`) in micro-batches of at most `budget / shards /
    /// bytesPerImage` images, as even as possible: row ranges covering `0..<n` in order. One
    /// piece when the size per image is unknown (0).
    public static func pieces(_ n: Int, shards: Int, bytesPerImage: Int, budget: Int = budgetBytes) -> [Range<Int>] {
        let size = bytesPerImage > 0 ? max(1, budget / shards / bytesPerImage) : max(n, 1)
        let count = max(1, (n + size - 1) / size)
        return (0..<count).map { i in (i * n / count)..<((i + 1) * n / count) }
    }

    /// For each shard, its micro-batches' row ranges (in the batch), covering `0..<batch` in
    /// order, sized by the model's largest activation (`Classifier.activationBytesPerImage`).
    public static func plan(_ batch: Int, model: Classifier, height: Int, width: Int, budget: Int = budgetBytes) -> [[Range<Int>]] {
        let shards = shards(batch)
        let perImage = model.activationBytesPerImage(height: height, width: width)
        return shards.map { shard in
            pieces(shard.count, shards: shards.count, bytesPerImage: perImage, budget: budget)
                .map { (shard.lowerBound + $0.lowerBound)..<(shard.lowerBound + $0.upperBound) }
        }
    }
}

/// One step of a model's forward pass for micro-batched inference: the bytes per image of the
/// largest tensor it reads or makes, and the computation.
public struct InferenceStep {
    public let bytesPerImage: Int
    public let run: (Tensor) -> Tensor
    public init(bytesPerImage: Int, run: @escaping (Tensor) -> Tensor) {
        self.bytesPerImage = bytesPerImage; self.run = run
    }
}

extension Classifier {
    /// The model on a batch when its images are independent of each other: without gradient
    /// recording, in evaluation mode or for a model whose images are independent in training
    /// (`imagesIndependentInTraining`). Runs `MicroBatch.shards` side by side, each through the
    /// model's `inferenceSteps` with micro-batches sized per step (`MicroBatch.pieces`: small
    /// ones where the feature maps are wide, larger ones where they are narrow), and joins their
    /// outputs; nil when that plan is the whole batch in one piece throughout.
    func forwardSharded(_ x: Tensor, budget: Int = MicroBatch.budgetBytes) -> Tensor? {
        guard !Autograd.isRecording, !training || imagesIndependentInTraining, x.rank == 4, x.dim(0) > 1 else { return nil }
        let shards = MicroBatch.shards(x.dim(0))
        let steps = inferenceSteps(height: x.dim(2), width: x.dim(3))
        let split = { (n: Int, step: InferenceStep) in
            MicroBatch.pieces(n, shards: shards.count, bytesPerImage: step.bytesPerImage, budget: budget)
        }
        guard shards.count > 1 || steps.contains(where: { split(x.dim(0), $0).count > 1 }) else { return nil }
        let outs = UnsafeMutablePointer<Tensor?>.allocate(capacity: shards.count)
        outs.initialize(repeating: nil, count: shards.count)
        defer { outs.deinitialize(count: shards.count); outs.deallocate() }
        let slots = SendPtr(outs)
        parallelShards(shards.count) { s in
            var y = x.sliced(axis: 0, shards[s])
            for step in steps {
                let pieces = split(y.dim(0), step)
                y = pieces.count == 1 ? step.run(y) : concat(pieces.map { step.run(y.sliced(axis: 0, $0)) }, axis: 0)
            }
            slots[s] = y
        }
        let parts = (0..<shards.count).map { outs[$0]! }
        let out = Tensor(uninitialized: [x.dim(0)] + parts[0].shape.dropFirst())
        var offset = 0
        for y in parts {
            (out.ptr + offset).update(from: y.ptr, count: y.count)
            offset += y.count
        }
        return out
    }

    /// Forward and backward of a batch-mean loss, accumulating into the parameters' gradients
    /// (zero them first). `loss(logits, images, rows)` gives the mean loss of the images in
    /// `rows` of the batch; it may be called from several threads at once. When the model's
    /// images are independent in training (`imagesIndependentInTraining`), the batch runs as
    /// `MicroBatch.plan` says, each piece's loss weighted by its share of the batch and each
    /// shard's gradients collected apart and added in shard order: the same gradient as one
    /// pass up to float rounding, deterministic for a given thread count. `budget` overrides
    /// `MicroBatch.budgetBytes` (tests). Returns the batch's
    /// mean loss, or a non-finite piece's loss, in which case no gradient was added.
    public func accumulateGradients(_ images: Tensor, budget: Int = MicroBatch.budgetBytes, loss: (_ logits: Tensor, _ images: Tensor, _ rows: Range<Int>) -> Tensor) -> Float {
        let n = images.dim(0)
        let plan = imagesIndependentInTraining && images.rank == 4
            ? MicroBatch.plan(n, model: self, height: images.dim(2), width: images.dim(3), budget: budget) : [[0..<n]]
        if plan.count == 1 && plan[0].count == 1 {
            let l = loss(forward(images), images, 0..<n)
            let value = l.item
            if value.isFinite { l.backward() }
            return value
        }
        let sinks = plan.map { _ in GradientSink() }
        let totals = UnsafeMutablePointer<Double>.allocate(capacity: plan.count)
        totals.initialize(repeating: 0, count: plan.count)
        defer { totals.deallocate() }
        let sums = SendPtr(totals)
        func run(_ s: Int) {
            Autograd.collectingGradients(into: sinks[s]) {
                for rows in plan[s] {
                    let x = images.sliced(axis: 0, rows)
                    let l = loss(self.forward(x), x, rows)
                    let value = l.item
                    guard value.isFinite else { sums[s] = Double(value); return }
                    (l * (Float(rows.count) / Float(n))).backward()
                    sums[s] += Double(value) * Double(rows.count)
                }
            }
        }
        parallelShards(plan.count, run)
        var total = 0.0
        for s in 0..<plan.count {
            guard totals[s].isFinite else { return Float(totals[s]) }
            total += totals[s]
        }
        for sink in sinks { sink.commit() }
        return Float(total / Double(n))
    }
}
