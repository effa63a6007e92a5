// Matrix products on OpenBLAS: gemm wrapper, matmul (batched), linear; with gradients.
import CBLAS

/// C = alpha·op(A)·op(B) + beta·C, row-major (`cblas_sgemm`).
/// A is (M, K) after op, B is (K, N) after op, C is (M, N).
@inline(__always)
public func gemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
                 alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                 b: UnsafePointer<Float>, ldb: Int,
                 beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
    if m == 0 || n == 0 { return }
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// Matrix product over the last two dimensions, batched over leading ones (which must match,
/// or one side is 2-D). (…, M, K) · (…, K, N) → (…, M, N).
public func matmul(_ a: Tensor, _ b: Tensor, transposeB: Bool = false) -> Tensor {
    precondition(a.rank >= 2 && b.rank >= 2, "matmul needs rank ≥ 2, got \(a.shape) and \(b.shape)")
    let m = a.dim(-2), k = a.dim(-1)
    let kb = transposeB ? b.dim(-1) : b.dim(-2), n = transposeB ? b.dim(-2) : b.dim(-1)
    precondition(k == kb, "matmul: inner dimensions differ, \(a.shape) · \(b.shape)\(transposeB ? "ᵀ" : "")")
    let batchA = a.count / (m * k), batchB = b.count / (k * n)
    precondition(batchA == batchB || batchB == 1, "matmul: batch dimensions differ, \(a.shape) · \(b.shape)")
    let batch = batchA
    FLOPCounter.add(2 * batch * m * n * k)
    let outShape = Array(a.shape.dropLast(2)) + [m, n]
    let out = Tensor(uninitialized: outShape)
    let ldb = transposeB ? k : n
    if batchB == 1 {
        // Fold the batch into M: (batch·M, K) · (K, N).
        gemm(transB: transposeB, m: batch * m, n: n, k: k, a: a.ptr, lda: k, b: b.ptr, ldb: ldb, c: out.ptr, ldc: n)
    } else {
        for i in 0..<batch {
            gemm(transB: transposeB, m: m, n: n, k: k, a: a.ptr + i * m * k, lda: k,
                 b: b.ptr + i * k * n, ldb: ldb, c: out.ptr + i * m * n, ldc: n)
        }
    }
    return out.recorded([a, b]) { g in
        var ga: Tensor? = nil, gb: Tensor? = nil
        if a.requiresGrad {
            // dA = dC · Bᵀ  (or dC · B when B was transposed)
            let t = Tensor(uninitialized: a.shape)
            if batchB == 1 {
                gemm(transB: !transposeB, m: batch * m, n: k, k: n, a: g.ptr, lda: n, b: b.ptr, ldb: ldb, c: t.ptr, ldc: k)
            } else {
                for i in 0..<batch {
                    gemm(transB: !transposeB, m: m, n: k, k: n, a: g.ptr + i * m * n, lda: n,
                         b: b.ptr + i * k * n, ldb: ldb, c: t.ptr + i * m * k, ldc: k)
                }
            }
            ga = t
        }
        if b.requiresGrad {
            let t = Tensor(uninitialized: b.shape)
            if batchB == 1 {
                // dB = Aᵀ · dC summed over the batch (folded into M), or its transpose.
                if transposeB {
                    gemm(transA: true, m: n, n: k, k: batch * m, a: g.ptr, lda: n, b: a.ptr, ldb: k, c: t.ptr, ldc: k)
                } else {
                    gemm(transA: true, m: k, n: n, k: batch * m, a: a.ptr, lda: k, b: g.ptr, ldb: n, c: t.ptr, ldc: n)
                }
            } else {
                for i in 0..<batch {
                    if transposeB {
                        gemm(transA: true, m: n, n: k, k: m, a: g.ptr + i * m * n, lda: n, b: a.ptr + i * m * k, ldb: k,
                             c: t.ptr + i * k * n, ldc: k)
                    } else {
                        gemm(transA: true, m: k, n: n, k: m, a: a.ptr + i * m * k, lda: k, b: g.ptr + i * m * n, ldb: n,
                             c: t.ptr + i * k * n, ldc: n)
                    }
                }
            }
            gb = t
        }
        return [ga, gb]
    }
}

/// x · Wᵀ + b, with x (…, in), weight (out, in), bias (out).
public func linear(_ x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
    precondition(x.dim(-1) == weight.dim(1), "linear: input \(x.shape) does not match weight \(weight.shape)")
    let flat = x.reshaped([-1, x.dim(-1)])
    var y = matmul(flat, weight, transposeB: true)
    if let bias { y = addBias(y, bias) }
    return y.reshaped(Array(x.shape.dropLast()) + [weight.dim(0)])
}

/// Adds a bias over the last dimension: (rows, n) + (n).
func addBias(_ y: Tensor, _ bias: Tensor) -> Tensor {
    let n = bias.count, rows = y.count / n
    let out = Tensor(uninitialized: y.shape)
    for r in 0..<rows {
        let o = out.ptr + r * n, s = y.ptr + r * n
        for j in 0..<n { o[j] = s[j] + bias.ptr[j] }
    }
    return out.recorded([y, bias]) { g in
        let gb = Tensor.zeros(bias.shape)
        for r in 0..<rows {
            let s = g.ptr + r * n
            for j in 0..<n { gb.ptr[j] += s[j] }
        }
        return [g, gb]
    }
}
