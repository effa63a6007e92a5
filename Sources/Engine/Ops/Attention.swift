// Multi-head self-attention as timm's `Attention`: qkv projection, fused scaled dot product, proj.
import Foundation

/// Self-attention over tokens x (B, N, D) with `heads` heads.
/// - qkvWeight (3D, D), qkvBias (3D)?, projWeight (D, D), projBias (D).
/// qkv is split as (3, heads, head_dim); scores are scaled by head_dim^-1/2.
/// Runs `fusedSelfAttention` between the two projections (no permute copies); the composite
/// version is `Reference.multiHeadSelfAttention`.
public func multiHeadSelfAttention(_ x: Tensor, heads: Int, qkvWeight: Tensor, qkvBias: Tensor?,
                                   projWeight: Tensor, projBias: Tensor?) -> Tensor {
    precondition(x.rank == 3, "attention: tokens must be (B, N, D), got \(x.shape)")
    let d = x.dim(2)
    precondition(d % heads == 0, "attention: dim \(d) not divisible by \(heads) heads")
    let qkv = linear(x, weight: qkvWeight, bias: qkvBias)  // (B, N, 3D)
    return linear(fusedSelfAttention(qkv, heads: heads), weight: projWeight, bias: projBias)
}

/// softmax(Q·Kᵀ/√hd)·V per (image, head), read straight from a packed qkv projection
/// (B, N, 3·D) whose last dimension is laid out (3, heads, hd) as timm's; returns (B, N, D)
/// with the heads side by side (the layout the output projection reads).
///
/// Each (image, head) pair is two strided GEMMs around an in-place softmax; pairs are split
/// over the engine threads with single-threaded OpenBLAS. The attention probabilities are
/// kept for the backward pass only when a gradient is recorded.
public func fusedSelfAttention(_ qkv: Tensor, heads: Int) -> Tensor {
    precondition(qkv.rank == 3 && qkv.dim(2) % (3 * heads) == 0,
                 "fusedSelfAttention: qkv must be (B, N, 3·heads·hd), got \(qkv.shape) with \(heads) heads")
    let n = qkv.dim(1), d3 = qkv.dim(2), d = d3 / 3
    let layout = AttentionLayout(images: qkv.dim(0), queries: n, tokens: n, heads: heads, dim: d,
                                 qImage: n * d3, qRow: d3, kOffset: d, kvImage: n * d3, kvRow: d3)
    return attend(layout, q: qkv, kv: qkv)
}

/// Attention from separate queries q (B, Nq, D) over keys and values kv (B, N, 2·D), laid out
/// (2, heads, hd) as the last two thirds of timm's qkv; returns (B, Nq, D). With Nq = 1 and q
/// the class token's query, this is the class token's row of `fusedSelfAttention` without the
/// other tokens' queries.
public func fusedAttention(q: Tensor, kv: Tensor, heads: Int) -> Tensor {
    precondition(q.rank == 3 && kv.rank == 3 && q.dim(0) == kv.dim(0) && kv.dim(2) == 2 * q.dim(2) && q.dim(2) % heads == 0,
                 "fusedAttention: q (B, Nq, heads·hd) and kv (B, N, 2·heads·hd) expected, got \(q.shape), \(kv.shape) with \(heads) heads")
    let nq = q.dim(1), n = kv.dim(1), d = q.dim(2)
    let layout = AttentionLayout(images: q.dim(0), queries: nq, tokens: n, heads: heads, dim: d,
                                 qImage: nq * d, qRow: d, kOffset: 0, kvImage: n * 2 * d, kvRow: 2 * d)
    return attend(layout, q: q, kv: kv)
}

/// Where an attention's operands lie: per image, Q rows at `qImage`·img with row stride `qRow`;
/// K at `kOffset` + `kvImage`·img of its tensor with row stride `kvRow`, V `dim` floats after K;
/// each head's hd columns side by side.
private struct AttentionLayout {
    let images: Int, queries: Int, tokens: Int, heads: Int, dim: Int
    let qImage: Int, qRow: Int, kOffset: Int, kvImage: Int, kvRow: Int
    var hd: Int { dim / heads }
}

