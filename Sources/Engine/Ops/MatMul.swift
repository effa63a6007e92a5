// Matrix products on OpenBLAS: gemm wrapper, matmul (batched), linear; with gradients.
import CBLAS
import CKernels
import Dispatch

/// C = alpha·op(A)·op(B) + beta·C, row-major (`cblas_sgemm`, single-threaded OpenBLAS).
/// A is (M, K) after op, B is (K, N) after op, C is (M, N).
///
/// With `threads` > 1 and enough work (≥ 2²¹ multiply-adds) the larger of M and N is split
/// into one contiguous block per thread, each block one single-threaded sgemm (the split
/// depends only on the shape and `threads`, so results are deterministic for a setting).
/// Callers already running in parallel pass 1 (the default).
public func gemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
                 alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                 b: UnsafePointer<Float>, ldb: Int,
                 beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int, threads: Int = 1) {
    if m == 0 || n == 0 { return }
    let parts = Swift.min(threads, Swift.max(m, n) / 16)
    if parts <= 1 || m &* n &* k < 1 << 21 {
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
        return
    }
    let splitM = m >= n
    let total = splitM ? m : n
    let aP = SendPtr(UnsafeMutablePointer(mutating: a)), bP = SendPtr(UnsafeMutablePointer(mutating: b)), cP = SendPtr(c)
    DispatchQueue.concurrentPerform(iterations: parts) { t in
        // Block boundaries on multiples of 16 rows/columns (the kernels' tile sizes divide 16).
        let lo = (total * t / parts) & ~15, hi = t == parts - 1 ? total : (total * (t + 1) / parts) & ~15
        if lo >= hi { return }
        if splitM {
            let aBlock = transA ? aP.p + lo : aP.p + lo * lda
            cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                        Int32(hi - lo), Int32(n), Int32(k), alpha, aBlock, Int32(lda), bP.p, Int32(ldb), beta,
                        cP.p + lo * ldc, Int32(ldc))
        } else {
            let bBlock = transB ? bP.p + lo * ldb : bP.p + lo
            cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                        Int32(m), Int32(hi - lo), Int32(k), alpha, aP.p, Int32(lda), bBlock, Int32(ldb), beta,
                        cP.p + lo, Int32(ldc))
        }
    }
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
        gemm(transB: transposeB, m: batch * m, n: n, k: k, a: a.ptr, lda: k, b: b.ptr, ldb: ldb, c: out.ptr, ldc: n,
             threads: Threads.count)
    } else {
        for i in 0..<batch {
            gemm(transB: transposeB, m: m, n: n, k: k, a: a.ptr + i * m * k, lda: k,
                 b: b.ptr + i * k * n, ldb: ldb, c: out.ptr + i * m * n, ldc: n)
        }
    }
    return out.recorded([a, b]) { dOut in
        var da: Tensor? = nil, db: Tensor? = nil
        if a.requiresGrad {
            // dA = dC · Bᵀ  (or dC · B when B was transposed)
            let t = Tensor(uninitialized: a.shape)
            if batchB == 1 {
                gemm(transB: !transposeB, m: batch * m, n: k, k: n, a: dOut.ptr, lda: n, b: b.ptr, ldb: ldb, c: t.ptr, ldc: k,
                     threads: Threads.count)
            } else {
                for i in 0..<batch {
                    gemm(transB: !transposeB, m: m, n: k, k: n, a: dOut.ptr + i * m * n, lda: n,
                         b: b.ptr + i * k * n, ldb: ldb, c: t.ptr + i * m * k, ldc: k)
                }
            }
            da = t
        }
        if b.requiresGrad {
            let t = Tensor(uninitialized: b.shape)
            if batchB == 1 {
                // dB = Aᵀ · dC summed over the batch (folded into M), or its transpose.
                if transposeB {
                    gemm(transA: true, m: n, n: k, k: batch * m, a: dOut.ptr, lda: n, b: a.ptr, ldb: k, c: t.ptr, ldc: k,
                         threads: Threads.count)
                } else {
                    gemm(transA: true, m: k, n: n, k: batch * m, a: a.ptr, lda: k, b: dOut.ptr, ldb: n, c: t.ptr, ldc: n,
                         threads: Threads.count)
                }
            } else {
                for i in 0..<batch {
                    if transposeB {
                        gemm(transA: true, m: n, n: k, k: m, a: dOut.ptr + i * m * n, lda: n, b: a.ptr + i * m * k, ldb: k,
                             c: t.ptr + i * k * n, ldc: k)
                    } else {
                        gemm(transA: true, m: k, n: n, k: m, a: a.ptr + i * m * k, lda: k, b: dOut.ptr + i * m * n, ldb: n,
                             c: t.ptr + i * k * n, ldc: n)
                    }
                }
            }
            db = t
        }
        return [da, db]
    }
}

