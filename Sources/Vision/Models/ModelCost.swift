// Model cost: forward FLOPs and trainable parameters of a ResNet or ViT config, from the config alone (no model built).

extension ResNet.Config {
    /// FLOPs (2 per multiply-add) of the convolutions and the head of one forward pass of a `size`×`size` image,
    /// as the plan's time estimates count them: without the attention modules, and with a downsampling bottleneck's
    /// first 1×1 conv at the block's output side (the model runs it at the input side, 4× the pixels).
    public func forwardFLOPs(imageSize size: Int) -> Int {
        var s = stem == .cifar ? size : size / 4
        var total = 2 * 3 * stemWidth * (stem == .cifar ? 9 : 49) * (stem == .cifar ? s * s : (size / 2) * (size / 2))
        var inp = stemWidth
        for (i, (n, w)) in zip(layers, channels).enumerated() {
            for b in 0..<n {
                if b == 0 && i > 0 { s = max(1, s / 2) }
                let out = block == .basic ? w : 4 * w
                let px = s * s
                total += block == .basic ? 2 * px * (inp * w * 9 + w * w * 9)
                                         : 2 * px * (inp * w + w * w * 9 + w * out)
                if inp != out || (b == 0 && i > 0) { total += 2 * px * inp * out }
                inp = out
            }
        }
        return total + 2 * inp * classes
    }

    /// Trainable parameters (weights, biases, BN scales and shifts; not running statistics) of the model built from
    /// this config, without building it.
    public var parameterCount: Int {
        let k = stem == .cifar ? 3 : 7
        var total = 3 * stemWidth * k * k + 2 * stemWidth
        var inp = stemWidth
        for (i, (n, w)) in zip(layers, channels).enumerated() {
            for b in 0..<n {
                let out = block == .basic ? w : 4 * w
                total += block == .basic ? inp * w * 9 + w * w * 9 + 2 * (2 * w)
                                         : inp * w + w * w * 9 + w * out + 2 * (2 * w + out)
                total += Self.attentionParameters(attention, channels: out)
                if (b == 0 && i > 0) || inp != out { total += inp * out + 2 * out }
                inp = out
            }
        }
        return total + (classes > 0 ? inp * classes + classes : 0)
    }

    /// Parameters of one block's attention module on `c` channels: SE's two biased 1×1 convs, or CBAM's two
    /// unbiased ones and its 7×7 spatial conv with BN.
    static func attentionParameters(_ kind: AttentionKind, channels c: Int) -> Int {
        switch kind {
        case .none: return 0
        case .se:
            let rd = makeDivisible(Double(c) / 16, divisor: 8)
            return 2 * c * rd + rd + c
        case .cbam:
            let rd = max(1, Int(Double(c) / 16 + 0.5))
            return 2 * c * rd + 2 * 49 + 2
        }
    }
}

extension ViT.Config {
    /// FLOPs (2 per multiply-add) of the patch embedding, the blocks' projections, MLPs and attention products, and
    /// the head of one forward pass, as the plan's time estimates count them: every block over all tokens (the model
    /// computes the last block's query, projection and MLP for the class token only).
    public var forwardFLOPs: Int {
        let t = tokens, d = dim, hidden = Int(Double(d) * mlpRatio)
        let perBlock = 2 * t * (3 * d * d + d * d + 2 * d * hidden) + 2 * 2 * t * t * d
        return 2 * (t - 1) * 3 * patch * patch * d + depth * perBlock + 2 * d * classes
    }

    /// Trainable parameters of the model built from this config, without building it: patch projection, class token,
    /// position embeddings, the blocks (two LayerNorms, qkv, proj, MLP), the final norm and the head.
    public var parameterCount: Int {
        let d = dim, hidden = Int(Double(d) * mlpRatio)
        let perBlock = 2 * (2 * d) + d * 3 * d + (qkvBias ? 3 * d : 0) + d * d + d + d * hidden + hidden + hidden * d + d
        return 3 * patch * patch * d + d + d + tokens * d + depth * perBlock + 2 * d + (classes > 0 ? d * classes + classes : 0)
    }
}