/// The attention of `layout` (q and kv may be one tensor); output (B, Nq, D).
private func attend(_ L: AttentionLayout, q: Tensor, kv: Tensor) -> Tensor {
    let nq = L.queries, n = L.tokens, d = L.dim, hd = L.hd, heads = L.heads
    let pairs = L.images * heads
    let scale = 1 / Float(hd).squareRoot()
    FLOPCounter.add(2 * 2 * pairs * nq * n * hd)
    let out = Tensor(uninitialized: [L.images, nq, d])
    let same = q === kv
    let keep = Autograd.recording && (q.requiresGrad || kv.requiresGrad)
    let probs: Tensor? = keep ? Tensor(uninitialized: [pairs, nq, n]) : nil
    let qP = SendPtr(q.ptr), kvP = SendPtr(kv.ptr), oP = SendPtr(out.ptr), pP = probs.map { SendPtr($0.ptr) }
    parallelChunksSerialBLAS(pairs, costPerItem: 4 * nq * n * hd) { _, range in
        let scratch = pP == nil ? Storage(uninitialized: nq * n) : nil
        for pair in range {
            let img = pair / heads, h = pair % heads
            let qh = qP.p + img * L.qImage + h * hd
            let k = kvP.p + img * L.kvImage + L.kOffset + h * hd, v = k + d
            let p = pP.map { $0.p + pair * nq * n } ?? scratch!.ptr
            // S = scale · Q Kᵀ (Nq, N), rows softmaxed in place, then O = P V into out's head slot.
            // Attention keeps the 256-bit softmax on every kernel path (`KernelISA`): with the AVX-512
            // rows it measured 0.97× (8×65×384, scripts/kernel-timings), its short rows beside GEMMs.
            gemm(transB: true, m: nq, n: n, k: hd, alpha: scale, a: qh, lda: L.qRow, b: k, ldb: L.kvRow, c: p, ldc: n)
            for r in 0..<nq { softmaxRow(p + r * n, p + r * n, n) }
            gemm(m: nq, n: hd, k: n, a: p, lda: n, b: v, ldb: L.kvRow, c: oP.p + img * nq * d + h * hd, ldc: d)
        }
        withExtendedLifetime(scratch) {}
    }
    guard let probs else { return out }
    return out.recorded(same ? [q] : [q, kv]) { dOut in
        let dq = Tensor(uninitialized: q.shape)
        let dkv = same ? dq : Tensor(uninitialized: kv.shape)
        let dOutP = SendPtr(dOut.ptr), dqP = SendPtr(dq.ptr), dkvP = SendPtr(dkv.ptr), prP = SendPtr(probs.ptr)
        parallelChunksSerialBLAS(pairs, costPerItem: 8 * nq * n * hd) { _, range in
            let scratch = Storage(uninitialized: nq * n)
            let ds = scratch.ptr
            for pair in range {
                let img = pair / heads, h = pair % heads
                let qOff = img * L.qImage + h * hd, kOff = img * L.kvImage + L.kOffset + h * hd
                let qh = qP.p + qOff, k = kvP.p + kOff, v = k + d
                let dqh = dqP.p + qOff, dk = dkvP.p + kOff, dv = dk + d
                let dOutHead = dOutP.p + img * nq * d + h * hd
                let p = prP.p + pair * nq * n
                // dP = dO Vᵀ; dS = P ⊙ (dP − rowsum(dP ⊙ P)) · scale
                gemm(transB: true, m: nq, n: n, k: hd, a: dOutHead, lda: d, b: v, ldb: L.kvRow, c: ds, ldc: n)
                for r in 0..<nq {
                    let pr = p + r * n, sr = ds + r * n
                    let dot = rowDot(sr, pr, n)
                    for j in 0..<n { sr[j] = pr[j] * (sr[j] - dot) * scale }
                }
                // dQ = dS K, dK = dSᵀ Q, dV = Pᵀ dO, each into its slot.
                gemm(m: nq, n: hd, k: n, a: ds, lda: n, b: k, ldb: L.kvRow, c: dqh, ldc: L.qRow)
                gemm(transA: true, m: n, n: hd, k: nq, a: ds, lda: n, b: qh, ldb: L.qRow, c: dk, ldc: L.kvRow)
                gemm(transA: true, m: n, n: hd, k: nq, a: p, lda: n, b: dOutHead, ldb: d, c: dv, ldc: L.kvRow)
            }
        }
        return same ? [dq] : [dq, dkv]
    }
}
