// Times Loom's element-wise kernels (forward + backward where they have one) on every ISA path the
// CPU runs, alternating paths within each round and keeping each path's best round.
// Usage (from scripts/kernel-timings; -enable-testing lets it time the internal Winograd transforms):
//   swift build -c release -Xswiftc -enable-testing && .build/release/kernel-timings [rounds] [threads] [name filter]
@testable import Engine
import Foundation

let args = CommandLine.arguments
let rounds = args.count > 1 ? Int(args[1]) ?? 15 : 15
Threads.set(args.count > 2 ? Int(args[2]) ?? 1 : 1)
let filter = args.count > 3 ? args[3] : ""
// portable runs the Swift kernels as they were before the AVX-512 path (the avx2 path differs
// only in AdamW, which it runs from C).
let paths = KernelISA.supported()

func rand(_ shape: [Int], _ seed: UInt64, std: Float = 1) -> Tensor {
    var rng = RandomGenerator(seed: seed)
    return Tensor.randn(shape, std: std, rng: &rng)
}

func param(_ t: Tensor) -> Tensor { let p = t.copy(); p.requiresGrad = true; return p }

/// Forward and backward of `f` on fresh parameters, gradient `g`.
func fwdBwd(_ inputs: [Tensor], _ g: Tensor, _ f: @escaping ([Tensor]) -> Tensor) -> () -> Void {
    let ps = inputs.map(param)
    return {
        for p in ps { p.zeroGrad() }
        f(ps).backward(g)
    }
}

/// Forward only, without recording.
func fwd(_ f: @escaping () -> Tensor) -> () -> Void { { _ = Autograd.noGrad { f() } } }

var cases: [(String, () -> Void)] = []
do {
    let x = rand([128 * 6, 197], 1, std: 3), g = rand([128 * 6, 197], 2)
    cases.append(("softmax 768×197 fwd+bwd", fwdBwd([x], g) { softmax($0[0]) }))
    let s = rand([4096, 65], 3, std: 3), gs = rand([4096, 65], 4)
    cases.append(("softmax 4096×65 fwd+bwd", fwdBwd([s], gs) { softmax($0[0]) }))
}
do {
    let x = rand([1 << 20], 5, std: 2), g = rand([1 << 20], 6)
    cases.append(("gelu 1M fwd", fwd { gelu(x) }))
    cases.append(("gelu 1M fwd+bwd", fwdBwd([x], g) { gelu($0[0]) }))
}
do {
    let b = 8, n = 65, heads = 6, d = 384
    let q = rand([b, n, 3 * d], 7), g = rand([b, n, d], 8)
    cases.append(("attention core 8×65×384 fwd+bwd", fwdBwd([q], g) { fusedSelfAttention($0[0], heads: heads) }))
}
do {
    let x = rand([32 * 65, 384], 9, std: 2), w = rand([384], 10), b = rand([384], 11), g = rand([32 * 65, 384], 12)
    cases.append(("layerNorm 2080×384 fwd+bwd", fwdBwd([x, w, b], g) { layerNorm($0[0], weight: $0[1], bias: $0[2]) }))
}
for (c, hw) in [(64, 32), (512, 7)] {
    let shape = [32, c, hw, hw]
    let x = rand(shape, 13, std: 2), w = rand([c], 14), b = rand([c], 15), r = rand(shape, 16), g = rand(shape, 17)
    let rm = Tensor.zeros([c]), rv = Tensor.ones([c])
    cases.append(("batchNorm+ReLU 32×\(c)×\(hw)×\(hw) fwd+bwd", fwdBwd([x, w, b], g) {
        batchNorm2d($0[0], weight: $0[1], bias: $0[2], runningMean: rm, runningVar: rv, training: true, relu: true)
    }))
    cases.append(("batchNorm+res+ReLU 32×\(c)×\(hw)×\(hw) fwd+bwd", fwdBwd([x, w, b, r], g) {
        batchNorm2d($0[0], weight: $0[1], bias: $0[2], runningMean: rm, runningVar: rv, training: true, relu: true, residual: $0[3])
    }))
    cases.append(("batchNorm eval 32×\(c)×\(hw)×\(hw) fwd", fwd {
        batchNorm2d(x, weight: w, bias: b, runningMean: rm, runningVar: rv, training: false, relu: true)
    }))
}
for (name, kind) in [("sgd momentum", OptimizerKind.sgd(momentum: 0.9, weightDecay: 1e-4)), ("adamw", .adamw()),
                     ("lion", .lion())] {
    let p = param(rand([1 << 22], 18)), g = rand([1 << 22], 19)
    let opt = Optimizer(kind, parameters: [("w", p)], learningRate: 1e-3)
    p.grad = g
    cases.append(("\(name) 4M params step", { opt.step() }))
}
for (c, hw) in [(64, 32), (128, 16), (256, 8)] {
    let x = rand([32, c, hw, hw], 20), w = rand([c, c, 3, 3], 21, std: 0.05), g = rand([32, c, hw, hw], 22)
    cases.append(("conv3×3 (Winograd) 32×\(c)×\(hw)×\(hw) fwd+bwd", fwdBwd([x, w], g) {
        conv2d($0[0], weight: $0[1], padding: Padding(1))
    }))
}
// Winograd F(4×4, 3×3) on few channels, forward and both gradients, single-threaded: the GEMMs
// (O·C per tile) shrink faster than the transforms (C + O per tile), so these show the transforms.
// (Timing the generic transform functions from here would run them unspecialised.)
for (c, hw) in [(16, 32), (16, 64), (32, 16)] {
    let x = rand([32, c, hw, hw], 26), w = rand([c, c, 3, 3], 27, std: 0.1), g = rand([32, c, hw, hw], 28)
    cases.append(("conv3×3 Winograd F4 only 32×\(c)×\(hw)×\(hw) fwd+bwd", fwdBwd([x, w], g) {
        conv2d($0[0], weight: $0[1], bias: nil, stride: (1, 1), padding: Padding(1), relu: false,
               plan: ConvPlan(.winograd4, threads: 1))
    }))
}
do {
    let x = rand([32, 64, 32, 32], 23), w = rand([128, 64, 3, 3], 24, std: 0.05), g = rand([32, 128, 16, 16], 25)
    cases.append(("conv3×3/2 (im2col, col2im) 32×64×32×32 fwd+bwd", fwdBwd([x, w], g) {
        conv2d($0[0], weight: $0[1], stride: (2, 2), padding: Padding(1))
    }))
}

