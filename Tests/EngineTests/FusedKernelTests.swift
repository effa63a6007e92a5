// Fused fast paths (attention, linear+GELU, layer norm, fast exp/erf) against composite references.
import Engine
import Foundation
import Testing

@Suite(.serialized) struct FusedKernelTests {
    static func rand(_ shape: [Int], _ seed: UInt64, std: Float = 1) -> Tensor {
        var rng = RandomGenerator(seed: seed)
        return Tensor.randn(shape, std: std, rng: &rng)
    }

    /// Runs `f` on fresh parameter copies of `inputs`, backpropagates `gOut`, returns output and gradients.
    static func run(_ inputs: [Tensor], _ gOut: Tensor, _ f: ([Tensor]) -> Tensor) -> (Tensor, [Tensor?]) {
        let ps = inputs.map { param($0) }
        let out = f(ps)
        out.backward(gOut.reshaped(out.shape).detached())
        return (out, ps.map(\.grad))
    }

    /// Fused attention (forward and all five gradients) against the composite reference, on odd
    /// shapes (7 tokens, head dim 5, 3 heads, batch 3), with 1 and 2 threads.
    @Test(arguments: [1, 2])
    func attentionMatchesComposite(threads: Int) {
        let saved = Threads.count
        Threads.set(threads)
        defer { Threads.set(saved) }
        let b = 3, n = 7, heads = 3, d = 15
        let inputs = [Self.rand([b, n, d], 1), Self.rand([3 * d, d], 2, std: 0.4), Self.rand([3 * d], 3),
                      Self.rand([d, d], 4, std: 0.4), Self.rand([d], 5)]
        let gOut = Self.rand([b, n, d], 6)
        let (fast, fg) = Self.run(inputs, gOut) {
            multiHeadSelfAttention($0[0], heads: heads, qkvWeight: $0[1], qkvBias: $0[2], projWeight: $0[3], projBias: $0[4])
        }
        let (ref, rg) = Self.run(inputs, gOut) {
            Reference.multiHeadSelfAttention($0[0], heads: heads, qkvWeight: $0[1], qkvBias: $0[2], projWeight: $0[3], projBias: $0[4])
        }
        expectClose(fast, ref, "attention out")
        for (i, name) in ["x", "qkv.weight", "qkv.bias", "proj.weight", "proj.bias"].enumerated() {
            #expect(fg[i] != nil, "fused attention gave no gradient for \(name)")
            if let r = rg[i] { expectClose(fg[i], r, rtol: 1e-4, atol: 1e-5, "grad \(name)") }
        }
        // Without recording, the same output (the probabilities are not kept).
        let plain = Autograd.noGrad {
            multiHeadSelfAttention(inputs[0], heads: heads, qkvWeight: inputs[1], qkvBias: inputs[2],
                                   projWeight: inputs[3], projBias: inputs[4])
        }
        #expect(plain.scalars == fast.scalars)
    }

    /// `fusedAttention(q:kv:)` with the first `queries` tokens' queries: the output and the
    /// gradients of x and the qkv projection equal those of `fusedSelfAttention` with the loss on
    /// those rows only (1 and 3 of 7 tokens; 1 and 2 threads).
    @Test(arguments: [(1, 1), (3, 1), (1, 2), (3, 2)])
    func attentionFromLeadingQueries(queries: Int, threads: Int) {
        let saved = Threads.count
        Threads.set(threads)
        defer { Threads.set(saved) }
        let b = 3, n = 7, heads = 3, d = 15
        let inputs = [Self.rand([b, n, d], 11), Self.rand([3 * d, d], 12, std: 0.4), Self.rand([3 * d], 13)]
        let gOut = Self.rand([b, queries, d], 16)
        let (fast, fg) = Self.run(inputs, gOut) {
            let w = $0[1], bias = $0[2]
            let q = linear($0[0].sliced(axis: 1, 0..<queries), weight: w.sliced(axis: 0, 0..<d), bias: bias.sliced(axis: 0, 0..<d))
            let kv = linear($0[0], weight: w.sliced(axis: 0, d..<3 * d), bias: bias.sliced(axis: 0, d..<3 * d))
            return fusedAttention(q: q, kv: kv, heads: heads)
        }
        #expect(fast.shape == [b, queries, d])
        let (ref, rg) = Self.run(inputs, gOut) {
            fusedSelfAttention(linear($0[0], weight: $0[1], bias: $0[2]), heads: heads).sliced(axis: 1, 0..<queries)
        }
        expectClose(fast, ref, "leading-query attention out")
        for (i, name) in ["x", "qkv.weight", "qkv.bias"].enumerated() {
            expectClose(fg[i], rg[i]!, rtol: 1e-4, atol: 1e-5, "leading-query grad \(name)")
        }
    }

