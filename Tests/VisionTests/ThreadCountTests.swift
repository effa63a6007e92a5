// Results must not depend on the thread count beyond float rounding: a ViT's and a ResNet's training-step
// gradients with 1 thread and with 2 threads agree. (Thread counts scoped with `Threads.with`.)
import Engine
import Testing
@testable import Vision

@Suite struct ThreadCountTests {
    func gradients(_ model: Classifier, _ x: Tensor, _ labels: [Int], threads: Int) -> [String: [Float]] {
        Threads.with(threads) { gradients(model, x, labels) }
    }

    func gradients(_ model: Classifier, _ x: Tensor, _ labels: [Int]) -> [String: [Float]] {
        model.train()
        for (_, p) in model.namedParameters() { p.zeroGrad() }
        let loss = crossEntropy(model(x), labels: labels)
        loss.backward()
        var out: [String: [Float]] = [:]
        for (name, p) in model.namedParameters() { out[name] = p.grad.map { Array(UnsafeBufferPointer(start: $0.ptr, count: $0.count)) } ?? [] }
        return out
    }

    func compare(_ model: Classifier, size: Int) {
        var rng = RandomGenerator(seed: 3)
        let x = Tensor.randn([24, 3, size, size], std: 1, rng: &rng)
        let labels = (0..<24).map { $0 % 6 }
        let one = gradients(model, x, labels, threads: 1)
        let two = gradients(model, x, labels, threads: 2)
        for (name, g1) in one.sorted(by: { $0.key < $1.key }) {
            let g2 = two[name]!
            let scale = max(g1.map(abs).max() ?? 0, 1e-6)
            let diff = zip(g1, g2).map { abs($0 - $1) }.max() ?? 0
            #expect(g1.count == g2.count && diff <= 1e-3 * scale, "\(name): max |Δ| \(diff) at scale \(scale)")
        }
    }

    @Test func vitGradientsDoNotDependOnThreads() {
        compare(ViT(.init(image: 24, patch: 4, dim: 64, depth: 2, heads: 4, classes: 6), seed: 1), size: 24)
    }

    @Test func resnetGradientsDoNotDependOnThreads() {
        compare(ResNet(ResNet.Config(block: .basic, layers: [1, 1], channels: [8, 16], classes: 6), seed: 1), size: 16)
    }
}
