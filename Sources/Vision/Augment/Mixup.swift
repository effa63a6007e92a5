// Mixup and CutMix with timm's `Mixup` semantics (batch mode), producing soft targets.
import Engine
import Foundation

/// timm's `Mixup` in batch mode: with probability `probability`, mix the whole batch with
/// its reverse, either by Mixup (λ ~ Beta(α_m, α_m)) or by CutMix (λ ~ Beta(α_c, α_c), a box
/// of side √(1−λ) pasted, λ corrected to the clipped box area), choosing CutMix with
/// `switchProbability` when both are enabled. Targets are smoothed one-hots mixed by λ.
public struct Mixup: Equatable, Sendable, Codable {
    public var mixupAlpha: Double
    public var cutmixAlpha: Double
    public var probability: Double
    public var switchProbability: Double
    public var labelSmoothing: Double

    public init(mixupAlpha: Double = 0.8, cutmixAlpha: Double = 1.0, probability: Double = 1.0,
                switchProbability: Double = 0.5, labelSmoothing: Double = 0.1) {
        self.mixupAlpha = mixupAlpha; self.cutmixAlpha = cutmixAlpha; self.probability = probability
        self.switchProbability = switchProbability; self.labelSmoothing = labelSmoothing
    }

    /// What was drawn for one batch.
    public struct Draw: Equatable {
        public var lambda: Double
        /// The pasted box (y0, y1, x0, x1) when CutMix was used.
        public var box: (Int, Int, Int, Int)?
        public static func == (a: Draw, b: Draw) -> Bool {
            a.lambda == b.lambda && a.box.map { [$0.0, $0.1, $0.2, $0.3] } == b.box.map { [$0.0, $0.1, $0.2, $0.3] }
        }
    }

    /// Draws λ and (for CutMix) the box for an image of height h and width w.
    public func draw(height h: Int, width w: Int, rng: inout SeededRNG) -> Draw {
        guard rng.uniform() < probability, mixupAlpha > 0 || cutmixAlpha > 0 else { return Draw(lambda: 1, box: nil) }
        let useCutmix: Bool
        if mixupAlpha > 0 && cutmixAlpha > 0 { useCutmix = rng.uniform() < switchProbability }
        else { useCutmix = cutmixAlpha > 0 }
        let alpha = useCutmix ? cutmixAlpha : mixupAlpha
        let lam = Self.beta(alpha, rng: &rng)
        guard useCutmix else { return Draw(lambda: lam, box: nil) }
        let ratio = (1 - lam).squareRoot()
        let cutH = Int(Double(h) * ratio), cutW = Int(Double(w) * ratio)
        let cy = rng.int(below: h), cx = rng.int(below: w)
        let y0 = min(max(cy - cutH / 2, 0), h), y1 = min(max(cy + cutH / 2, 0), h)
        let x0 = min(max(cx - cutW / 2, 0), w), x1 = min(max(cx + cutW / 2, 0), w)
        let corrected = 1 - Double((y1 - y0) * (x1 - x0)) / Double(h * w)
        return Draw(lambda: corrected, box: (y0, y1, x0, x1))
    }

    /// Mixes a batch in place-free fashion: returns mixed images and soft targets (N, classes).
    public func apply(_ images: Tensor, labels: [Int], classes: Int, rng: inout SeededRNG) -> (Tensor, Tensor, Draw) {
        let n = images.dim(0), c = images.dim(1), h = images.dim(2), w = images.dim(3), plane = c * h * w
        let d = draw(height: h, width: w, rng: &rng)
        let out = images.copy()
        let lam = Float(d.lambda)
        if let (y0, y1, x0, x1) = d.box {
            for i in 0..<n {
                let src = images.ptr + (n - 1 - i) * plane, dst = out.ptr + i * plane
                for ch in 0..<c { for y in y0..<y1 { for x in x0..<x1 {
                    dst[(ch * h + y) * w + x] = src[(ch * h + y) * w + x]
                } } }
            }
        } else if d.lambda < 1 {
            for i in 0..<n {
                let a = images.ptr + i * plane, b = images.ptr + (n - 1 - i) * plane, o = out.ptr + i * plane
                for q in 0..<plane { o[q] = a[q] * lam + b[q] * (1 - lam) }
            }
        }
        return (out, Self.targets(labels, classes: classes, lambda: d.lambda, smoothing: labelSmoothing), d)
    }

    /// λ·smooth(onehot(y)) + (1−λ)·smooth(onehot(flip(y))), smoothing off = ε/K, on = 1−ε+off.
    public static func targets(_ labels: [Int], classes k: Int, lambda: Double, smoothing: Double) -> Tensor {
        let n = labels.count
        let off = Float(smoothing / Double(k)), on = Float(1 - smoothing) + off, lam = Float(lambda)
        let t = Tensor.full([n, k], off)
        for i in 0..<n {
            t.ptr[i * k + labels[i]] += (on - off) * lam
            t.ptr[i * k + labels[n - 1 - i]] += (on - off) * (1 - lam)
        }
        return t
    }

    /// A Beta(α, α) sample via two Gamma(α) draws (Marsaglia–Tsang).
    static func beta(_ a: Double, rng: inout SeededRNG) -> Double {
        let x = gamma(a, rng: &rng), y = gamma(a, rng: &rng)
        return x / (x + y)
    }

    static func gamma(_ a: Double, rng: inout SeededRNG) -> Double {
        if a < 1 { return gamma(a + 1, rng: &rng) * pow(max(rng.uniform(), 1e-300), 1 / a) }
        let d = a - 1.0 / 3, c = 1 / (9 * d).squareRoot()
        while true {
            var x: Double, v: Double
            repeat { x = rng.normal(); v = 1 + c * x } while v <= 0
            v = v * v * v
            let u = rng.uniform()
            if u < 1 - 0.0331 * x * x * x * x || log(max(u, 1e-300)) < 0.5 * x * x + d * (1 - v + log(v)) { return d * v }
        }
    }
}
