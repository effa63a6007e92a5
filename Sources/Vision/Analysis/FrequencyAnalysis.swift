// Fourier analysis of feature maps (Park & Kim 2022, docs/methods.md §7.2): per-layer ΔLog-amplitude curves.
import Engine
import Foundation

/// The spectrum summary of one latent.
public struct LayerSpectrum: Codable, Equatable, Sendable {
    /// timm-like name: `stem`, `layer1.0`, …, `embed`, `blocks.0.attn`, `blocks.0.mlp`, ….
    public var name: String
    public var kind: LatentKind
    /// Map side H (the latent is H×H).
    public var size: Int
    /// Channels averaged over.
    public var channels: Int
    /// Δ[k] = d[k] − d[0] along the diagonal of the mean shifted log-amplitude map, k = 0 … ⌈H/2⌉−1
    /// (Δ[0] = 0); point k is the diagonal entry (H/2 + k, H/2 + k).
    public var delta: [Double]
    /// Per-axis frequency of each Δ point in units of π: 2k/H (the radial frequency is √2 times it).
    public var frequencies: [Double]
    /// The paper's "high-frequency ΔLog amplitude": Δ at the last diagonal point.
    public var deltaLast: Double
    /// The per-axis frequency that last point really is, in units of π: 1 − 2/H for even H (not 1).
    public var lastFrequency: Double
    /// Δ at the fixed per-axis frequency π/2 (diagonal offset H/4, linearly interpolated between
    /// points when H/4 is fractional); nil when the map is too small to reach π/2 (H < 4).
    public var deltaAtHalfPi: Double?
    /// Normalised depth x_l = l/(L−1) over all latents (0 when there is one).
    public var depth: Double
    /// Shaded in Park & Kim's depth plot: downsampling blocks (stride 2) and attention sublayers.
    public var shaded: Bool
    /// The mean log-amplitude map M (H×H, row-major), rolled so zero frequency is at (H/2, H/2).
    public var meanLogAmplitude: [Float]
}

/// The Fourier analysis of a model's latents over a set of images.
public struct LatentSpectra: Codable, Equatable, Sendable {
    /// One entry per latent, in depth order (head excluded).
    public var layers: [LayerSpectrum]
    /// Images averaged over.
    public var images: Int
}

extension FourierAnalyses {
    /// Park & Kim's Fourier analysis of feature maps (docs/methods.md §7.2). For each latent
    /// X[b, c] (H×H): A = log(|DFT2(X[b, c])| + 1e-6), taken before averaging; M = mean of A over
    /// all images and channels, rolled so zero frequency sits at (H/2, H/2); d[k] = M[H/2+k, H/2+k];
    /// Δ[k] = d[k] − d[0]. Images are processed `batchSize` at a time, so memory stays bounded.
    ///
    /// - Parameters:
    ///   - model: a ResNet or ViT (`LatentProviding`); put in evaluation mode.
    ///   - pixels: raw images in [0, 1], (N, 3, H, W) at the model's resolution.
    ///   - normalization: applied per channel before the model.
    ///   - progress: called after each batch with (images done, images).
    public static func latentSpectra(model: Classifier, pixels: Tensor, normalization: Normalization, batchSize: Int,
                                     progress: AnalysisProgress? = nil) throws -> LatentSpectra {
        try AnalysisEval.validate(model: model, pixels: pixels, labels: nil, batchSize: batchSize)
        guard let provider = model as? LatentProviding else {
            throw AnalysisError("\(type(of: model)) does not expose its latents; the Fourier analysis of feature maps supports ResNet and ViT")
        }
        model.eval()
        let n = pixels.dim(0)
        var names: [(String, LatentKind, Int, Int)] = []   // name, kind, side, channels
        var sums: [[Double]] = []
        var start = 0
        while start < n {
            let range = start..<min(n, start + batchSize)
            let x = AnalysisEval.normalizedBatch(pixels, range, normalization)
            let latents = try Autograd.noGrad { try provider.latents(x) }
            if names.isEmpty {
                for l in latents {
                    guard l.value.rank == 4, l.value.dim(2) == l.value.dim(3) else {
                        throw AnalysisError("latent \(l.name) has shape \(l.value.shape); the analysis needs square H×H maps (use square images)")
                    }
                    names.append((l.name, l.kind, l.value.dim(2), l.value.dim(1)))
                    sums.append([Double](repeating: 0, count: l.value.dim(2) * l.value.dim(2)))
                }
            }
            for (i, l) in latents.enumerated() {
                accumulateLogAmplitude(l.value, into: &sums[i])
            }
            start = range.upperBound
            progress?(start, n)
        }
        let count = names.count
        let layers = names.enumerated().map { i, info in
            let (name, kind, side, channels) = info
            let mean = sums[i].map { $0 / Double(n * channels) }
            return spectrum(name: name, kind: kind, side: side, channels: channels, meanMap: mean,
                            depth: count > 1 ? Double(i) / Double(count - 1) : 0)
        }
        return LatentSpectra(layers: layers, images: n)
    }

