// Benchmarks: conv layer throughput vs raw sgemm, and model training/inference images/s.
import Engine
import Foundation

/// Wall-clock seconds of the fastest of `reps` runs after one warm-up run.
public func bestTime(reps: Int = 3, _ body: () -> Void) -> Double {
    body()
    var best = Double.infinity
    for _ in 0..<reps {
        let t0 = DispatchTime.now().uptimeNanoseconds
        body()
        best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
    }
    return best
}

/// One conv layer's measured throughput.
public struct ConvBenchRow: Sendable, Codable {
    public let channels: Int, size: Int, batch: Int, threads: Int
    /// GFLOP/s of conv2d forward, backward (dx + dW), and of one cblas_sgemm with the
    /// forward GEMM's shape (M = C, K = 9C, N = batch·H·W).
    public let forward: Double, backward: Double, sgemm: Double
    /// (forward + backward) GFLOP/s as a fraction of sgemm's.
    public var ratio: Double { 3 / (1 / forward + 2 / backward) / sgemm }
}

/// 3×3, stride 1, padding 1 convolutions C→C at H×W (the CIFAR ResNet-18 body).
public func benchConv(channels c: Int, size s: Int, batch: Int, threads: Int, reps: Int = 3) -> ConvBenchRow {
    Threads.set(threads)
    var rng = RandomGenerator(seed: 1)
    let x = Tensor.randn([batch, c, s, s], rng: &rng), w = Tensor.randn([c, c, 3, 3], std: 0.05, rng: &rng)
    x.requiresGrad = true; w.requiresGrad = true
    let flops = 2.0 * Double(batch * c * c * 9 * s * s)
    let fwd = bestTime(reps: reps) { _ = Autograd.noGrad { conv2d(x, weight: w, padding: Padding(1)) } }
    let dOut = Tensor.randn([batch, c, s, s], rng: &rng)
    let both = bestTime(reps: reps) {
        x.zeroGrad(); w.zeroGrad()
        conv2d(x, weight: w, padding: Padding(1)).backward(dOut)
    }
    let bwd = max(both - fwd, 1e-9)
    let m = c, k = 9 * c, n = batch * s * s
    let a = Tensor.randn([m, k], rng: &rng), b = Tensor.randn([k, n], rng: &rng), out = Tensor(uninitialized: [m, n])
    let g = bestTime(reps: reps) { gemm(m: m, n: n, k: k, a: a.ptr, lda: k, b: b.ptr, ldb: n, c: out.ptr, ldc: n, threads: threads) }
    return ConvBenchRow(channels: c, size: s, batch: batch, threads: threads,
                        forward: flops / fwd / 1e9, backward: 2 * flops / bwd / 1e9, sgemm: flops / g / 1e9)
}

/// A model's measured training and inference speed.
public struct ModelBenchRow: Sendable, Codable {
    public let model: String, batch: Int, threads: Int
    public let trainImagesPerSecond: Double, inferImagesPerSecond: Double
    /// Conv and matmul FLOPs of one image's forward pass, as the FLOP counter measured them.
    public let flopsPerImage: Int
    public let peakRSSMB: Double
}

/// Times one SGD training step (forward, cross-entropy, backward, update) and one
/// evaluation forward on synthetic 100-class data.
public func benchModel(_ name: String, _ model: Classifier, imageSize: Int, classes: Int, batch: Int, threads: Int, reps: Int = 3) -> ModelBenchRow {
    Threads.set(threads)
    var rng = RandomGenerator(seed: 2)
    let x = Tensor.randn([batch, 3, imageSize, imageSize], rng: &rng)
    let labels = (0..<batch).map { _ in rng.below(classes) }
    let opt = Optimizer(.sgd(momentum: 0.9, weightDecay: 5e-4), parameters: model.namedParameters(), learningRate: 0.01)
    model.train()
    let train = bestTime(reps: reps) {
        opt.zeroGrad()
        _ = model.accumulateGradients(x) { logits, _, rows in crossEntropy(logits, labels: Array(labels[rows])) }
        opt.step()
    }
    model.eval()
    let infer = bestTime(reps: reps) { _ = Autograd.noGrad { model(x) } }
    let one = Tensor.randn([1, 3, imageSize, imageSize], rng: &rng)
    let (_, flops) = FLOPCounter.measure { Autograd.noGrad { model(one) } }
    return ModelBenchRow(model: name, batch: batch, threads: threads,
                         trainImagesPerSecond: Double(batch) / train, inferImagesPerSecond: Double(batch) / infer,
                         flopsPerImage: flops, peakRSSMB: peakRSSMegabytes())
}

/// Peak resident set size of this process (VmHWM), in MiB.
public func peakRSSMegabytes() -> Double {
    guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in s.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        let kb = Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
        return kb / 1024
    }
    return 0
}
