// Optimizers: SGD (momentum, Nesterov, coupled L2), AdamW and Lion (decoupled decay).
import CKernels
import Foundation

/// Which update rule, with its hyper-parameters (learning rate comes from the schedule).
public enum OptimizerKind: Equatable, Sendable, Codable {
    /// PyTorch SGD: g += λθ; b = μb + g; d = nesterov ? g + μb : b; θ −= lr·d.
    case sgd(momentum: Float = 0.9, weightDecay: Float = 0, nesterov: Bool = false)
    /// PyTorch AdamW: θ ·= 1 − lr·λ; bias-corrected Adam step.
    case adamw(beta1: Float = 0.9, beta2: Float = 0.999, eps: Float = 1e-8, weightDecay: Float = 0.01)
    /// Lion (Chen et al. 2023, timm): θ ·= 1 − lr·λ; θ −= lr·sign(β₁m + (1−β₁)g); m = β₂m + (1−β₂)g.
    case lion(beta1: Float = 0.9, beta2: Float = 0.99, weightDecay: Float = 0)

    /// The decay λ of whichever rule (coupled for SGD, decoupled for AdamW and Lion); tables and labels show it.
    public var weightDecay: Float {
        switch self {
        case let .sgd(_, wd, _), let .adamw(_, _, _, wd), let .lion(_, _, wd): return wd
        }
    }
}

/// An optimizer over named parameters. With `exemptOneDimensional` (timm's default), biases
/// and norm weights (parameters with ≤ 1 dimension) get no weight decay.
public final class Optimizer {
    public let kind: OptimizerKind
    public var learningRate: Float
    public let parameters: [(String, Tensor)]
    public let exemptOneDimensional: Bool
    /// Per-parameter state: momentum / first moment, second moment.
    private var state1: [Tensor?]
    private var state2: [Tensor?]
    /// Number of `step()` calls so far.
    public private(set) var steps: Int = 0

    public init(_ kind: OptimizerKind, parameters: [(String, Tensor)], learningRate: Float, exemptOneDimensional: Bool = false) {
        self.kind = kind
        self.parameters = parameters
        self.learningRate = learningRate
        self.exemptOneDimensional = exemptOneDimensional
        state1 = Array(repeating: nil, count: parameters.count)
        state2 = Array(repeating: nil, count: parameters.count)
    }

