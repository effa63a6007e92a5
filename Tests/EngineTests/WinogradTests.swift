// Winograd F(4×4,3×3) convolution (forward, backward-data, backward-weights) against im2col and the direct-loop reference.
@testable import Engine
import Foundation
import Testing

@Suite struct WinogradTests {
    static func rand(_ shape: [Int], _ seed: UInt64) -> Tensor {
        var rng = RandomGenerator(seed: seed)
        return Tensor.randn(shape, rng: &rng)
    }

    /// Output and [dx, dW, db] of one conv with the given plan, for upstream gradient gOut.
    static func run(_ x: Tensor, _ w: Tensor, _ b: Tensor?, _ gOut: Tensor, pad: Padding, relu: Bool = false,
                    plan: ConvPlan) -> (out: Tensor, grads: [Tensor?]) {
        let xs = param(x), ws = param(w), bs = b.map(param)
        let out = conv2d(xs, weight: ws, bias: bs, stride: (1, 1), padding: pad, relu: relu, plan: plan)
        out.backward(gOut)
        return (out, [xs.grad, ws.grad, bs?.grad])
    }

    /// max |a − b| / max |b|.
    static func relError(_ a: Tensor, _ b: Tensor) -> Float {
        let scale = b.scalars.map(abs).max() ?? 0
        let diff = zip(a.scalars, b.scalars).map { abs($0 - $1) }.max() ?? .infinity
        return diff / Swift.max(scale, 1e-20)
    }

    /// Forward, dx, dW and db by Winograd F(4,3) against im2col and against the direct loops in
    /// Double (`Reference.conv2d`, `Reference.conv2dBackward`, which share no code with either fast
    /// path) on odd shapes: maps not multiples of the tile (5×7, 9×9, 1×1, 2×3), padding 0, 1, 2
    /// and asymmetric, with and without bias, batch 1 and 3, threads 1 and 2; max |Δ| ≤
    /// 1e-4·max|ref| (the transform points ±2 amplify rounding).
    @Test(arguments: [1, 2])
    func matchesIm2col(threads: Int) {
        let cases: [(n: Int, c: Int, h: Int, w: Int, o: Int, pad: Padding, bias: Bool)] = [
            (1, 3, 5, 7, 5, Padding(1), true),
            (3, 5, 9, 9, 3, Padding(0), false),
            (3, 2, 1, 1, 4, Padding(1), true),
            (1, 4, 2, 3, 3, Padding(2), false),
            (3, 3, 7, 6, 2, Padding(top: 2, bottom: 0, left: 1, right: 2), true),
            (3, 2, 40, 38, 3, Padding(1), true),  // several blocks of tile rows per thread
            (2, 17, 6, 6, 19, Padding(1), false),
        ]
        for (i, s) in cases.enumerated() {
            let x = Self.rand([s.n, s.c, s.h, s.w], UInt64(10 * i + 1)), w = Self.rand([s.o, s.c, 3, 3], UInt64(10 * i + 2))
            let b = s.bias ? Self.rand([s.o], UInt64(10 * i + 3)) : nil
            let oh = s.h + s.pad.top + s.pad.bottom - 2, ow = s.w + s.pad.left + s.pad.right - 2
            let gOut = Self.rand([s.n, s.o, oh, ow], UInt64(10 * i + 4))
            let ref = Self.run(x, w, b, gOut, pad: s.pad, plan: ConvPlan(.im2col))
            let direct = Reference.conv2d(x, weight: w, bias: b, stride: (1, 1), padding: s.pad)
            let directGrads = Reference.conv2dBackward(x, weight: w, dOut: gOut, stride: (1, 1), padding: s.pad)
            let got = Self.run(x, w, b, gOut, pad: s.pad, plan: ConvPlan(.winograd4, threads: threads))
            let what = "case \(i) \(s) threads \(threads)"
            for (against, out, grads) in [("im2col", ref.out, ref.grads), ("direct", direct, [directGrads.dx, directGrads.dW, ref.grads[2]])] {
                #expect(got.out.shape == out.shape, "\(what): shape vs \(against)")
                let e = Self.relError(got.out, out)
                #expect(e <= 1e-4, "\(what): forward off by \(e) vs \(against)")
                for (j, name) in ["dx", "dW", "db"].enumerated() {
                    guard let r = grads[j] else { continue }
                    guard let g = got.grads[j] else { Issue.record("\(what): no \(name)"); continue }
                    let e = Self.relError(g, r)
                    #expect(e <= 1e-4, "\(what): \(name) off by \(e) vs \(against)")
                }
            }
        }
    }

