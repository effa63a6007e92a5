// Vision Transformer (Dosovitskiy et al.) with timm's `VisionTransformer` names.
import Engine

/// Pre-norm transformer block: x + attn(norm1(x)); x + mlp(norm2(x)).
final class ViTBlock: Module {
    let norm1: LayerNorm, attn: Attention, norm2: LayerNorm
    let fc1: Linear, fc2: Linear

    init(dim: Int, heads: Int, mlpRatio: Double, qkvBias: Bool, rng: inout RandomGenerator) {
        norm1 = LayerNorm(dim); norm2 = LayerNorm(dim)
        attn = Attention(dim: dim, heads: heads, qkvBias: qkvBias, rng: &rng)
        let hidden = Int(Double(dim) * mlpRatio)
        fc1 = Linear(dim, hidden, rng: &rng); fc2 = Linear(hidden, dim, rng: &rng)
        super.init()
        addChild("norm1", norm1); addChild("attn", attn); addChild("norm2", norm2)
        let mlp = Module()
        mlp.addChild("fc1", fc1); mlp.addChild("fc2", fc2)
        addChild("mlp", mlp)
    }

    /// Returns (after attention residual, after MLP residual).
    func parts(_ x: Tensor) -> (Tensor, Tensor) {
        let a = x + attn(norm1(x))
        return (a, mlpResidual(a))
    }

    /// The block's output for the class token alone (B, 1, D), the only row the head reads of
    /// the last block: keys and values of every token, but the query, attention, projection
    /// and MLP of that one token.
    func classTokenOutput(_ x: Tensor) -> Tensor {
        let h = norm1(x), d = x.dim(2)
        let w = attn.qkv.weight, b = attn.qkv.bias
        let q = linear(h.sliced(axis: 1, 0..<1), weight: w.sliced(axis: 0, 0..<d), bias: b?.sliced(axis: 0, 0..<d))
        let kv = linear(h, weight: w.sliced(axis: 0, d..<3 * d), bias: b?.sliced(axis: 0, d..<3 * d))
        let o = fusedAttention(q: q, kv: kv, heads: attn.heads)
        return mlpResidual(x.sliced(axis: 1, 0..<1) + linear(o, weight: attn.proj.weight, bias: attn.proj.bias))
    }

    /// a + mlp(norm2(a)): the block's second residual sublayer.
    func mlpResidual(_ a: Tensor) -> Tensor {
        a + fc2(linearGELU(norm2(a), weight: fc1.weight, bias: fc1.bias))
    }
}

/// ViT with a class token, learned position embeddings and a linear head.
public final class ViT: Classifier {
    public struct Config: Equatable, Sendable, Codable {
        public var image: Int, patch: Int, dim: Int, depth: Int, heads: Int
        public var mlpRatio: Double, qkvBias: Bool, classes: Int
        public init(image: Int, patch: Int, dim: Int, depth: Int, heads: Int, mlpRatio: Double = 4, qkvBias: Bool = true, classes: Int) {
            self.image = image; self.patch = patch; self.dim = dim; self.depth = depth; self.heads = heads
            self.mlpRatio = mlpRatio; self.qkvBias = qkvBias; self.classes = classes
        }
        public var tokens: Int { (image / patch) * (image / patch) + 1 }
    }

    public let config: Config
    let patchProj: Conv2d
    let clsToken: Tensor, posEmbed: Tensor
    let blocks: [ViTBlock]
    let norm: LayerNorm
    /// The classifier; nil with `classes: 0` (timm's `num_classes=0`): the model returns the normed class token.
    let headLayer: Linear?