    /// The Δ curve and its summaries from a mean shifted log-amplitude map.
    static func spectrum(name: String, kind: LatentKind, side h: Int, channels: Int, meanMap m: [Double], depth: Double) -> LayerSpectrum {
        let c = h / 2
        let d = (c..<h).map { m[$0 * h + $0] }
        let delta = d.map { $0 - d[0] }
        let freqs = delta.indices.map { 2 * Double($0) / Double(h) }
        let quarter = Double(h) / 4
        var atHalfPi: Double? = nil
        if quarter <= Double(delta.count - 1) {
            let lo = Int(quarter.rounded(.down)), t = quarter - Double(lo)
            atHalfPi = t == 0 ? delta[lo] : (1 - t) * delta[lo] + t * delta[lo + 1]
        }
        return LayerSpectrum(name: name, kind: kind, size: h, channels: channels, delta: delta, frequencies: freqs,
                             deltaLast: delta.last!, lastFrequency: freqs.last!, deltaAtHalfPi: atHalfPi, depth: depth,
                             shaded: kind.isShaded, meanLogAmplitude: m.map { Float($0) })
    }

    /// Adds Σ over images and channels of log(|DFT2(X[b, c])| + 1e-6), in the shifted layout, to `sum`.
    /// Planes go two at a time through one complex FFT (a + i·b), split by conjugate symmetry, and
    /// each conjugate pair of bins takes one logarithm.
    /// Work is cut into fixed groups of planes whose partial sums are added in order, so the
    /// result does not depend on the thread count.
    static func accumulateLogAmplitude(_ x: Tensor, into sum: inout [Double]) {
        let h = x.dim(2), w = x.dim(3), hw = h * w
        let planes = x.dim(0) * x.dim(1)
        let group = 8
        let groups = (planes + group - 1) / group
        let shifted = (0..<hw).map { k in ((k / w + h / 2) % h) * w + (k % w + w / 2) % w }
        let negated = (0..<hw).map { k in ((h - k / w) % h) * w + (w - k % w) % w }
        var partial = [Double](repeating: 0, count: groups * hw)
        let src = SendPtr(x.ptr)
        partial.withUnsafeMutableBufferPointer { pb in
            let out = SendPtr(pb.baseAddress!)
            shifted.withUnsafeBufferPointer { sh in
            negated.withUnsafeBufferPointer { ng in
                let shp = SendPtr(UnsafeMutablePointer(mutating: sh.baseAddress!))
                let ngp = SendPtr(UnsafeMutablePointer(mutating: ng.baseAddress!))
                parallelFor(groups, costPerItem: group * hw * 60) { lo, hi in
                    let pairs = group / 2
                    let re = UnsafeMutablePointer<Double>.allocate(capacity: pairs * hw)
                    let im = UnsafeMutablePointer<Double>.allocate(capacity: pairs * hw)
                    defer { re.deallocate(); im.deallocate() }
                    for g in lo..<hi {
                        let first = g * group, count = min(group, planes - first)
                        let used = (count + 1) / 2
                        for p in 0..<used {
                            let a = src.p + (first + 2 * p) * hw
                            for k in 0..<hw { re[p * hw + k] = Double(a[k]) }
                            if 2 * p + 1 < count {
                                let b = a + hw
                                for k in 0..<hw { im[p * hw + k] = Double(b[k]) }
                            } else {
                                (im + p * hw).update(repeating: 0, count: hw)
                            }
                        }
                        FFT.transform2D(re: re, im: im, planes: used, height: h, width: w, parallel: false)
                        let acc = out.p + g * hw
                        for p in 0..<used {
                            let zr = re + p * hw, zi = im + p * hw
                            let hasB = 2 * p + 1 < count
                            // |A[−k]| = |A[k]| (same operands, bit for bit), so each pair k, −k takes one log.
                            for k in 0..<hw {
                                let nk = ngp[k]
                                if nk < k { continue }
                                let xr = zr[k], xi = zi[k], yr = zr[nk], yi = zi[nk]
                                // A = (Z[k] + conj Z[−k]) / 2, B = (Z[k] − conj Z[−k]) / 2i.
                                let sa = (xr + yr) * (xr + yr) + (xi - yi) * (xi - yi)
                                var v = Foundation.log(0.5 * sa.squareRoot() + 1e-6)
                                if hasB {
                                    let sb = (xi + yi) * (xi + yi) + (xr - yr) * (xr - yr)
                                    v += Foundation.log(0.5 * sb.squareRoot() + 1e-6)
                                }
                                acc[shp[k]] += v
                                if nk != k { acc[shp[nk]] += v }
                            }
                        }
                    }
                }
            }
            }
        }
        for g in 0..<groups {
            for k in 0..<hw { sum[k] += partial[g * hw + k] }
        }
    }
}