    /// Each pass chosen on its own (Winograd forward with im2col backward and the reverse mix)
    /// gives the same gradients, and fused ReLU + bias in inference matches im2col's.
    @Test func mixedPlansAndFusedReLU() {
        let x = Self.rand([2, 6, 7, 5], 71), w = Self.rand([4, 6, 3, 3], 72), b = Self.rand([4], 73)
        let gOut = Self.rand([2, 4, 7, 5], 74)
        let ref = Self.run(x, w, b, gOut, pad: Padding(1), plan: ConvPlan(.im2col))
        let plans = [ConvPlan(forward: .winograd4, backwardData: .im2col, backwardWeights: .winograd4),
                     ConvPlan(forward: .im2col, backwardData: .winograd4, backwardWeights: .im2col)]
        for plan in plans {
            let got = Self.run(x, w, b, gOut, pad: Padding(1), plan: plan)
            #expect(Self.relError(got.out, ref.out) <= 1e-4, "\(plan): forward")
            for j in 0..<3 { #expect(Self.relError(got.grads[j]!, ref.grads[j]!) <= 1e-4, "\(plan): grad \(j)") }
        }
        let fused = Autograd.noGrad {
            conv2d(x, weight: w, bias: b, stride: (1, 1), padding: Padding(1), relu: true, plan: ConvPlan(.winograd4))
        }
        let plain = Autograd.noGrad {
            conv2d(x, weight: w, bias: b, stride: (1, 1), padding: Padding(1), relu: true, plan: ConvPlan(.im2col))
        }
        #expect(fused.scalars.contains(0) && fused.scalars.allSatisfy { $0 >= 0 }, "ReLU applied")
        #expect(Self.relError(fused, plain) <= 1e-4)
    }

    /// The same input twice gives identical bits (forward and all gradients), at 2 and 3 threads
    /// (three chunks: two partial kernel-gradient sums added in chunk order).
    @Test func deterministic() {
        let x = Self.rand([3, 16, 12, 10], 81), w = Self.rand([16, 16, 3, 3], 82), b = Self.rand([16], 83)
        let gOut = Self.rand([3, 16, 12, 10], 84)
        for threads in [2, 3] {
            let a = Self.run(x, w, b, gOut, pad: Padding(1), plan: ConvPlan(.winograd4, threads: threads))
            let c = Self.run(x, w, b, gOut, pad: Padding(1), plan: ConvPlan(.winograd4, threads: threads))
            let same = a.out.scalars == c.out.scalars
            #expect(same, "threads \(threads) forward")
            for j in 0..<3 {
                let same = a.grads[j]!.scalars == c.grads[j]!.scalars
                #expect(same, "threads \(threads) grad \(j)")
            }
        }
    }

    /// The PyTorch conv fixture (3×3, stride 1, padding 1, bias) by Winograd F(4,3) on one thread
    /// and split over two, within the fixture tolerances OpsParityTests uses for the default path
    /// (rtol 1e-4, atol 1e-5).
    @Test(arguments: [1, 2])
    func matchesPyTorch(threads: Int) throws {
        let f = try fixture("ops/conv2d_k3s1p1_bias.safetensors")
        let x = param(try f.tensor("x")), w = param(try f.tensor("weight")), b = param(try f.tensor("bias"))
        let plan = ConvPlan(.winograd4, threads: threads)
        let out = conv2d(x, weight: w, bias: b, stride: (1, 1), padding: Padding(1), relu: false, plan: plan)
        expectClose(out, try f.tensor("out"), "threads \(threads) out")
        backwardWith(out, try f.tensor("grad_out"))
        expectClose(x.grad, try f.tensor("grad_x"), "threads \(threads) grad_x")
        expectClose(w.grad, try f.tensor("grad_weight"), "threads \(threads) grad_weight")
        expectClose(b.grad, try f.tensor("grad_bias"), "threads \(threads) grad_bias")
    }

    /// The automatic plan picks Winograd only for stride-1 3×3 convs with enough channels.
    @Test func automaticPlan() {
        func geo(_ c: Int, _ s: Int, k: Int = 3, stride: Int = 1) -> ConvGeometry {
            ConvGeometry(c: c, h: s, w: s, kh: k, kw: k, sh: stride, sw: stride, pad: Padding(k / 2))
        }
        #expect(ConvPlan.automatic(geo(64, 32), outChannels: 64, batch: 32).forward != .im2col)
        #expect(ConvPlan.automatic(geo(3, 32), outChannels: 64, batch: 32) == ConvPlan(.im2col))
        #expect(ConvPlan.automatic(geo(64, 32, stride: 2), outChannels: 64, batch: 32) == ConvPlan(.im2col))
        #expect(ConvPlan.automatic(geo(64, 32, k: 1), outChannels: 64, batch: 32) == ConvPlan(.im2col))
        // 4×4 maps: too few tiles per thread at batch 2 (im2col), enough at batch 4096.
        #expect(ConvPlan.automatic(geo(512, 4), outChannels: 512, batch: 2).forward == .im2col)
        #expect(ConvPlan.automatic(geo(512, 4), outChannels: 512, batch: 4096).backwardData == .winograd4)
        #expect(!ConvPlan.winogradApplies(ConvGeometry(c: 4, h: 9, w: 9, kh: 3, kw: 3, sh: 1, sw: 1, pad: Padding(3))))
    }
}