    @Test func attentionWithoutQKVBias() {
        let x = Self.rand([2, 5, 8], 7), qw = Self.rand([24, 8], 8, std: 0.4), pw = Self.rand([8, 8], 9, std: 0.4)
        let gOut = Self.rand([2, 5, 8], 10)
        let (fast, fg) = Self.run([x, qw, pw], gOut) {
            multiHeadSelfAttention($0[0], heads: 2, qkvWeight: $0[1], qkvBias: nil, projWeight: $0[2], projBias: nil)
        }
        let (ref, rg) = Self.run([x, qw, pw], gOut) {
            Reference.multiHeadSelfAttention($0[0], heads: 2, qkvWeight: $0[1], qkvBias: nil, projWeight: $0[2], projBias: nil)
        }
        expectClose(fast, ref, "attention out")
        for i in 0..<3 { expectClose(fg[i], rg[i]!, "grad \(i)") }
    }

    /// linear and linearGELU (one node each) against matmul + broadcast add (+ gelu), with gradients.
    @Test func linearAndLinearGELUMatchComposite() {
        let x = Self.rand([2, 3, 7], 11), w = Self.rand([9, 7], 12, std: 0.5), bias = Self.rand([9], 13)
        let gOut = Self.rand([2, 3, 9], 14)
        func composite(_ t: [Tensor], _ act: Bool) -> Tensor {
            let y = matmul(t[0].reshaped([6, 7]), t[1], transposeB: true) + t[2]
            return (act ? gelu(y) : y).reshaped([2, 3, 9])
        }
        for act in [false, true] {
            let (fast, fg) = Self.run([x, w, bias], gOut) {
                act ? linearGELU($0[0], weight: $0[1], bias: $0[2]) : linear($0[0], weight: $0[1], bias: $0[2])
            }
            let (ref, rg) = Self.run([x, w, bias], gOut) { composite($0, act) }
            #expect(fast.shape == [2, 3, 9])
            expectClose(fast, ref, "linear(gelu: \(act)) out")
            for i in 0..<3 { expectClose(fg[i], rg[i]!, "linear(gelu: \(act)) grad \(i)") }
        }
        // No bias, GELU, inference (in-place activation of the GEMM output).
        let noBias = Autograd.noGrad { linearGELU(x, weight: w, bias: nil) }
        let refNoBias = Autograd.noGrad { gelu(matmul(x.reshaped([6, 7]), w, transposeB: true)) }
        expectClose(noBias, refNoBias, "linearGELU without bias")
    }

    /// Layer norm against the definition in Double, forward and gradients, odd width (rows split
    /// over threads, columns in blocks of 64 for dW/db: 70 columns cover both a full and a partial block).
    @Test func layerNormMatchesDefinition() {
        let rows = 5, d = 70
        let x = Self.rand([rows, d], 15, std: 2), w = Self.rand([d], 16), b = Self.rand([d], 17), g = Self.rand([rows, d], 18)
        // Buffers freed after the forward pass are recycled (the pool) before the backward pass runs:
        // the saved statistics must still be alive then.
        let (out, grads) = Self.run([x, w, b], g) { t in
            let y = layerNorm(t[0], weight: t[1], bias: t[2], eps: 1e-6)
            let junk = (0..<4).map { _ in Tensor.full([2 * rows], .nan) }
            withExtendedLifetime(junk) {}
            return y
        }
        var eo = [Float](), edx = [Float](), edw = [Double](repeating: 0, count: d), edb = [Double](repeating: 0, count: d)
        for r in 0..<rows {
            let xs = (0..<d).map { Double(x.ptr[r * d + $0]) }
            let mu = xs.reduce(0, +) / Double(d)
            let v = xs.map { ($0 - mu) * ($0 - mu) }.reduce(0, +) / Double(d)
            let istd = 1 / (v + 1e-6).squareRoot()
            let xh = xs.map { ($0 - mu) * istd }
            let gg = (0..<d).map { Double(g.ptr[r * d + $0]) }
            let dh = (0..<d).map { gg[$0] * Double(w.ptr[$0]) }
            let m1 = dh.reduce(0, +) / Double(d), m2 = zip(dh, xh).map { $0 * $1 }.reduce(0, +) / Double(d)
            for i in 0..<d {
                eo.append(Float(xh[i] * Double(w.ptr[i]) + Double(b.ptr[i])))
                edx.append(Float(istd * (dh[i] - m1 - xh[i] * m2)))
                edw[i] += gg[i] * xh[i]; edb[i] += gg[i]
            }
        }
        expectClose(out, Tensor(shape: [rows, d], data: eo), "ln out")
        expectClose(grads[0], Tensor(shape: [rows, d], data: edx), rtol: 1e-3, atol: 1e-4, "ln dx")
        expectClose(grads[1], Tensor(shape: [d], data: edw.map(Float.init)), rtol: 1e-4, atol: 1e-4, "ln dw")
        expectClose(grads[2], Tensor(shape: [d], data: edb.map(Float.init)), rtol: 1e-4, atol: 1e-4, "ln db")
    }

