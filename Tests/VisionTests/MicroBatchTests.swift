// Shards and micro-batches: a split batch gives the whole batch's outputs and gradients (up to float rounding),
// deterministically, and a non-finite piece adds no gradient. Thread counts are scoped (`Threads.with`), not global.
import Engine
import Testing
@testable import Vision

@Suite struct MicroBatchTests {
    let vit = ViT(.init(image: 8, patch: 4, dim: 16, depth: 2, heads: 2, classes: 5), seed: 2)
    /// Each ViT image's widest activation is 5 tokens × 64 × 4 bytes: this budget allows 3 images per piece.
    var smallBudget: Int { vit.activationBytesPerImage(height: 8, width: 8) * 3 }

    func batch(_ n: Int, size: Int = 8) -> (Tensor, [Int]) {
        var rng = RandomGenerator(seed: 9)
        return (Tensor.randn([n, 3, size, size], rng: &rng), (0..<n).map { $0 % 5 })
    }

    func withThreads<T>(_ t: Int, _ body: () -> T) -> T { Threads.with(t, body) }

    func maxRelDiff(_ a: Tensor, _ b: Tensor) -> Float {
        let x = Array(UnsafeBufferPointer(start: a.ptr, count: a.count)), y = Array(UnsafeBufferPointer(start: b.ptr, count: b.count))
        let scale = max(x.map(abs).max() ?? 0, 1e-6)
        return (zip(x, y).map { abs($0 - $1) }.max() ?? 0) / scale
    }

    func grads(_ m: Classifier) -> [String: Tensor] {
        Dictionary(uniqueKeysWithValues: m.namedParameters().compactMap { n, p in p.grad.map { (n, $0.copy()) } })
    }

