// Kernel ISA paths: the LOOM_ISA choice as a function of the CPU, and every path this machine runs
// (AVX-512, AVX2) against the naive references in Engine's `Reference`.
@testable import Engine
import Foundation
import Testing

@Suite struct KernelISATests {
    static let paths = KernelISA.supported()

    static func rand(_ shape: [Int], _ seed: UInt64, std: Float = 1) -> Tensor {
        var rng = RandomGenerator(seed: seed)
        return Tensor.randn(shape, std: std, rng: &rng)
    }

    /// Runs `f` on fresh parameter copies of `inputs` on kernel path `isa`, backpropagates `gOut`.
    static func run(_ isa: KernelISA, _ inputs: [Tensor], _ gOut: Tensor, _ f: ([Tensor]) -> Tensor) -> (Tensor, [Tensor?]) {
        KernelISA.with(isa) {
            let ps = inputs.map { param($0) }
            let out = f(ps)
            out.backward(gOut.reshaped(out.shape).detached())
            return (out, ps.map(\.grad))
        }
    }

    // MARK: - choosing the path

    static let zen4 = CPUFacts(vendor: "AuthenticAMD", brand: "AMD EPYC 9R14", family: 25, model: 17,
                               features: [.avx, .avx2, .fma, .avx512f, .avx512dq, .avx512cd, .avx512bw, .avx512vl])
    static let haswell = CPUFacts(vendor: "GenuineIntel", brand: "Intel(R) Core(TM) i7-4770", family: 6, model: 60,
                                  features: [.avx, .avx2, .fma])
    /// AVX-512 F and CD only (Knights Landing): not the x86-64-v4 set the kernels are compiled for.
    static let knl = CPUFacts(vendor: "GenuineIntel", brand: "Intel(R) Xeon Phi(TM) 7250", family: 6, model: 87,
                              features: [.avx, .avx2, .fma, .avx512f, .avx512cd])
    static let sandyBridge = CPUFacts(vendor: "GenuineIntel", brand: "Intel(R) Core(TM) i7-2600", features: [.avx])

    #if arch(x86_64)
    @Test func choiceFollowsTheCPU() throws {
        #expect(try KernelISA.choose(nil, cpu: Self.zen4).get() == .avx512)
        #expect(try KernelISA.choose(" ", cpu: Self.zen4).get() == .avx512)
        #expect(try KernelISA.choose("auto", cpu: Self.zen4).get() == .avx512)
        #expect(try KernelISA.choose("AVX2", cpu: Self.zen4).get() == .avx2)
        #expect(try KernelISA.choose("avx512", cpu: Self.zen4).get() == .avx512)
        #expect(try KernelISA.choose(nil, cpu: Self.haswell).get() == .avx2)
        #expect(try KernelISA.choose(nil, cpu: Self.knl).get() == .avx2)
        #expect(try KernelISA.choose(nil, cpu: Self.sandyBridge).get() == .portable)
        #expect(KernelISA.supported(on: Self.zen4) == [.avx512, .avx2, .portable])
        #expect(KernelISA.supported(on: Self.haswell) == [.avx2, .portable])
    }

