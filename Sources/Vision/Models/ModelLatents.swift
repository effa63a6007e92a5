// Named intermediate feature maps of ResNet and ViT (timm-like names), as the Fourier analysis of latents reads them.
import Engine

/// What produced a latent (docs/methods.md §7.2, "Latents").
public enum LatentKind: String, Codable, Sendable, CaseIterable {
    /// ResNet stem output (conv, BN, ReLU, and max-pool for the ImageNet stem).
    case stem
    /// A residual block that keeps the resolution.
    case block
    /// The first block of a stage that downsamples (stride 2).
    case downsample
    /// ViT patch embedding plus class token and position embedding.
    case embed
    /// ViT sublayer x + Attn(LN(x)).
    case attention
    /// ViT sublayer x + MLP(LN(x)).
    case mlp

    /// Whether Park & Kim shade this kind in the depth plot (downsampling blocks, MSA sublayers).
    public var isShaded: Bool { self == .downsample || self == .attention }
}

/// One latent: its name (`stem`, `layer1.0`, `embed`, `blocks.0.attn`, …), kind and value (B, C, H, W).
public struct NamedLatent {
    public let name: String
    public let kind: LatentKind
    public let value: Tensor
    /// A latent `value` of shape (B, C, H, W) named `name`.
    public init(name: String, kind: LatentKind, value: Tensor) {
        self.name = name; self.kind = kind; self.value = value
    }
}

/// A classifier whose intermediate feature maps can be read for analysis.
public protocol LatentProviding: Classifier {
    /// The latents of input `x` (normalised, (B, 3, H, W)) in depth order, head excluded.
    func latents(_ x: Tensor) throws -> [NamedLatent]
}

extension ResNet: LatentProviding {
    /// The stem output, then every residual block's output (`layerS.i`); the head is dropped.
    public func latents(_ x: Tensor) throws -> [NamedLatent] {
        let outs = blockOutputs(x)
        var result = [NamedLatent(name: "stem", kind: .stem, value: outs[0])]
        var k = 1
        for (s, blocks) in stages.enumerated() {
            for i in blocks.indices {
                result.append(NamedLatent(name: "layer\(s + 1).\(i)", kind: i == 0 && s > 0 ? .downsample : .block, value: outs[k]))
                k += 1
            }
        }
        return result
    }
}

extension ViT: LatentProviding {
    /// The embedding, then each attention and MLP sublayer (`blocks.i.attn`, `blocks.i.mlp`), with
    /// the class token removed and the N tokens laid out as a √N×√N grid: (B, D, √N, √N).
    public func latents(_ x: Tensor) throws -> [NamedLatent] {
        let outs = sublayerOutputs(x)
        var result: [NamedLatent] = []
        for (k, t) in outs.enumerated() {
            let grid = try ViT.tokenGrid(t)
            if k == 0 {
                result.append(NamedLatent(name: "embed", kind: .embed, value: grid))
            } else {
                let block = (k - 1) / 2, isAttention = k % 2 == 1
                result.append(NamedLatent(name: "blocks.\(block).\(isAttention ? "attn" : "mlp")",
                                          kind: isAttention ? .attention : .mlp, value: grid))
            }
        }
        return result
    }

    /// Token states (B, 1+N, D) without the class token as a (B, D, √N, √N) map; token n is
    /// grid cell (n / √N, n % √N), the patch order of the embedding.
    public static func tokenGrid(_ tokens: Tensor) throws -> Tensor {
        guard tokens.rank == 3, tokens.dim(1) >= 2 else {
            throw AnalysisError("token states have shape \(tokens.shape); expected (B, 1+N, D) with a class token and N ≥ 1")
        }
        let (b, n, d) = (tokens.dim(0), tokens.dim(1) - 1, tokens.dim(2))
        let side = Int(Double(n).squareRoot().rounded())
        guard side * side == n else {
            throw AnalysisError("\(n) patch tokens do not form a square grid; the Fourier analysis needs N = side²")
        }
        return tokens.sliced(axis: 1, 1..<(n + 1)).transposed(1, 2).reshaped([b, d, side, side])
    }
}