// With one thread every kernel runs on this thread, so its CPU time is the measure: on a shared,
// loaded machine it leaves out the time the thread waits for a core (wall-clock otherwise).
let threadClock = Threads.count == 1
func now() -> Double {
    if threadClock {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) * 1e3 + Double(ts.tv_nsec) / 1e6
    }
    return Double(DispatchTime.now().uptimeNanoseconds) / 1e6
}

print("CPU: \(CPUFacts.current.brand); threads \(Threads.count); best of \(rounds) rounds, paths alternating; "
      + (threadClock ? "thread CPU time" : "wall-clock time"))
print("| kernel | " + paths.map { "\($0.rawValue) ms" }.joined(separator: " | ") + (paths.count > 1 ? " | avx2 ÷ avx512 |" : " |"))
print("|---|" + paths.map { _ in "---:|" }.joined() + (paths.count > 1 ? "---:|" : ""))
for (name, body) in cases where filter.isEmpty || name.contains(filter) {
    var best = [Double](repeating: .infinity, count: paths.count)
    for (i, isa) in paths.enumerated() { KernelISA.with(isa) { body() } ; _ = i }  // warm up
    for _ in 0..<rounds {
        for (i, isa) in paths.enumerated() {
            let t0 = now()
            KernelISA.with(isa) { body() }
            best[i] = min(best[i], now() - t0)
        }
    }
    var row = "| \(name) | " + best.map { String(format: "%.3f", $0) }.joined(separator: " | ")
    if paths.count > 1, let a = paths.firstIndex(of: .avx2), let w = paths.firstIndex(of: .avx512) {
        row += String(format: " | %.2f×", best[a] / best[w])
    }
    print(row + " |")
}