    /// fastExp / fastErf / GELU and its derivative against libm over a wide range.
    @Test func fastMathAccuracy() {
        var worstExp: Float = 0, worstErf: Float = 0, worstGelu: Float = 0, worstD: Float = 0
        var x: Float = -30
        while x <= 30 {
            let e = Foundation.exp(Double(x))
            worstExp = max(worstExp, Float(abs(Double(fastExp(x)) - e) / e))
            worstErf = max(worstErf, abs(fastErf(x) - Float(Foundation.erf(Double(x)))))
            let xd = Double(x)
            let cdf = 0.5 * (1 + Foundation.erf(xd / 2.0.squareRoot()))
            worstGelu = max(worstGelu, Float(abs(Double(fastGELU(x)) - xd * cdf) / max(1, abs(xd))))
            let deriv = cdf + xd * Foundation.exp(-0.5 * xd * xd) / (2 * Double.pi).squareRoot()
            worstD = max(worstD, Float(abs(Double(fastGELUDerivative(x)) - deriv)))
            x += 0.01
        }
        #expect(worstExp < 5e-7, "exp relative error \(worstExp)")
        #expect(worstErf < 6e-7, "erf absolute error \(worstErf)")
        #expect(worstGelu < 3e-7, "gelu error \(worstGelu)")
        #expect(worstD < 1e-6, "gelu' error \(worstD)")
        #expect(fastExp(-.infinity) < 1e-37 && fastExp(0) == 1)
    }

    /// batchNorm2d(relu: true) against batchNorm2d then relu, train and eval, forward, running
    /// statistics and all gradients; odd plane size (5×3, not a multiple of the SIMD width).
    @Test(arguments: [true, false])
    func batchNormReLUMatchesComposite(training: Bool) {
        let x = Self.rand([3, 4, 5, 3], 21, std: 2), w = Self.rand([4], 22), b = Self.rand([4], 23)
        let gOut = Self.rand([3, 4, 5, 3], 24)
        func stats() -> (Tensor, Tensor) { (Self.rand([4], 25, std: 0.1), Tensor.full([4], 1.5)) }
        let (rm1, rv1) = stats(), (rm2, rv2) = stats()
        let (fast, fg) = Self.run([x, w, b], gOut) {
            batchNorm2d($0[0], weight: $0[1], bias: $0[2], runningMean: rm1, runningVar: rv1, training: training, relu: true)
        }
        let (ref, rg) = Self.run([x, w, b], gOut) {
            relu(batchNorm2d($0[0], weight: $0[1], bias: $0[2], runningMean: rm2, runningVar: rv2, training: training))
        }
        #expect(fast.scalars == ref.scalars, "fused BN+ReLU output differs")
        #expect(fast.scalars.contains(0) && fast.scalars.contains { $0 > 0 })
        #expect(rm1.scalars == rm2.scalars && rv1.scalars == rv2.scalars)
        for i in 0..<3 { expectClose(fg[i], rg[i]!, rtol: 1e-5, atol: 1e-6, "bn+relu grad \(i)") }
    }

    /// addReLU against relu(a + b), forward and both gradients.
    @Test func addReLUMatchesComposite() {
        let a = Self.rand([2, 3, 4, 5], 26), b = Self.rand([2, 3, 4, 5], 27), g = Self.rand([2, 3, 4, 5], 28)
        let (fast, fg) = Self.run([a, b], g) { addReLU($0[0], $0[1]) }
        let (ref, rg) = Self.run([a, b], g) { relu($0[0] + $0[1]) }
        #expect(fast.scalars == ref.scalars)
        #expect(fg[0]!.scalars == rg[0]!.scalars && fg[1]!.scalars == rg[1]!.scalars)
    }