    public init(_ config: Config, seed: UInt64 = 0) {
        self.config = config
        var rng = RandomGenerator(seed: seed)
        patchProj = Conv2d(3, config.dim, kernel: config.patch, stride: config.patch, bias: true, rng: &rng)
        patchProj.weight.assign(Init.pytorchDefault(patchProj.weight.shape, fanIn: 3 * config.patch * config.patch, rng: &rng))
        clsToken = Tensor.randn([1, 1, config.dim], std: 1e-6, rng: &rng)
        posEmbed = Init.truncNormal([1, config.tokens, config.dim], std: 0.02, rng: &rng)
        blocks = (0..<config.depth).map { _ in
            ViTBlock(dim: config.dim, heads: config.heads, mlpRatio: config.mlpRatio, qkvBias: config.qkvBias, rng: &rng)
        }
        norm = LayerNorm(config.dim)
        headLayer = config.classes > 0 ? Linear(config.dim, config.classes, rng: &rng) : nil
        // timm: trunc-normal(0.02) Linear weights, zero biases.
        for l in blocks.flatMap({ [$0.attn.qkv, $0.attn.proj, $0.fc1, $0.fc2] }) + (headLayer.map { [$0] } ?? []) {
            l.weight.assign(Init.truncNormal(l.weight.shape, std: 0.02, rng: &rng))
            l.bias?.fill(0)
        }
        super.init()
        let pe = Module()
        pe.addChild("proj", patchProj)
        addChild("patch_embed", pe)
        addParameter("cls_token", clsToken)
        addParameter("pos_embed", posEmbed)
        let bl = Module()
        for (i, b) in blocks.enumerated() { bl.addChild(String(i), b) }
        addChild("blocks", bl)
        addChild("norm", norm)
        if let headLayer { addChild("head", headLayer) }
    }

    /// The classifier on the class token's features; the features themselves without a head.
    func head(_ features: Tensor) -> Tensor { headLayer.map { $0(features) } ?? features }

    /// Token embeddings (B, 1+N, D) with position embeddings added.
    func embed(_ x: Tensor) -> Tensor {
        precondition(x.dim(2) == config.image && x.dim(3) == config.image,
                     "ViT built for \(config.image)px images, got \(x.dim(2))×\(x.dim(3))")
        let b = x.dim(0)
        let p = patchProj(x).flattened(from: 2).transposed(1, 2)  // (B, N, D)
        let cls = clsToken + Tensor.zeros([b, 1, config.dim])
        return concat([cls, p], axis: 1) + posEmbed
    }

    /// Token states after each attention sublayer and each MLP sublayer (for analyses).
    public func sublayerOutputs(_ x: Tensor) -> [Tensor] {
        var t = embed(x)
        var outs = [t]
        for blk in blocks {
            let (a, m) = blk.parts(t)
            outs += [a, m]
            t = m
        }
        return outs
    }

    public override func forward(_ x: Tensor) -> Tensor { logits(from: embed(x), through: blocks[...]) }

    /// Logits from the token states entering `rest` (the model's last blocks): each block on every
    /// token, except the last, whose output the head reads for the class token only and so is
    /// computed for that token alone (`classTokenOutput`) — the same logits and gradients as
    /// `classify` on the full last block, for about 1/depth less work.
    func logits(from tokens: Tensor, through rest: ArraySlice<ViTBlock>) -> Tensor {
        var t = tokens
        for blk in rest.dropLast() { t = blk.parts(t).1 }
        return classify(rest.last.map { $0.classTokenOutput(t) } ?? t)
    }

    /// The MLP's hidden activation, tokens × dim × ratio.
    public override func activationBytesPerImage(height: Int, width: Int) -> Int {
        config.tokens * Int(Double(config.dim) * config.mlpRatio) * MemoryLayout<Float>.size
    }

    /// LayerNorm and attention work within one image: a batch's gradient is the sum of its images'.
    public override var imagesIndependentInTraining: Bool { true }

    /// Logits (or features without a head) from the last block's token states: final norm, class token, head.
    func classify(_ tokens: Tensor) -> Tensor {
        head(norm(tokens).sliced(axis: 1, 0..<1).reshaped([tokens.dim(0), config.dim]))
    }
}
