// Fourier heat map (Yin et al. 2019, docs/methods.md §7.5): test error under each Fourier-basis perturbation.
import Engine

/// Error rate per Fourier basis U_ij over the H×W grid of the shifted spectrum.
public struct FourierHeatmapResult: Codable, Equatable, Sendable {
    public var height: Int, width: Int
    /// Error rate at each basis (i, j), H×W row-major, low frequencies at the centre (H/2, W/2);
    /// point-symmetric about the centre: (i, j) and its mirror share one evaluation.
    public var errors: [Double]
    /// Error rate of the same images without perturbation.
    public var cleanError: Double
    /// The perturbation norm v (pixel scale [0, 1]).
    public var norm: Double
    /// Images evaluated per basis.
    public var examples: Int
    public var seed: UInt64
}

extension FourierAnalyses {
    /// The default norm v: 4.0, gatheluck/FourierHeatmap's CIFAR default (Yin et al. use 15.7 on ImageNet).
    public static let heatmapNorm = 4.0

    /// Yin et al.'s Fourier heat map. For each basis U_ij (unit L2 norm, `FourierFilter.basis`), every
    /// image is perturbed as clip(x + r·v·U_ij, 0, 1) with r ∈ {−1, +1} per image and channel, then
    /// normalised and classified; the cell holds the error rate. The map is point-symmetric, so
    /// only one basis of each mirror pair is evaluated (the H×(W/2+1) half; in the self-mirroring
    /// columns only the upper rows) and copied to its mirror.
    ///
    /// - Parameters:
    ///   - norm: v, on the [0, 1] pixel scale (default 4.0, for 32×32 CIFAR).
    ///   - examples: evaluate this many images, drawn without replacement from `seed` (all when nil
    ///     or at least N).
    ///   - seed: fixes the subsample and the signs r (drawn once per image and channel, shared by
    ///     every basis so that cells differ only in frequency).
    ///   - progress: called after each forward pass with (passes done, passes).
    public static func fourierHeatmap(model: Classifier, pixels: Tensor, labels: [Int], normalization: Normalization,
                                      batchSize: Int, norm: Double = heatmapNorm, examples: Int? = nil, seed: UInt64 = 0,
                                      progress: AnalysisProgress? = nil) throws -> FourierHeatmapResult {
        try AnalysisEval.validate(model: model, pixels: pixels, labels: labels, batchSize: batchSize)
        guard norm.isFinite, norm >= 0 else { throw AnalysisError("norm \(norm) must be finite and non-negative (4.0 for CIFAR)") }
        if let e = examples, e < 1 { throw AnalysisError("examples must be at least 1, got \(e)") }
        let n = pixels.dim(0), (h, w) = (pixels.dim(2), pixels.dim(3)), hw = h * w, per = 3 * hw
        var rng = SeededRNG(seed: seed)
        let chosen: [Int] = examples.map { $0 < n ? Array(rng.permutation(n).prefix($0)).sorted() : Array(0..<n) } ?? Array(0..<n)
        let e = chosen.count
        let signs: [Float] = (0..<(3 * e)).map { _ in rng.next() & 1 == 0 ? 1 : -1 }
        let sub = Tensor(uninitialized: [e, 3, h, w])
        for (k, i) in chosen.enumerated() { (sub.ptr + k * per).update(from: pixels.ptr + i * per, count: per) }
        let subLabels = chosen.map { labels[$0] }

        // One representative per mirror pair, in the H×(W/2+1) half.
        var cells: [(Int, Int)] = []
        for i in 0..<h {
            for j in 0...(w / 2) {
                let m = FourierFilter.mirror(row: i, column: j, height: h, width: w)
                if m.column == j && m.row < i { continue }
                cells.append((i, j))
            }
        }
        let items = cells.count * e
        let passes = (items + batchSize - 1) / batchSize
        let cleanPreds = AnalysisEval.predictions(model: model, pixels: sub, normalization: normalization, batchSize: batchSize)
        var wrong = [Int](repeating: 0, count: cells.count)
        let v = Float(norm)
        for pass in 0..<passes {
            let lo = pass * batchSize, hi = min(items, lo + batchSize)
            let first = lo / e, last = (hi - 1) / e
            // The bases this pass touches, back to back (computing one is an H×W inverse FFT).
            let bases = (first...last).flatMap { FourierFilter.basis(height: h, width: w, row: cells[$0].0, column: cells[$0].1) }
            let x = Tensor(uninitialized: [hi - lo, 3, h, w])
            let out = SendPtr(x.ptr), src = SendPtr(sub.ptr)
            let scale = (0..<3).map { 1 / normalization.std[$0] }, bias = (0..<3).map { -normalization.mean[$0] / normalization.std[$0] }
            signs.withUnsafeBufferPointer { sg in
            bases.withUnsafeBufferPointer { bs in
                let sp = SendPtr(UnsafeMutablePointer(mutating: sg.baseAddress!))
                let bp = SendPtr(UnsafeMutablePointer(mutating: bs.baseAddress!))
                parallelFor(hi - lo, costPerItem: per * 4) { a, b in
                    for t in a..<b {
                        let item = lo + t, img = item % e
                        let u = bp.p + (item / e - first) * hw
                        for ch in 0..<3 {
                            let amp = sp[img * 3 + ch] * v, sc = scale[ch], bi = bias[ch]
                            let s = src.p + img * per + ch * hw, d = out.p + t * per + ch * hw
                            for k in 0..<hw { d[k] = min(1, max(0, s[k] + amp * u[k])) * sc + bi }
                        }
                    }
                }
            }
            }
            for (t, p) in predict(model, x).enumerated() {
                let item = lo + t
                if p != subLabels[item % e] { wrong[item / e] += 1 }
            }
            progress?(pass + 1, passes)
        }
        var errors = [Double](repeating: 0, count: hw)
        for (c, (i, j)) in cells.enumerated() {
            let rate = Double(wrong[c]) / Double(e)
            let m = FourierFilter.mirror(row: i, column: j, height: h, width: w)
            errors[i * w + j] = rate
            errors[m.row * w + m.column] = rate
        }
        return FourierHeatmapResult(height: h, width: w, errors: errors, cleanError: 1 - AnalysisEval.accuracy(cleanPreds, subLabels),
                                    norm: norm, examples: e, seed: seed)
    }
}
