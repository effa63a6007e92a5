// Models cut at a named layer: the prefix up to a latent and the rest of the network from it (for Grad-CAM).
import Engine

extension ResNet {
    /// Latent names, in network order: `stem`, then `layerS.I` for block I of stage S (1-based
    /// stages, 0-based blocks, as timm names them). A bare `layerS` means the stage's last block.
    public var latentNames: [String] {
        ["stem"] + stages.enumerated().flatMap { s, blocks in blocks.indices.map { "layer\(s + 1).\($0)" } }
    }

    /// The default Grad-CAM layer: the last block of the last stage (`layer4` for a standard ResNet).
    public var defaultCAMLayer: String { "layer\(stages.count)" }

    /// The position in `blockOutputs` of a named latent (0 = stem output), or nil if unknown.
    public func latentIndex(named name: String) -> Int? {
        if name == "stem" { return 0 }
        guard name.hasPrefix("layer") else { return nil }
        let parts = name.dropFirst(5).split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let stage = Int(parts[0]), (1...stages.count).contains(stage) else { return nil }
        let before = stages[0..<(stage - 1)].reduce(0) { $0 + $1.count }
        let block: Int
        if parts.count == 2 {
            guard let b = Int(parts[1]), stages[stage - 1].indices.contains(b) else { return nil }
            block = b
        } else {
            block = stages[stage - 1].count - 1
        }
        return 1 + before + block
    }

    /// The activation at latent `index` (see `latentIndex(named:)`): the stem, then blocks up to it.
    public func features(_ x: Tensor, through index: Int) -> Tensor {
        var y = stem(x)
        var k = 0
        for blocks in stages {
            for b in blocks {
                if k == index { return y }
                y = b(y)
                k += 1
            }
        }
        return y
    }

    /// Logits from the activation at latent `index`: the remaining blocks, pooling and `fc`.
    public func forward(fromLatent latent: Tensor, index: Int) -> Tensor {
        var y = latent, k = 0
        for blocks in stages {
            for b in blocks {
                k += 1
                if k > index { y = b(y) }
            }
        }
        return head(globalAvgPool(y))
    }
}

extension ViT {
    /// Latent names: `blocks.N` (the token states after block N) and `blocks.N.norm1` (the first
    /// LayerNorm's output inside block N, pytorch-grad-cam's usual ViT target), N = 0…depth−1.
    public var latentNames: [String] {
        (0..<config.depth).flatMap { ["blocks.\($0).norm1", "blocks.\($0)"] }
    }

    /// The default Grad-CAM layer, `blocks.{depth−1}.norm1`. The last block's own output reaches
    /// the logits only through the class token (the final LayerNorm is per token), so its patch
    /// tokens get zero gradient; the last block's `norm1` output is the latest latent whose patch
    /// tokens feed the class token (through attention).
    public var defaultCAMLayer: String { "blocks.\(config.depth - 1).norm1" }

    /// Token states (B, 1+N, D) entering block `block` (block = depth gives the last block's output).
    public func tokens(_ x: Tensor, before block: Int) -> Tensor {
        var t = embed(x)
        for blk in blocks.prefix(block) { t = blk.parts(t).1 }
        return t
    }

    /// Logits from the token states entering block `block` (the remaining blocks, norm, head).
    public func forward(fromTokens tokens: Tensor, before block: Int) -> Tensor {
        logits(from: tokens, through: blocks.dropFirst(block))
    }

    /// `norm1` of block `block` applied to its input tokens.
    public func norm1(_ tokens: Tensor, block: Int) -> Tensor { blocks[block].norm1(tokens) }

    /// Logits when block `block`'s `norm1` output is `normed` and its input (the residual) is `tokens`.
    public func forward(fromNorm1 normed: Tensor, residual tokens: Tensor, block: Int) -> Tensor {
        let blk = blocks[block]
        return forward(fromTokens: blk.mlpResidual(tokens + blk.attn(normed)), before: block + 1)
    }
}
