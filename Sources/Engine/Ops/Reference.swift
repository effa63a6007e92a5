// Reference kernels: direct convolution and triple-loop matmul, kept to test the fast paths.
import Foundation

public enum Reference {
    /// Direct convolution, the definition: out[n,o,i,j] = b[o] + Σ_c,u,v w[o,c,u,v]·x[n,c,i·s−pt+u,j·s−pl+v].
    public static func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor?, stride: (Int, Int), padding: Padding) -> Tensor {
        let n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3)
        let o = weight.dim(0), kh = weight.dim(2), kw = weight.dim(3)
        let oh = (h + padding.top + padding.bottom - kh) / stride.0 + 1
        let ow = (w + padding.left + padding.right - kw) / stride.1 + 1
        let out = Tensor.zeros([n, o, oh, ow])
        for b in 0..<n { for oc in 0..<o { for i in 0..<oh { for j in 0..<ow {
            var acc = Double(bias?.ptr[oc] ?? 0)
            for ic in 0..<c { for u in 0..<kh { for v in 0..<kw {
                let y = i * stride.0 - padding.top + u, xx = j * stride.1 - padding.left + v
                if y < 0 || y >= h || xx < 0 || xx >= w { continue }
                acc += Double(weight.ptr[((oc * c + ic) * kh + u) * kw + v]) * Double(x.ptr[((b * c + ic) * h + y) * w + xx])
            } } }
            out.ptr[((b * o + oc) * oh + i) * ow + j] = Float(acc)
        } } } }
        return out
    }

    /// Triple-loop product of (M, K) and (K, N) matrices.
    public static func matmul(_ a: Tensor, _ b: Tensor) -> Tensor {
        let m = a.dim(0), k = a.dim(1), n = b.dim(1)
        let out = Tensor.zeros([m, n])
        for i in 0..<m { for j in 0..<n {
            var acc = 0.0
            for p in 0..<k { acc += Double(a.ptr[i * k + p]) * Double(b.ptr[p * n + j]) }
            out.ptr[i * n + j] = Float(acc)
        } }
        return out
    }

    /// Multi-head self-attention composed from primitive ops (linear, permute, slice, batched
    /// matmul, softmax): the definition the fused kernel (`multiHeadSelfAttention`) is tested against.
    public static func multiHeadSelfAttention(_ x: Tensor, heads: Int, qkvWeight: Tensor, qkvBias: Tensor?,
                                              projWeight: Tensor, projBias: Tensor?) -> Tensor {
        let b = x.dim(0), n = x.dim(1), d = x.dim(2)
        precondition(d % heads == 0, "attention: dim \(d) not divisible by \(heads) heads")
        let hd = d / heads
        let qkv = linear(x, weight: qkvWeight, bias: qkvBias)           // (B, N, 3D)
            .reshaped([b, n, 3, heads, hd]).permuted([2, 0, 3, 1, 4])  // (3, B, H, N, hd)
        let q = qkv.sliced(axis: 0, 0..<1).reshaped([b * heads, n, hd])
        let k = qkv.sliced(axis: 0, 1..<2).reshaped([b * heads, n, hd])
        let v = qkv.sliced(axis: 0, 2..<3).reshaped([b * heads, n, hd])
        let scores = Engine.matmul(q, k, transposeB: true) * (1 / Float(hd).squareRoot())  // (BH, N, N)
        let attn = softmax(scores)
        let ctx = Engine.matmul(attn, v)                                                    // (BH, N, hd)
            .reshaped([b, heads, n, hd]).permuted([0, 2, 1, 3]).reshaped([b, n, d])
        return linear(ctx, weight: projWeight, bias: projBias)
    }
}