    /// A path the CPU cannot run is refused with the variable, the value, what is missing, the CPU
    /// and the path that applies instead; an unknown value lists the accepted ones.
    @Test func unsupportedChoicesAreRefused() {
        guard case .failure(let e) = KernelISA.choose("avx512", cpu: Self.haswell) else {
            Issue.record("LOOM_ISA=avx512 accepted on an AVX2-only CPU"); return
        }
        #expect(e.message.contains("LOOM_ISA=avx512") && e.message.contains("AVX-512 (F, DQ, CD, BW, VL)"))
        #expect(e.message.contains("i7-4770") && e.message.contains("the avx2 path applies"))
        guard case .failure(let k) = KernelISA.choose("avx512", cpu: Self.knl) else {
            Issue.record("LOOM_ISA=avx512 accepted without AVX-512 DQ/BW/VL"); return
        }
        #expect(k.message.contains("Xeon Phi"))
        guard case .failure(let old) = KernelISA.choose("avx2", cpu: Self.sandyBridge) else {
            Issue.record("LOOM_ISA=avx2 accepted without AVX2"); return
        }
        #expect(old.message.contains("AVX2 and FMA") && old.message.contains("the portable path applies"))
        guard case .failure(let bad) = KernelISA.choose("sse", cpu: Self.zen4) else {
            Issue.record("LOOM_ISA=sse accepted"); return
        }
        #expect(bad.message.contains("LOOM_ISA=\"sse\"") && bad.message.contains("auto, avx512, avx2")
                && bad.message.contains("the avx512 path applies"))
    }
    #endif

    /// This process runs a path its CPU supports, the best one unless LOOM_ISA chose another, and
    /// the numerics version names the AVX-512 path (whose sums round differently).
    @Test func activePathIsSupportedHere() {
        let active = KernelISA.active
        #expect(active.isSupported(on: .current))
        let env = ProcessInfo.processInfo.environment["LOOM_ISA"] ?? ""
        if env.isEmpty { #expect(active == KernelISA.best(on: .current)) }
        #expect(engineNumericsVersion.hasSuffix("-avx512") == (active == .avx512))
        #if arch(x86_64)
        #expect(Self.paths.contains(.avx512) == CPUFacts.current.hasAVX512)
        #expect(Self.paths.contains(.avx2) == CPUFacts.current.hasAVX2FMA)
        #endif
        #expect(KernelISA.with(.portable) { KernelISA.current } == .portable)
    }

    // MARK: - every path against the references

    @Test(arguments: paths)
    func softmaxMatchesReference(isa: KernelISA) {
        // Rows shorter than, equal to and longer than a vector, with remainders.
        for n in [1, 7, 8, 16, 17, 65, 200] {
            let x = Self.rand([3, n], UInt64(n), std: 3), g = Self.rand([3, n], UInt64(n) + 100)
            let (y, grads) = Self.run(isa, [x], g) { softmax($0[0]) }
            let ref = Reference.softmax(x, dOut: g)
            expectClose(y, ref.y, rtol: 2e-5, atol: 1e-7, "\(isa) softmax n=\(n)")
            expectClose(grads[0], ref.dx, rtol: 1e-4, atol: 1e-6, "\(isa) softmax dx n=\(n)")
        }
    }

    /// GELU and its gradient (5,003 elements: split over threads at offsets that are not multiples
    /// of a vector), and linearGELU's activation, against libm's erf.
    @Test(arguments: paths)
    func geluMatchesReference(isa: KernelISA) {
        let x = Self.rand([5003], 31, std: 3), g = Self.rand([5003], 32)
        let (y, grads) = Self.run(isa, [x], g) { gelu($0[0]) }
        let ref = Reference.gelu(x)
        expectClose(y, ref.y, rtol: 1e-5, atol: 1e-6, "\(isa) gelu")
        expectClose(grads[0], Tensor(shape: x.shape, data: zip(g.scalars, ref.derivative.scalars).map { $0 * $1 }),
                    rtol: 1e-5, atol: 1e-6, "\(isa) gelu dx")
        // linearGELU with an identity weight: GELU of x itself, recorded and not.
        let rows = 3, d = 21
        let xs = Self.rand([rows, d], 33, std: 2), eye = Tensor.zeros([d, d])
        for i in 0..<d { eye.ptr[i * d + i] = 1 }
        let gl = Self.rand([rows, d], 34)
        let (yl, gradl) = Self.run(isa, [xs, eye], gl) { linearGELU($0[0], weight: $0[1], bias: nil) }
        let refl = Reference.gelu(xs)
        expectClose(yl, refl.y, rtol: 1e-5, atol: 1e-6, "\(isa) linearGELU")
        expectClose(gradl[0], Tensor(shape: xs.shape, data: zip(gl.scalars, refl.derivative.scalars).map { $0 * $1 }),
                    rtol: 1e-5, atol: 1e-6, "\(isa) linearGELU dx")
        let plain = KernelISA.with(isa) { Autograd.noGrad { linearGELU(xs, weight: eye, bias: nil) } }
        #expect(plain.scalars == yl.scalars, "\(isa) linearGELU in place differs from the recorded pass")
    }

    /// Layer norm on widths below, at and past a vector, and past the 64-column blocks of dW/db.
    @Test(arguments: paths)
    func layerNormMatchesReference(isa: KernelISA) {
        for d in [5, 16, 70, 192] {
            let rows = 6
            let x = Self.rand([rows, d], UInt64(d), std: 2), w = Self.rand([d], 41), b = Self.rand([d], 42)
            let g = Self.rand([rows, d], 43)
            let (out, grads) = Self.run(isa, [x, w, b], g) { layerNorm($0[0], weight: $0[1], bias: $0[2], eps: 1e-6) }
            let ref = Reference.layerNorm(x, weight: w, bias: b, eps: 1e-6, dOut: g)
            expectClose(out, ref.out, rtol: 1e-4, atol: 1e-5, "\(isa) ln out d=\(d)")
            expectClose(grads[0], ref.dx, rtol: 1e-3, atol: 1e-4, "\(isa) ln dx d=\(d)")
            expectClose(grads[1], ref.dW, rtol: 1e-4, atol: 1e-4, "\(isa) ln dw d=\(d)")
            expectClose(grads[2], ref.db, rtol: 1e-4, atol: 1e-4, "\(isa) ln db d=\(d)")
        }
    }

    /// Batch norm, training and evaluation, plain, + ReLU and + residual + ReLU, planes of 3×5
    /// (a remainder only), 4×4 (one vector), 7×7 (a vector and an overlapping last one) and 1×1.
    @Test(arguments: paths)
    func batchNormMatchesReference(isa: KernelISA) {
        for (h, w) in [(3, 5), (4, 4), (7, 7), (1, 1)] {
            for training in [true, false] {
                for mode in 0..<3 {
                    let relu = mode > 0, shape = [3, 4, h, w]
                    let x = Self.rand(shape, UInt64(h * w), std: 2), gamma = Self.rand([4], 51), beta = Self.rand([4], 52)
                    let res = mode == 2 ? Self.rand(shape, 53) : nil, g = Self.rand(shape, 54)
                    let rm = Self.rand([4], 55, std: 0.1), rv = Tensor.full([4], 1.5)
                    let ref = Reference.batchNorm2d(x, weight: gamma, bias: beta, mean: training ? nil : rm, variance: training ? nil : rv,
                                                    eps: 1e-5, relu: relu, residual: res, dOut: g)
                    let inputs = [x, gamma, beta] + (res.map { [$0] } ?? [])
                    let (out, grads) = Self.run(isa, inputs, g) {
                        batchNorm2d($0[0], weight: $0[1], bias: $0[2], runningMean: rm.copy(), runningVar: rv.copy(),
                                    training: training, relu: relu, residual: res == nil ? nil : $0[3])
                    }
                    let what = "\(isa) bn \(h)×\(w) training \(training) mode \(mode)"
                    expectClose(out, ref.out, rtol: 1e-4, atol: 1e-5, what)
                    expectClose(grads[0], ref.dx, rtol: 1e-3, atol: 1e-4, what + " dx")
                    expectClose(grads[1], ref.dW, rtol: 1e-4, atol: 1e-4, what + " dw")
                    expectClose(grads[2], ref.db, rtol: 1e-4, atol: 1e-4, what + " db")
                    if let dres = ref.dResidual { expectClose(grads[3], dres, rtol: 1e-6, atol: 0, what + " dres") }
                }
            }
        }
    }

    /// Three updates of every optimizer on 1,003 parameters (a remainder past the vectors).
    @Test(arguments: paths)
    func optimizersMatchReference(isa: KernelISA) {
        let kinds: [(OptimizerKind, Double)] = [
            (.sgd(momentum: 0, weightDecay: 1e-3), 0.1), (.sgd(momentum: 0.9, weightDecay: 1e-4), 0.1),
            (.sgd(momentum: 0.9, weightDecay: 5e-4, nesterov: true), 0.1),
            (.adamw(beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.05), 0.01), (.lion(beta1: 0.9, beta2: 0.99, weightDecay: 0.1), 0.01),
        ]
        let x0 = Self.rand([1003], 61), grads = (0..<3).map { Self.rand([1003], 62 + UInt64($0)).scalars }
        for (kind, lr) in kinds {
            let p = param(x0)
            let opt = Optimizer(kind, parameters: [("w", p)], learningRate: Float(lr))
            KernelISA.with(isa) {
                for g in grads {
                    p.grad = Tensor(shape: [1003], data: g)
                    opt.step()
                }
            }
            let ref = Reference.optimizerSteps(kind, lr: lr, x: x0.scalars, grads: grads)
            expectClose(p, Tensor(shape: [1003], data: ref), rtol: 1e-5, atol: 1e-6, "\(isa) \(kind)")
        }
    }

    /// Winograd F(4×4, 3×3) forward, dx and dW (maps not multiples of the tile) and im2col's col2im
    /// (stride 1 and 2) against the direct convolution and its gradients, on every path.
    @Test(arguments: paths)
    func convolutionsMatchReference(isa: KernelISA) {
        let cases: [(plan: ConvPlan, c: Int, h: Int, w: Int, o: Int, stride: Int, pad: Padding)] = [
            (ConvPlan(.winograd4, threads: 2), 24, 9, 11, 20, 1, Padding(1)),
            (ConvPlan(.winograd4, threads: 1), 17, 6, 6, 19, 1, Padding(top: 0, bottom: 2, left: 1, right: 2)),
            (ConvPlan(.im2col), 5, 9, 9, 6, 1, Padding(1)),
            (ConvPlan(.im2col), 5, 9, 10, 6, 2, Padding(1)),
        ]
        for (k, s) in cases.enumerated() {
            let x = Self.rand([2, s.c, s.h, s.w], 70 + UInt64(k)), w = Self.rand([s.o, s.c, 3, 3], 80 + UInt64(k), std: 0.2)
            let geo = ConvGeometry(c: s.c, h: s.h, w: s.w, kh: 3, kw: 3, sh: s.stride, sw: s.stride, pad: s.pad)
            let g = Self.rand([2, s.o, geo.oh, geo.ow], 90 + UInt64(k))
            let (out, grads) = Self.run(isa, [x, w], g) {
                conv2d($0[0], weight: $0[1], bias: nil, stride: (s.stride, s.stride), padding: s.pad, relu: false, plan: s.plan)
            }
            let ref = Reference.conv2d(x, weight: w, bias: nil, stride: (s.stride, s.stride), padding: s.pad)
            let refGrads = Reference.conv2dBackward(x, weight: w, dOut: g, stride: (s.stride, s.stride), padding: s.pad)
            // F(4×4, 3×3)'s transform points ±2 amplify rounding: compare against the largest value.
            let what = "\(isa) conv \(s.plan.forward) \(s.c)×\(s.h)×\(s.w)"
            #expect(WinogradTests.relError(out, ref) < 1e-4, "\(what) out")
            #expect(WinogradTests.relError(grads[0]!, refGrads.dx) < 1e-4, "\(what) dx")
            #expect(WinogradTests.relError(grads[1]!, refGrads.dW) < 1e-4, "\(what) dw")
        }
    }

    /// Attention's fused kernel against the composite (whose softmax op takes each path's kernel).
    @Test(arguments: paths)
    func attentionMatchesComposite(isa: KernelISA) {
        let b = 2, n = 19, heads = 3, d = 24
        let inputs = [Self.rand([b, n, d], 101), Self.rand([3 * d, d], 102, std: 0.4), Self.rand([3 * d], 103),
                      Self.rand([d, d], 104, std: 0.4), Self.rand([d], 105)]
        let g = Self.rand([b, n, d], 106)
        let (fast, fg) = Self.run(isa, inputs, g) {
            multiHeadSelfAttention($0[0], heads: heads, qkvWeight: $0[1], qkvBias: $0[2], projWeight: $0[3], projBias: $0[4])
        }
        let (ref, rg) = Self.run(isa, inputs, g) {
            Reference.multiHeadSelfAttention($0[0], heads: heads, qkvWeight: $0[1], qkvBias: $0[2], projWeight: $0[3], projBias: $0[4])
        }
        // The fused kernel's softmax is the 256-bit one on every path, the composite's follows the
        // path: on AVX-512 their rows round differently, and P ⊙ (dP − Σ dP·P) cancels, so small
        // gradient elements differ by more than their own 1e-4. Measured against each tensor's
        // largest element the difference is ~1e-6 (about ten float32 ulps); the bound is 1e-5.
        #expect(WinogradTests.relError(fast, ref) < 1e-5, "\(isa) attention out")
        for i in 0..<5 { #expect(WinogradTests.relError(fg[i]!, rg[i]!) < 1e-5, "\(isa) attention grad \(i)") }
    }

    // MARK: - what the paths share

    /// Element-wise kernels do the same arithmetic in the same order on every path, so they give the
    /// same bits: GELU and GELU′ (C on AVX-512, Swift otherwise), AdamW (the AVX2 C kernel of both x86
    /// paths, the scalar Swift loop of the portable one), and what runs the same code everywhere
    /// (evaluation-mode batch norm, Winograd). Only sums (softmax, norms' statistics) may differ.
    @Test func elementwiseKernelsAgreeBitForBit() {
        guard Self.paths.count > 1 else { return }
        let x = Self.rand([2, 24, 9, 11], 111, std: 2), w = Self.rand([20, 24, 3, 3], 112, std: 0.2)
        let g = Self.rand([2, 20, 9, 11], 113), x1 = Self.rand([1003], 114), g1 = Self.rand([1003], 115)
        let results = Self.paths.map { isa -> [[Float]] in
            let (gy, gd) = Self.run(isa, [x], x) { gelu($0[0]) }
            let (bn, _) = Self.run(isa, [x, Tensor.ones([24]), Tensor.zeros([24])], x) {
                batchNorm2d($0[0], weight: $0[1], bias: $0[2], runningMean: Tensor.zeros([24]), runningVar: Tensor.ones([24]),
                            training: false, relu: true)
            }
            let (cv, cg) = Self.run(isa, [x, w], g) {
                conv2d($0[0], weight: $0[1], bias: nil, stride: (1, 1), padding: Padding(1), relu: false,
                       plan: ConvPlan(.winograd4, threads: 2))
            }
            let p = param(x1)
            let opt = Optimizer(.adamw(), parameters: [("x", p)], learningRate: 0.01)
            KernelISA.with(isa) { p.grad = g1.copy(); opt.step() }
            return [gy.scalars, gd[0]!.scalars, bn.scalars, cv.scalars, cg[0]!.scalars, cg[1]!.scalars, p.scalars]
        }
        let names = ["gelu", "gelu dx", "bn eval + relu", "winograd out", "winograd dx", "winograd dW", "adamw"]
        for r in results.dropFirst() {
            for (i, name) in names.enumerated() { #expect(r[i] == results[0][i], "\(name) differs between paths") }
        }
    }
}