    /// Evaluation-mode convBN (BN folded into the conv, ReLU into its output pass) against
    /// relu(bn(conv(x))) unfused, on a large map (one GEMM per image) and a small one (grouped
    /// images), with and without a conv bias; training mode and recorded eval use the unfused path.
    @Test(arguments: [16, 5])
    func convBNFoldedMatchesUnfused(size: Int) {
        var rng = RandomGenerator(seed: 31)
        for withBias in [false, true] {
            let conv = Conv2d(3, 6, kernel: 3, stride: 1, padding: 1, bias: withBias, rng: &rng)
            if let b = conv.bias { b.assign(Self.rand([6], 32)) }
            let bn = BatchNorm2d(6)
            bn.weight.assign(Self.rand([6], 33)); bn.bias.assign(Self.rand([6], 34))
            bn.runningMean.assign(Self.rand([6], 35, std: 0.3)); bn.runningVar.assign(Tensor.full([6], 0.7))
            bn.eval()
            let x = Self.rand([3, 3, size, size], 36)
            for act in [false, true] {
                let fused = Autograd.noGrad { convBN(conv, bn, x, relu: act) }
                let plain = Autograd.noGrad { () -> Tensor in
                    let y = batchNorm2d(conv2d(x, weight: conv.weight, bias: conv.bias, padding: Padding(1)),
                                        weight: bn.weight, bias: bn.bias, runningMean: bn.runningMean,
                                        runningVar: bn.runningVar, training: false)
                    return act ? relu(y) : y
                }
                expectClose(fused, plain, rtol: 1e-4, atol: 1e-5, "convBN size \(size) bias \(withBias) relu \(act)")
            }
            // Recording: the unfused path, so parameters still get gradients.
            let y = convBN(conv, bn, x, relu: true)
            y.sum().backward()
            #expect(conv.weight.grad != nil && bn.weight.grad != nil)
            conv.weight.zeroGrad(); bn.weight.zeroGrad(); bn.bias.zeroGrad(); conv.bias?.zeroGrad()
        }
    }

