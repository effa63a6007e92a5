// Finite-difference gradient checks on shapes the fixtures do not cover.
import Engine
import Testing

/// Finite-difference check of d(sum(f(inputs)·r))/d(input) for every input, with r a fixed random
/// cotangent. Returns the worst norm-wise relative error, ‖numeric − analytic‖ / ‖numeric‖, over
/// the probed elements of each input.
///
/// The bound is set by what float32 can resolve, not by one BLAS kernel's rounding:
/// - the derivative is the five-point stencil (8·(f(x+h) − f(x−h)) − (f(x+2h) − f(x−2h))) / 12h,
///   whose truncation error is O(h⁴), so a step of 1e-2 leaves ~1e-8 relative truncation error;
/// - the objective is summed in Double from the float32 outputs, so what is left is the outputs'
///   own float32 rounding (a few ulps of each output, whatever order a kernel sums in) divided by
///   the step — about 1e-5 relative;
/// - the error is norm-wise over all probed elements, so an element whose true derivative is
///   near zero (where any rounding is a large relative error) cannot decide the result alone.
func gradCheck(_ inputs: [Tensor], seed: UInt64 = 1, eps: Float = 1e-2, _ f: ([Tensor]) -> Tensor) -> Float {
    var rng = RandomGenerator(seed: seed)
    for t in inputs { t.requiresGrad = true; t.zeroGrad() }
    let out = f(inputs)
    let r = Tensor.randn(out.shape, rng: &rng)
    out.backward(r)
    func objective() -> Double {
        let o = Autograd.noGrad { f(inputs) }
        var s = 0.0
        for i in 0..<o.count { s += Double(o.ptr[i]) * Double(r.ptr[i]) }
        return s
    }
    var worst: Float = 0
    for t in inputs {
        let analytic = t.grad!.scalars
        let probes = t.count <= 40 ? Array(0..<t.count) : (0..<40).map { _ in rng.below(t.count) }
        var diff = 0.0, norm = 0.0
        for i in probes {
            let old = t.ptr[i]
            func at(_ k: Float) -> Double { t.ptr[i] = old + k * eps; return objective() }
            let d1 = at(1) - at(-1), d2 = at(2) - at(-2)
            t.ptr[i] = old
            let numeric = (8 * d1 - d2) / (12 * Double(eps))
            diff += (numeric - Double(analytic[i])) * (numeric - Double(analytic[i]))
            norm += numeric * numeric
        }
        worst = max(worst, Float((diff / max(norm, 1e-12)).squareRoot()))
    }
    return worst
}

@Suite struct GradCheckTests {
    static func rand(_ shape: [Int], _ seed: UInt64) -> Tensor {
        var rng = RandomGenerator(seed: seed)
        return Tensor.randn(shape, rng: &rng)
    }

    /// The check can fail: a gradient that ignores half of x·x (one factor detached) is caught.
    @Test func catchesAWrongGradient() {
        let x = Self.rand([2, 5], 20)
        #expect(gradCheck([x]) { $0[0] * $0[0].detached() } > 0.3)
        #expect(gradCheck([x]) { $0[0] * $0[0] } < 2e-3)
    }

    @Test func convOddStrideAsymmetricPadding() {
        let x = Self.rand([1, 3, 7, 6], 1), w = Self.rand([2, 3, 3, 2], 2), b = Self.rand([2], 3)
        let err = gradCheck([x, w, b]) {
            conv2d($0[0], weight: $0[1], bias: $0[2], stride: (2, 1), padding: Padding(top: 1, bottom: 0, left: 2, right: 1))
        }
        #expect(err < 2e-3, "conv grad error \(err)")
    }

    @Test func batchNormBatchOne() {
        let x = Self.rand([1, 3, 3, 5], 4), w = Self.rand([3], 5), b = Self.rand([3], 6)
        let err = gradCheck([x, w, b]) {
            batchNorm2d($0[0], weight: $0[1], bias: $0[2], runningMean: Tensor.zeros([3]), runningVar: Tensor.ones([3]), training: true)
        }
        #expect(err < 2e-3, "bn grad error \(err)")
    }

    @Test func layerNormOddWidth() {
        let x = Self.rand([2, 3, 7], 7), w = Self.rand([7], 8), b = Self.rand([7], 9)
        let err = gradCheck([x, w, b]) { layerNorm($0[0], weight: $0[1], bias: $0[2]) }
        #expect(err < 2e-3, "ln grad error \(err)")
    }

    @Test func poolsAndActivations() {
        let x = Self.rand([1, 2, 7, 5], 10)
        #expect(gradCheck([x]) { avgPool2d($0[0], kernel: 3, stride: 2, padding: 1) } < 2e-3)
        #expect(gradCheck([x]) { gelu(silu($0[0])) } < 2e-3)
        #expect(gradCheck([x]) { tanh(sigmoid($0[0])) } < 2e-3)
        #expect(gradCheck([x]) { logSoftmax($0[0]) } < 2e-3)
    }

    @Test func broadcastingArithmeticAndReductions() {
        let a = Self.rand([3, 1, 5], 11), b = Self.rand([4, 1], 12)
        #expect(gradCheck([a, b]) { ($0[0] * $0[1] + $0[0] / ($0[1].squared() + 1)).sum(axes: [1], keepDims: true) } < 2e-3)
        #expect(gradCheck([a]) { $0[0].max(axis: 2).exp() } < 2e-3)
        #expect(gradCheck([a, b]) { concat([$0[0].reshaped([3, 5]), $0[1].transposed().sliced(axis: 1, 0..<3).transposed()], axis: 1).mean(axes: [0]) } < 2e-3)
    }

    @Test func attentionFiveTokens() {
        let x = Self.rand([1, 5, 6], 13), qw = Self.rand([18, 6], 14), qb = Self.rand([18], 15)
        let pw = Self.rand([6, 6], 16), pb = Self.rand([6], 17)
        let err = gradCheck([x, qw, qb, pw, pb]) {
            multiHeadSelfAttention($0[0], heads: 2, qkvWeight: $0[1], qkvBias: $0[2], projWeight: $0[3], projBias: $0[4])
        }
        #expect(err < 2e-3, "attention grad error \(err)")
    }

    @Test func lossesOddClasses() {
        let logits = Self.rand([3, 7], 18), teacher = Self.rand([3, 7], 19)
        #expect(gradCheck([logits]) { crossEntropy($0[0], labels: [0, 6, 3], labelSmoothing: 0.2) } < 2e-3)
        #expect(gradCheck([logits]) { distillationLoss(student: $0[0], teacher: teacher, temperature: 2) } < 2e-3)
    }
}

@Suite struct DropoutTests {
    @Test func dropoutScalesKeptValuesAndRoutesGradients() {
        var rng = RandomGenerator(seed: 5)
        let x = Tensor.ones([10_000], requiresGrad: true)
        let y = dropout(x, p: 0.25, training: true, rng: &rng)
        let zeros = y.scalars.filter { $0 == 0 }.count
        #expect(abs(Double(zeros) / 10_000 - 0.25) < 0.02, "dropped \(zeros)")
        #expect(y.scalars.allSatisfy { $0 == 0 || abs($0 - 1 / 0.75) < 1e-6 })
        y.sum().backward()
        #expect(zip(x.grad!.scalars, y.scalars).allSatisfy { $0 == $1 })
        // Evaluation mode is the identity.
        #expect(dropout(x, p: 0.25, training: false, rng: &rng) === x)
    }
}
