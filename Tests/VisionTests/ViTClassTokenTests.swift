// The ViT computes its last block for the class token alone: the same logits and parameter
// gradients as running that block on every token and reading the class token afterwards.
import Engine
import Testing
@testable import Vision

@Suite struct ViTClassTokenTests {
    /// max |a − b| over max |b|.
    func relDiff(_ a: Tensor?, _ b: Tensor) -> Float {
        guard let a, a.shape == b.shape else { return .infinity }
        let x = a.scalars, y = b.scalars
        return zip(x, y).map { abs($0 - $1) }.max()! / max(y.map(abs).max()!, 1e-12)
    }

    /// Logits and gradients of `loss(logits)` for a fresh model.
    func run(_ config: ViT.Config, full: Bool) -> (Tensor, [String: Tensor]) {
        let vit = ViT(config, seed: 3)
        var rng = RandomGenerator(seed: 5)
        let x = Tensor.randn([3, 3, config.image, config.image], rng: &rng)
        let out = full ? vit.classify(vit.sublayerOutputs(x).last!) : vit.forward(x)
        let w = Tensor.randn(out.shape, rng: &rng)
        (out * w).sum().backward()
        let grads = Dictionary(uniqueKeysWithValues: vit.namedParameters().compactMap { n, p in p.grad.map { (n, $0.copy()) } })
        return (out.detached(), grads)
    }

    @Test(arguments: [(1, 4), (3, 4), (2, 0)])
    func lastBlockOnTheClassTokenMatchesTheFullBlock(depth: Int, classes: Int) {
        let config = ViT.Config(image: 8, patch: 4, dim: 12, depth: depth, heads: 3, classes: classes)
        let (fast, fg) = run(config, full: false)
        let (full, rg) = run(config, full: true)
        #expect(fast.shape == [3, classes > 0 ? classes : 12])
        #expect(relDiff(fast, full) <= 1e-5)
        #expect(fg.keys.sorted() == rg.keys.sorted())
        for (name, g) in rg { #expect(relDiff(fg[name], g) <= 1e-5, "grad \(name)") }
        // Every parameter of the last block still gets a gradient (its keys and values serve all tokens).
        #expect(fg["blocks.\(depth - 1).attn.qkv.weight"].map { $0.scalars.contains { $0 != 0 } } == true)
    }
}
