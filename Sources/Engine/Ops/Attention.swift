// Multi-head self-attention as timm's `Attention`: qkv projection, fused scaled dot product, proj.
import Foundation

/// Self-attention over tokens x (B, N, D) with `heads` heads.
/// - qkvWeight (3D, D), qkvBias (3D)?, projWeight (D, D), projBias (D).
/// qkv is split as (3, heads, head_dim); scores are scaled by head_dim^-1/2.
/// Runs `fusedSelfAttention` between the two projections (no permute copies); the composite
/// version is `Reference.multiHeadSelfAttention`. `queries` < N returns the first `queries`
/// tokens' outputs only (see `fusedSelfAttention`).
public func multiHeadSelfAttention(_ x: Tensor, heads: Int, qkvWeight: Tensor, qkvBias: Tensor?,
                                   projWeight: Tensor, projBias: Tensor?, queries: Int? = nil) -> Tensor {
    precondition(x.rank == 3, "attention: tokens must be (B, N, D), got \(x.shape)")
    let d = x.dim(2)
    precondition(d % heads == 0, "attention: dim \(d) not divisible by \(heads) heads")
    let qkv = linear(x, weight: qkvWeight, bias: qkvBias)  // (B, N, 3D)
    return linear(fusedSelfAttention(qkv, heads: heads, queries: queries), weight: projWeight, bias: projBias)
}

/// softmax(Q·Kᵀ/√hd)·V per (image, head), read straight from a packed qkv projection
/// (B, N, 3·D) whose last dimension is laid out (3, heads, hd) as timm's; returns (B, N, D)
/// with the heads side by side (the layout the output projection reads).
///
/// Each (image, head) pair is two strided GEMMs around an in-place softmax; pairs are split
/// over the engine threads with single-threaded OpenBLAS. The attention probabilities are
/// kept for the backward pass only when a gradient is recorded.
///
/// `queries` < N attends from the first `queries` tokens only (every token is still a key and
/// a value) and returns (B, queries, D): the rows of the full result that a class-token head
/// reads, at a fraction of the cost; the other tokens' query slots get a zero gradient.
public func fusedSelfAttention(_ qkv: Tensor, heads: Int, queries: Int? = nil) -> Tensor {
    precondition(qkv.rank == 3 && qkv.dim(2) % (3 * heads) == 0,
                 "fusedSelfAttention: qkv must be (B, N, 3·heads·hd), got \(qkv.shape) with \(heads) heads")
    let b = qkv.dim(0), n = qkv.dim(1), d3 = qkv.dim(2), d = d3 / 3, hd = d / heads
    let nq = queries ?? n
    precondition(nq >= 1 && nq <= n, "fusedSelfAttention: \(nq) queries of \(n) tokens")
    let pairs = b * heads
    let scale = 1 / Float(hd).squareRoot()
    FLOPCounter.add(2 * 2 * pairs * nq * n * hd)
    let out = Tensor(uninitialized: [b, nq, d])
    let keep = Autograd.recording && qkv.requiresGrad
    let probs: Tensor? = keep ? Tensor(uninitialized: [pairs, nq, n]) : nil
    let qP = SendPtr(qkv.ptr), oP = SendPtr(out.ptr), pP = probs.map { SendPtr($0.ptr) }
    parallelChunksSerialBLAS(pairs, costPerItem: 4 * nq * n * hd) { _, range in
        let scratch = pP == nil ? Storage(uninitialized: nq * n) : nil
        for pair in range {
            let img = pair / heads, h = pair % heads
            let q = qP.p + img * n * d3 + h * hd, k = q + d, v = q + 2 * d
            let p = pP.map { $0.p + pair * nq * n } ?? scratch!.ptr
            // S = scale · Q Kᵀ (Nq, N), rows softmaxed in place, then O = P V into out's head slot.
            gemm(transB: true, m: nq, n: n, k: hd, alpha: scale, a: q, lda: d3, b: k, ldb: d3, c: p, ldc: n)
            for r in 0..<nq { softmaxRow(p + r * n, p + r * n, n) }
            gemm(m: nq, n: hd, k: n, a: p, lda: n, b: v, ldb: d3, c: oP.p + img * nq * d + h * hd, ldc: d)
        }
        withExtendedLifetime(scratch) {}
    }
    guard let probs else { return out }
    return out.recorded([qkv]) { g in
        // Query slots of tokens past `nq` get no gradient: zero them up front.
        let dqkv = nq < n ? Tensor.zeros(qkv.shape) : Tensor(uninitialized: qkv.shape)
        let gP = SendPtr(g.ptr), dP = SendPtr(dqkv.ptr), prP = SendPtr(probs.ptr)
        parallelChunksSerialBLAS(pairs, costPerItem: 8 * nq * n * hd) { _, range in
            let scratch = Storage(uninitialized: nq * n)
            let ds = scratch.ptr
            for pair in range {
                let img = pair / heads, h = pair % heads
                let off = img * n * d3 + h * hd
                let q = qP.p + off, k = q + d, v = q + 2 * d
                let dq = dP.p + off, dk = dq + d, dv = dq + 2 * d
                let go = gP.p + img * nq * d + h * hd
                let p = prP.p + pair * nq * n
                // dP = dO Vᵀ; dS = P ⊙ (dP − rowsum(dP ⊙ P)) · scale
                gemm(transB: true, m: nq, n: n, k: hd, a: go, lda: d, b: v, ldb: d3, c: ds, ldc: n)
                for r in 0..<nq {
                    let pr = p + r * n, sr = ds + r * n
                    let dot = rowDot(sr, pr, n)
                    for j in 0..<n { sr[j] = pr[j] * (sr[j] - dot) * scale }
                }
                // dQ = dS K, dK = dSᵀ Q, dV = Pᵀ dO, each into its slot of dqkv.
                gemm(m: nq, n: hd, k: n, a: ds, lda: n, b: k, ldb: d3, c: dq, ldc: d3)
                gemm(transA: true, m: n, n: hd, k: nq, a: ds, lda: n, b: q, ldb: d3, c: dk, ldc: d3)
                gemm(transA: true, m: n, n: hd, k: nq, a: p, lda: n, b: go, ldb: d, c: dv, ldc: d3)
            }
        }
        return [dqkv]
    }
}