/// x · Wᵀ + b, with x (…, in), weight (out, in), bias (out).
///
/// One GEMM on (rows, in) accumulating onto the bias rows, and one graph node whose backward
/// gives dx, dW and db directly (no reshape or bias nodes, no extra copy).
public func linear(_ x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
    linearForward(x, weight: weight, bias: bias, gelu: false)
}

/// GELU(x · Wᵀ + b) in one op: the activation is one pass over the GEMM's output (in place when
/// no gradient is recorded), and only the pre-activation is kept for the backward pass.
public func linearGELU(_ x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
    linearForward(x, weight: weight, bias: bias, gelu: true)
}

private func linearForward(_ x: Tensor, weight: Tensor, bias: Tensor?, gelu: Bool) -> Tensor {
    precondition(x.rank >= 1 && weight.rank == 2 && x.dim(-1) == weight.dim(1),
                 "linear: input \(x.shape) does not match weight \(weight.shape)")
    let inF = weight.dim(1), outF = weight.dim(0), rows = x.count / Swift.max(inF, 1)
    precondition(bias == nil || bias!.count == outF, "linear: bias \(bias!.shape) for \(outF) outputs")
    FLOPCounter.add(2 * rows * outF * inF)
    let outShape = Array(x.shape.dropLast()) + [outF]
    let recording = Autograd.recording && (x.requiresGrad || weight.requiresGrad || (bias?.requiresGrad ?? false))
    // With GELU and a gradient to record, `pre` ends up holding GELU′ of the pre-activation for
    // the backward pass; otherwise it is the output.
    // The bias is written first and the GEMM accumulates onto it (beta 1): OpenBLAS then skips
    // its own pass that zeroes C, and no pass adds the bias afterwards.
    let pre = Tensor(uninitialized: outShape)
    let pp = SendPtr(pre.ptr)
    if let bias {
        let bp = SendPtr(bias.ptr)
        parallelFor(rows, costPerItem: outF) { lo, hi in
            for r in lo..<hi { (pp.p + r * outF).update(from: bp.p, count: outF) }
        }
    }
    gemm(transB: true, m: rows, n: outF, k: inF, a: x.ptr, lda: inF, b: weight.ptr, ldb: inF,
         beta: bias == nil ? 0 : 1, c: pre.ptr, ldc: outF, threads: Threads.count)
    let out = gelu && recording ? Tensor(uninitialized: outShape) : pre
    let isa = KernelISA.current
    if gelu {
        if recording {
            let op = SendPtr(out.ptr)
            // GELU and its derivative share their erf and exponential: the derivative is computed
            // here, over the pre-activation (which is not needed again), and the backward pass is
            // one multiplication.
            parallelFor(rows * outF, costPerItem: 24) { lo, hi in
                let q = pp.p
                #if arch(x86_64)
                if isa == .avx512 { return lk512_gelu_and_derivative(q + lo, op.p + lo, hi - lo) }
                #endif
                for i in lo..<hi {
                    let (y, dy) = fastGELUAndDerivative(q[i])
                    op[i] = y; q[i] = dy
                }
            }
        } else {
            // In place the loop reads and writes one pointer: with two pointers that alias,
            // LLVM's runtime overlap check would send every element down the scalar loop.
            parallelFor(rows * outF, costPerItem: 20) { lo, hi in
                let q = pp.p
                #if arch(x86_64)
                if isa == .avx512 { return lk512_gelu(q + lo, q + lo, hi - lo) }
                #endif
                for i in lo..<hi { q[i] = fastGELU(q[i]) }
            }
        }
    }
    guard recording else { return out }
    var inputs = [x, weight]
    if let bias { inputs.append(bias) }
    return out.recorded(inputs) { dOut in
        var dy = dOut
        if gelu {
            // dh = dOut · GELU'(h) (kept in `pre`), into a fresh buffer (dOut may be shared with other consumers).
            let t = Tensor(uninitialized: outShape)
            let tp = SendPtr(t.ptr), dOutP = SendPtr(dOut.ptr), slopeP = SendPtr(pre.ptr)
            // One multiply per element streamed from memory: the 256-bit loop on every path (not timed
            // alone; the like-shaped SGD update measured 0.97–1.00× at 512 bits).
            parallelFor(rows * outF, costPerItem: 2) { lo, hi in
                for i in lo..<hi { tp[i] = dOutP[i] * slopeP[i] }
            }
            dy = t
        }
        return linearBackward(x: x, weight: weight, bias: bias, dy: dy, rows: rows, inF: inF, outF: outF)
    }
}