    /// Applies one update from the parameters' accumulated gradients (those without one are skipped).
    public func step() {
        steps += 1
        let lr = learningRate
        // Lion takes the AVX-512 kernel where that path is chosen; AdamW its AVX2 one on both.
        let isa = KernelISA.current, wide = isa == .avx512
        for (i, (_, p)) in parameters.enumerated() {
            guard let g = p.grad else { continue }
            let wd = exemptOneDimensional && p.rank <= 1 ? 0 : kind.weightDecay
            let n = p.count, x = SendPtr(p.ptr), gp = SendPtr(g.ptr)
            switch kind {
            case let .sgd(mu, _, nesterov):
                if mu == 0 {
                    parallelFor(n, costPerItem: 4) { a, b in for j in a..<b { x[j] -= lr * (gp[j] + wd * x[j]) } }
                    continue
                }
                let first = state1[i] == nil
                let buf = state1[i] ?? Tensor(uninitialized: p.shape)
                state1[i] = buf
                let bp = SendPtr(buf.ptr)
                // SGD stays on the 256-bit Swift loop on every kernel path: it streams three arrays
                // with two operations per element, and the AVX-512 version measured no faster
                // (0.97–1.00× in scripts/kernel-timings, 4M parameters, Zen 4).
                parallelFor(n, costPerItem: 6) { a, b in
                    for j in a..<b {
                        let d = gp[j] + wd * x[j]
                        let m = first ? d : mu * bp[j] + d
                        bp[j] = m
                        x[j] -= lr * (nesterov ? d + mu * m : m)
                    }
                }
            case let .adamw(b1, b2, eps, _):
                let m = state1[i] ?? Tensor.zeros(p.shape), v = state2[i] ?? Tensor.zeros(p.shape)
                state1[i] = m; state2[i] = v
                let mp = SendPtr(m.ptr), vp = SendPtr(v.ptr)
                let bc1 = 1 - Float(pow(Double(b1), Double(steps))), bc2 = 1 - Float(pow(Double(b2), Double(steps)))
                let stepSize = lr / bc1, bc2Sqrt = bc2.squareRoot()
                parallelFor(n, costPerItem: 10) { a, b in
                    // LLVM keeps this loop scalar from Swift (vsqrtss/vdivss, even with SIMD8 types):
                    // both x86 paths run the same operations in eight lanes from C. (A sixteen-lane
                    // AVX-512 version measured no faster than this one: 0.95×, 4M parameters.)
                    #if arch(x86_64)
                    if isa == .avx2 || isa == .avx512 {
                        return lk256_adamw(x.p + a, gp.p + a, mp.p + a, vp.p + a, b - a, 1 - lr * wd, b1, 1 - b1, b2, 1 - b2,
                                           stepSize, bc2Sqrt, eps)
                    }
                    #endif
                    for j in a..<b {
                        x[j] *= 1 - lr * wd
                        mp[j] = b1 * mp[j] + (1 - b1) * gp[j]
                        vp[j] = b2 * vp[j] + (1 - b2) * gp[j] * gp[j]
                        x[j] -= stepSize * mp[j] / (vp[j].squareRoot() / bc2Sqrt + eps)
                    }
                }
            case let .lion(b1, b2, _):
                let m = state1[i] ?? Tensor.zeros(p.shape)
                state1[i] = m
                let mp = SendPtr(m.ptr)
                parallelFor(n, costPerItem: 6) { a, b in
                    #if arch(x86_64)
                    if wide { return lk512_lion(x.p + a, gp.p + a, mp.p + a, b - a, 1 - lr * wd, lr, b1, 1 - b1, b2, 1 - b2) }
                    #endif
                    for j in a..<b {
                        x[j] *= 1 - lr * wd
                        let c = b1 * mp[j] + (1 - b1) * gp[j]
                        x[j] -= lr * (c > 0 ? 1 : (c < 0 ? -1 : 0))
                        mp[j] = b2 * mp[j] + (1 - b2) * gp[j]
                    }
                }
            }
        }
    }

    /// Clears the gradients of all parameters.
    public func zeroGrad() { for (_, p) in parameters { p.zeroGrad() } }

    /// The optimizer's state as named tensors (`<param>.m`, `<param>.v`) plus the step count,
    /// for checkpoints.
    public func stateDict() -> [String: Tensor] {
        var d: [String: Tensor] = ["__steps__": Tensor(scalar: Float(steps))]
        for (i, (name, _)) in parameters.enumerated() {
            if let m = state1[i] { d[name + ".m"] = m }
            if let v = state2[i] { d[name + ".v"] = v }
        }
        return d
    }

    /// Restores state written by `stateDict()`.
    /// The step count is checked before it becomes an `Int`: it comes from a file, and `Int(Float)` traps on
    /// NaN, infinities and values past `Int.max` (found by fuzzing the checkpoint reader).
    public func load(stateDict d: [String: Tensor]) throws {
        var restoredSteps = 0
        if let t = d["__steps__"] {
            let value = t.count == 1 ? t.item : .nan
            guard t.count == 1, value.isFinite, value >= 0, value <= Optimizer.maxSteps, value == value.rounded() else {
                throw StateDictError.badValue(name: "__steps__", found: t.count == 1 ? "\(value)" : "shape \(t.shape)",
                                              expected: "one whole number of optimizer steps in 0...\(Int(Optimizer.maxSteps))")
            }
            restoredSteps = Int(value)
        }
        for (i, (name, p)) in parameters.enumerated() {
            for (suffix, slot) in [(".m", 1), (".v", 2)] {
                guard let t = d[name + suffix] else { continue }
                guard t.count == p.count else {
                    throw StateDictError.shapeMismatch(name: name + suffix, expected: p.shape, found: t.shape)
                }
                let copy = t.copy().reshaped(p.shape).detached()
                if slot == 1 { state1[i] = copy } else { state2[i] = copy }
            }
        }
        steps = restoredSteps
    }

    /// The largest step count a checkpoint may hold (2^40, exact in Float32; far beyond any real run).
    static let maxSteps: Float = 1_099_511_627_776
}