    /// gemm split over threads (M or N blocks, each a single-threaded sgemm) against the
    /// triple-loop reference, for every transpose combination, beta 0 and 1, odd sizes.
    @Test(arguments: [(131, 67, 257), (45, 301, 173)])
    func splitGemmMatchesReference(shape: (Int, Int, Int)) {
        let (m, n, k) = shape
        let a = Self.rand([m, k], 41), b = Self.rand([k, n], 42), c0 = Self.rand([m, n], 43)
        let ref = Reference.matmul(a, b)
        let at = a.transposed().copy(), bt = b.transposed().copy()
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            for beta: Float in [0, 1] {
                let c = c0.copy()
                gemm(transA: ta, transB: tb, m: m, n: n, k: k, a: ta ? at.ptr : a.ptr, lda: ta ? m : k,
                     b: tb ? bt.ptr : b.ptr, ldb: tb ? k : n, beta: beta, c: c.ptr, ldc: n, threads: 2)
                let expected = beta == 0 ? ref : Autograd.noGrad { ref + c0 }
                expectClose(c, expected, rtol: 1e-4, atol: 1e-3, "gemm \(m)x\(n)x\(k) ta \(ta) tb \(tb) beta \(beta)")
            }
        }
    }

    /// Same-shape arithmetic large enough to split over threads gives each element exactly.
    @Test func sameShapeArithmeticSplitsOverThreads() {
        let saved = Threads.count
        Threads.set(2)
        defer { Threads.set(saved) }
        let a = Self.rand([40_000], 51), b = Self.rand([40_000], 52)
        let sum = a + b, prod = a * b
        #expect(sum.scalars == zip(a.scalars, b.scalars).map { $0 + $1 })
        #expect(prod.scalars == zip(a.scalars, b.scalars).map { $0 * $1 })
    }

    /// sum over leading and middle axes (row-by-row accumulation) against a strided Double loop.
    @Test func sumOverAxesMatchesNaive() {
        let x = Self.rand([7, 5, 3], 53)
        for axis in 0..<3 {
            let s = x.sum(axes: [axis])
            var expected: [Float] = []
            let dims = [7, 5, 3]
            let others = (0..<3).filter { $0 != axis }
            for i in 0..<dims[others[0]] {
                for j in 0..<dims[others[1]] {
                    var acc = 0.0
                    for r in 0..<dims[axis] {
                        var idx = [0, 0, 0]
                        idx[others[0]] = i; idx[others[1]] = j; idx[axis] = r
                        acc += Double(x.ptr[(idx[0] * 5 + idx[1]) * 3 + idx[2]])
                    }
                    expected.append(Float(acc))
                }
            }
            #expect(s.scalars == expected, "sum over axis \(axis)")
        }
    }

    /// batchNorm2d(residual:) against addReLU(batchNorm2d(x), r): output, running statistics and
    /// the gradients of x, weight, bias and the residual.
    @Test func batchNormResidualMatchesComposite() {
        let x = Self.rand([3, 4, 5, 3], 61, std: 2), w = Self.rand([4], 62), b = Self.rand([4], 63)
        let r = Self.rand([3, 4, 5, 3], 64), gOut = Self.rand([3, 4, 5, 3], 65)
        let (rm1, rv1, rm2, rv2) = (Tensor.zeros([4]), Tensor.ones([4]), Tensor.zeros([4]), Tensor.ones([4]))
        let (fast, fg) = Self.run([x, w, b, r], gOut) {
            batchNorm2d($0[0], weight: $0[1], bias: $0[2], runningMean: rm1, runningVar: rv1, training: true, relu: true, residual: $0[3])
        }
        let (ref, rg) = Self.run([x, w, b, r], gOut) {
            addReLU(batchNorm2d($0[0], weight: $0[1], bias: $0[2], runningMean: rm2, runningVar: rv2, training: true), $0[3])
        }
        expectClose(fast, ref, rtol: 1e-6, atol: 1e-6, "bn+residual out")
        #expect(rm1.scalars == rm2.scalars && rv1.scalars == rv2.scalars)
        for i in 0..<4 { expectClose(fg[i], rg[i]!, rtol: 1e-4, atol: 1e-5, "bn+residual grad \(i)") }
    }

    /// The in-place inference paths (linearGELU's activation over its own GEMM output, the
    /// attention softmax over its own score rows) against naive Double references, on widths
    /// that cover full eight-lane blocks and a scalar tail (70 features, 21 tokens).
    @Test func inPlaceInferenceKernelsMatchNaive() {
        // linearGELU with bias, no gradient: out = GELU(x·Wᵀ + b).
        let rows = 13, inF = 11, outF = 70
        let x = Self.rand([rows, inF], 71), w = Self.rand([outF, inF], 72, std: 0.5), b = Self.rand([outF], 73)
        let fast = Autograd.noGrad { linearGELU(x, weight: w, bias: b) }
        let xs = x.scalars, ws = w.scalars, bs = b.scalars
        var expected = [Float]()
        for r in 0..<rows {
            for o in 0..<outF {
                var h = Double(bs[o])
                for k in 0..<inF { h += Double(xs[r * inF + k]) * Double(ws[o * inF + k]) }
                expected.append(Float(0.5 * h * (1 + erf(h / 2.0.squareRoot()))))
            }
        }
        expectClose(fast, Tensor(shape: [rows, outF], data: expected), rtol: 1e-5, atol: 1e-5, "in-place linearGELU")
        // Attention without gradient: softmax(Q·Kᵀ/√hd)·V per (image, head) straight from qkv.
        let bsz = 2, n = 21, heads = 2, hd = 4, d = heads * hd
        let qkv = Self.rand([bsz, n, 3 * d], 74, std: 1.5)
        let att = Autograd.noGrad { fusedSelfAttention(qkv, heads: heads) }
        let q = qkv.scalars
        var ref = [Float](repeating: 0, count: bsz * n * d)
        for img in 0..<bsz {
            for h in 0..<heads {
                func at(_ t: Int, _ part: Int, _ j: Int) -> Double { Double(q[(img * n + t) * 3 * d + part * d + h * hd + j]) }
                for i in 0..<n {
                    var s = (0..<n).map { t in (0..<hd).reduce(0.0) { $0 + at(i, 0, $1) * at(t, 1, $1) } / Double(hd).squareRoot() }
                    let m = s.max()!
                    s = s.map { Foundation.exp($0 - m) }
                    let z = s.reduce(0, +)
                    for j in 0..<hd {
                        ref[(img * n + i) * d + h * hd + j] = Float((0..<n).reduce(0.0) { $0 + s[$1] / z * at($1, 2, j) })
                    }
                }
            }
        }
        expectClose(att, Tensor(shape: [bsz, n, d], data: ref), rtol: 1e-5, atol: 1e-5, "in-place attention softmax")
        // softmax (separate output) on the same 21-wide rows.
        let sm = Autograd.noGrad { softmax(Self.rand([3, n], 75, std: 3)) }
        let sx = Self.rand([3, n], 75, std: 3).scalars
        var sref = [Float]()
        for r in 0..<3 {
            let row = sx[(r * n)..<(r * n + n)].map(Double.init), m = row.max()!
            let e = row.map { Foundation.exp($0 - m) }, z = e.reduce(0, +)
            sref += e.map { Float($0 / z) }
        }
        expectClose(sm, Tensor(shape: [3, n], data: sref), rtol: 1e-5, atol: 1e-6, "softmax")
    }
}