/// [dx, dW, db?] of y = x·Wᵀ + b from dy (rows, out).
private func linearBackward(x: Tensor, weight: Tensor, bias: Tensor?, dy: Tensor, rows: Int, inF: Int, outF: Int) -> [Tensor?] {
    var dx: Tensor? = nil, dW: Tensor? = nil, db: Tensor? = nil
    if x.requiresGrad {
        let t = Tensor(uninitialized: x.shape)
        gemm(m: rows, n: inF, k: outF, a: dy.ptr, lda: outF, b: weight.ptr, ldb: inF, c: t.ptr, ldc: inF, threads: Threads.count)
        dx = t
    }
    if weight.requiresGrad {
        let t = Tensor(uninitialized: weight.shape)
        gemm(transA: true, m: outF, n: inF, k: rows, a: dy.ptr, lda: outF, b: x.ptr, ldb: inF, c: t.ptr, ldc: inF,
             threads: Threads.count)
        dW = t
    }
    if let bias, bias.requiresGrad {
        db = columnSums(dy.ptr, rows: rows, cols: outF).reshaped(bias.shape).detached()
    }
    var result: [Tensor?] = [dx, dW]
    if bias != nil { result.append(db) }
    return result
}

/// Σ over rows of a (rows, cols) matrix. Columns are split over threads in chunks (a multiple
/// of 8 wide); each chunk walks the rows in order, adding four at a time, (r0 + r1) + (r2 + r3),
/// so the reads stream and the result does not depend on the thread count.
func columnSums(_ m: UnsafeMutablePointer<Float>, rows: Int, cols: Int) -> Tensor {
    let out = Tensor.zeros([cols])
    let op = SendPtr(out.ptr), mp = SendPtr(m)
    let units = (cols + 7) / 8
    parallelFor(units, costPerItem: rows * 8) { lo, hi in
        let c0 = lo * 8, w = Swift.min(cols, hi * 8) - c0
        let o = op.p + c0
        var r = 0
        while r + 4 <= rows {
            let s0 = mp.p + r * cols + c0, s1 = s0 + cols, s2 = s1 + cols, s3 = s2 + cols
            for j in 0..<w { o[j] += (s0[j] + s1[j]) + (s2[j] + s3[j]) }
            r += 4
        }
        while r < rows {
            let s = mp.p + r * cols + c0
            for j in 0..<w { o[j] += s[j] }
            r += 1
        }
    }
    return out
}
