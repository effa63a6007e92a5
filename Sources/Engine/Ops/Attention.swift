// Multi-head self-attention as timm's `Attention`: qkv projection, scaled dot product, proj.
import Foundation

/// Self-attention over tokens x (B, N, D) with `heads` heads.
/// - qkvWeight (3D, D), qkvBias (3D)?, projWeight (D, D), projBias (D).
/// qkv is split as (3, heads, head_dim); scores are scaled by head_dim^-1/2.
public func multiHeadSelfAttention(_ x: Tensor, heads: Int, qkvWeight: Tensor, qkvBias: Tensor?,
                                   projWeight: Tensor, projBias: Tensor?) -> Tensor {
    let b = x.dim(0), n = x.dim(1), d = x.dim(2)
    precondition(d % heads == 0, "attention: dim \(d) not divisible by \(heads) heads")
    let hd = d / heads
    let qkv = linear(x, weight: qkvWeight, bias: qkvBias)           // (B, N, 3D)
        .reshaped([b, n, 3, heads, hd]).permuted([2, 0, 3, 1, 4])  // (3, B, H, N, hd)
    let q = qkv.sliced(axis: 0, 0..<1).reshaped([b * heads, n, hd])
    let k = qkv.sliced(axis: 0, 1..<2).reshaped([b * heads, n, hd])
    let v = qkv.sliced(axis: 0, 2..<3).reshaped([b * heads, n, hd])
    let scores = matmul(q, k, transposeB: true) * (1 / Float(hd).squareRoot())  // (BH, N, N)
    let attn = softmax(scores)
    let ctx = matmul(attn, v)                                                    // (BH, N, hd)
        .reshaped([b, heads, n, hd]).permuted([0, 2, 1, 3]).reshaped([b, n, d])
    return linear(ctx, weight: projWeight, bias: projBias)
}