    @Test func planCoversTheBatchInOrder() {
        withThreads(2) {
            let plan = MicroBatch.plan(19, model: vit, height: 8, width: 8, budget: smallBudget * 2)
            #expect(plan.count == 2)
            #expect(plan.flatMap { $0 } .first?.lowerBound == 0 && plan.flatMap { $0 }.last?.upperBound == 19)
            let flat = plan.flatMap { $0 }
            for (a, b) in zip(flat, flat.dropFirst()) { #expect(a.upperBound == b.lowerBound) }
            #expect(flat.allSatisfy { $0.count <= 3 && $0.count >= 2 })
            #expect(MicroBatch.plan(3, model: vit, height: 8, width: 8).count == 1)  // < 2 images per thread
        }
        withThreads(1) { #expect(MicroBatch.plan(64, model: vit, height: 8, width: 8) == [[0..<64]]) }
    }

    @Test func shardedInferenceEqualsTheWholeBatch() {
        let (x, _) = batch(13)
        let resnet = ResNet(ResNet.Config(block: .basic, layers: [1, 1], channels: [8, 16], classes: 5), seed: 1)
        for model in [vit, resnet] as [Classifier] {
            model.eval()
            let whole = withThreads(1) { Autograd.noGrad { model.forward(x) } }
            let split = withThreads(2) { Autograd.noGrad { model.forwardSharded(x, budget: 1) } }
            #expect(split != nil)
            if let split {
                #expect(split.shape == whole.shape)
                #expect(maxRelDiff(whole, split) <= 1e-5)
            }
            let viaCall = withThreads(2) { Autograd.noGrad { model(x) } }
            #expect(maxRelDiff(whole, viaCall) <= 1e-5)
            model.train()
        }
    }

    /// A ResNet's inference steps: one per resolution, downsampling blocks with the wider step
    /// before them, sizes falling stage by stage; chained, they are the forward pass.
    @Test func resnetInferenceStepsFollowTheStages() throws {
        let r50 = ResNet(ResNet.Config.depth(50, classes: 10)!, seed: 1)
        let sizes = r50.inferenceSteps(height: 32, width: 32).map(\.bytesPerImage)
        // Widest tensors: 256×32×32 (stage 1 output, stage 2's first block input), then 512×16×16,
        // 1024×8×8 and 2048×4×4, 4 bytes each.
        #expect(sizes == [256 * 32 * 32 * 4, 512 * 16 * 16 * 4, 1024 * 8 * 8 * 4, 2048 * 4 * 4 * 4])
        #expect(r50.activationBytesPerImage(height: 32, width: 32) == 256 * 32 * 32 * 4)
        let small = ResNet(ResNet.Config(block: .basic, layers: [1, 2], channels: [8, 16], stem: .imagenet, classes: 5), seed: 1)
        small.eval()
        let steps = small.inferenceSteps(height: 16, width: 16)
        // ImageNet stem: its 64×8×8 convolution output is the widest tensor of the first step.
        #expect(steps.map(\.bytesPerImage) == [64 * 8 * 8 * 4, 16 * 2 * 2 * 4])
        let (x, _) = batch(3, size: 16)
        let chained = Autograd.noGrad { steps.reduce(x) { $1.run($0) } }
        let whole = Autograd.noGrad { small.forward(x) }
        #expect(chained.scalars == whole.scalars)
        // Per-step pieces: a budget of two stage-1 images per shard splits 6 images into 3 pieces
        // at the first step and runs the narrower second step whole.
        #expect(MicroBatch.pieces(6, shards: 1, bytesPerImage: sizes[0], budget: 2 * sizes[0]) == [0..<2, 2..<4, 4..<6])
        #expect(MicroBatch.pieces(6, shards: 1, bytesPerImage: sizes[3], budget: 2 * sizes[0]) == [0..<6])
        #expect(MicroBatch.pieces(5, shards: 2, bytesPerImage: 0) == [0..<5])
    }

    @Test func splitGradientsEqualTheWholeBatchsAndAreDeterministic() {
        let (x, labels) = batch(14)
        vit.train()
        func step(threads: Int, budget: Int) -> (Float, [String: Tensor]) {
            withThreads(threads) {
                for (_, p) in vit.namedParameters() { p.zeroGrad() }
                let loss = vit.accumulateGradients(x, budget: budget) { logits, _, rows in
                    crossEntropy(logits, labels: Array(labels[rows]))
                }
                return (loss, grads(vit))
            }
        }
        for (_, p) in vit.namedParameters() { p.zeroGrad() }
        let plain = crossEntropy(vit.forward(x), labels: labels)
        let plainLoss = plain.item
        plain.backward()
        let reference = grads(vit)
        let (l2, g2) = step(threads: 2, budget: smallBudget * 2)
        let (l2b, g2b) = step(threads: 2, budget: smallBudget * 2)
        let (l1, g1) = step(threads: 1, budget: smallBudget)
        #expect(abs(l2 - plainLoss) <= 1e-5 * abs(plainLoss) && abs(l1 - plainLoss) <= 1e-5 * abs(plainLoss))
        #expect(l2 == l2b)
        #expect(reference.count == vit.namedParameters().count)
        for (name, r) in reference {
            #expect(maxRelDiff(r, g2[name]!) <= 1e-4, "\(name) (2 shards)")
            #expect(maxRelDiff(r, g1[name]!) <= 1e-4, "\(name) (micro-batches)")
            let a = g2[name]!, b = g2b[name]!
            #expect((0..<a.count).allSatisfy { a.ptr[$0] == b.ptr[$0] }, "\(name) not deterministic")
        }
    }

    @Test func aNonFinitePieceAddsNoGradient() {
        let (x, labels) = batch(12)
        vit.train()
        withThreads(2) {
            for (_, p) in vit.namedParameters() { p.zeroGrad() }
            let loss = vit.accumulateGradients(x, budget: smallBudget * 2) { logits, _, rows in
                let l = crossEntropy(logits, labels: Array(labels[rows]))
                return rows.contains(10) ? l * Float.nan : l
            }
            #expect(loss.isNaN)
            #expect(vit.namedParameters().allSatisfy { $0.1.grad == nil })
        }
    }

    @Test func batchNormModelsTrainOnTheWholeBatch() {
        let (x, labels) = batch(8)
        let resnet = ResNet(ResNet.Config(block: .basic, layers: [1], channels: [8], classes: 5), seed: 1)
        resnet.train()
        #expect(!resnet.imagesIndependentInTraining)
        withThreads(2) {
            let loss = resnet.accumulateGradients(x, budget: 1) { logits, _, rows in
                #expect(rows == 0..<8)
                return crossEntropy(logits, labels: Array(labels[rows]))
            }
            #expect(loss.isFinite)
        }
    }
}
