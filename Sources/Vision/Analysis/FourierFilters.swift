// Fourier filters on raw [0, 1] image planes: low/high-pass masks, band-limited noise, the Fourier basis, hybrids.
import Engine

/// Forward 2-D spectra of a stack of Float planes, kept in Double for masking and inverting.
struct PlaneSpectra {
    let planes: Int, height: Int, width: Int
    var re: [Double], im: [Double]

    /// DFT2 of `planes` consecutive H×W planes at `p`.
    init(_ p: UnsafePointer<Float>, planes: Int, height: Int, width: Int) {
        self.planes = planes; self.height = height; self.width = width
        let n = planes * height * width
        re = (0..<n).map { Double(p[$0]) }
        im = [Double](repeating: 0, count: n)
        re.withUnsafeMutableBufferPointer { r in
            im.withUnsafeMutableBufferPointer { i in
                FFT.transform2D(re: r.baseAddress!, im: i.baseAddress!, planes: planes, height: height, width: width)
            }
        }
    }

    /// Writes (or, with `accumulate`, adds) `scale · Re(IDFT2(F · mask))` into `out`, where `mask`
    /// is in the unshifted layout (index 0 = zero frequency) and applies to every plane.
    func maskedInverse(_ mask: [Bool], into out: UnsafeMutablePointer<Float>, scale: Double = 1, accumulate: Bool = false) {
        let hw = height * width
        precondition(mask.count == hw, "mask has \(mask.count) entries for \(height)×\(width) planes")
        var r = re, i = im
        for p in 0..<planes {
            for k in 0..<hw where !mask[k] { r[p * hw + k] = 0; i[p * hw + k] = 0 }
        }
        r.withUnsafeMutableBufferPointer { rb in
            i.withUnsafeMutableBufferPointer { ib in
                FFT.transform2D(re: rb.baseAddress!, im: ib.baseAddress!, planes: planes, height: height, width: width, inverse: true)
            }
        }
        for k in 0..<(planes * hw) {
            let v = Float(scale * r[k])
            out[k] = accumulate ? out[k] + v : v
        }
    }
}

/// Frequency filters and perturbations of docs/methods.md §7 on (N, C, H, W) tensors of raw pixels.
/// Masks are given in the shifted layout (zero frequency at (H/2, W/2), numpy `fftshift`);
/// filtered images are the real part of the inverse DFT and are not clipped.
public enum FourierFilter {
    /// The shape of a low-pass region: a disc (Wang et al.) or a centred square (Yin et al.).
    public enum Shape: String, Codable, Sendable, CaseIterable {
        /// Keep frequencies at distance < r from the centre (r = the cutoff, in frequency bins).
        case radial
        /// Keep the centred B×B block (B = the cutoff, a whole number of bins).
        case square
    }

    /// The low-pass mask in the shifted layout: radial keeps `(u − H/2)² + (v − W/2)² < r²`;
    /// square keeps rows and columns `[c − ⌊B/2⌋, c − ⌊B/2⌋ + B)` around c = H/2 (resp. W/2), as
    /// slicing the shifted spectrum does (for even B the block has one more negative than positive
    /// frequency; the real part of the inverse then keeps the unpaired edge at half weight).
    public static func lowPassMask(height: Int, width: Int, cutoff: Double, shape: Shape) -> [Bool] {
        precondition(cutoff >= 0, "cutoff must be non-negative, got \(cutoff)")
        let ch = height / 2, cw = width / 2
        var mask = [Bool](repeating: false, count: height * width)
        switch shape {
        case .radial:
            for u in 0..<height {
                for v in 0..<width {
                    let du = Double(u - ch), dv = Double(v - cw)
                    mask[u * width + v] = du * du + dv * dv < cutoff * cutoff
                }
            }
        case .square:
            precondition(cutoff == cutoff.rounded(), "a square band needs a whole number of bins, got \(cutoff)")
            let b = Int(cutoff)
            let rows = max(0, ch - b / 2)..<min(height, ch - b / 2 + b)
            let cols = max(0, cw - b / 2)..<min(width, cw - b / 2 + b)
            for u in rows { for v in cols { mask[u * width + v] = true } }
        }
        return mask
    }

    /// Low-pass filtered copy of (N, C, H, W) `pixels` (keeps the mask of `lowPassMask`).
    public static func lowPass(_ pixels: Tensor, cutoff: Double, shape: Shape = .radial) -> Tensor {
        filtered(pixels, shiftedMask: lowPassMask(height: pixels.dim(2), width: pixels.dim(3), cutoff: cutoff, shape: shape))
    }

    /// High-pass filtered copy: keeps the complement of the low-pass mask.
    public static func highPass(_ pixels: Tensor, cutoff: Double, shape: Shape = .radial) -> Tensor {
        filtered(pixels, shiftedMask: lowPassMask(height: pixels.dim(2), width: pixels.dim(3), cutoff: cutoff, shape: shape).map { !$0 })
    }

    /// `Re(IDFT2(DFT2(x) · mask))` of every plane, with `mask` in the shifted layout.
    public static func filtered(_ pixels: Tensor, shiftedMask: [Bool]) -> Tensor {
        precondition(pixels.rank == 4, "filter needs (N, C, H, W), got \(pixels.shape)")
        let (h, w) = (pixels.dim(2), pixels.dim(3))
        let spectra = PlaneSpectra(pixels.ptr, planes: pixels.dim(0) * pixels.dim(1), height: h, width: w)
        let out = Tensor(uninitialized: pixels.shape)
        spectra.maskedInverse(FFT.ishift(shiftedMask, height: h, width: w), into: out.ptr)
        return out
    }

    /// The frequency hybrid `LP_r(a) + HP_r(b)` (docs/methods.md §7.8): the low band of `a`
    /// (global structure) plus the high band of `b` (texture), radial cutoff `radius`.
    public static func hybrid(low a: Tensor, high b: Tensor, radius: Double) -> Tensor {
        precondition(a.shape == b.shape && a.rank == 4, "hybrid needs two (N, C, H, W) tensors of one shape, got \(a.shape) and \(b.shape)")
        let (h, w) = (a.dim(2), a.dim(3))
        let lp = FFT.ishift(lowPassMask(height: h, width: w, cutoff: radius, shape: .radial), height: h, width: w)
        let out = Tensor(uninitialized: a.shape)
        PlaneSpectra(a.ptr, planes: a.dim(0) * a.dim(1), height: h, width: w).maskedInverse(lp, into: out.ptr)
        PlaneSpectra(b.ptr, planes: b.dim(0) * b.dim(1), height: h, width: w)
            .maskedInverse(lp.map { !$0 }, into: out.ptr, accumulate: true)
        return out
    }

    /// The band mask of Park & Kim's `FreqAttack` (docs/methods.md §7.4) in the shifted layout: an L∞
    /// ring, the difference of two centred squares with sides `2⌊(f ± s)·H/2⌋` (f and s in units
    /// of π, so f = 1 is the Nyquist frequency) clipped to [0, H], each padded symmetrically.
    /// Even-sided squares are not conjugate-symmetric (rows [c − a/2, c + a/2) hold −a/2 but not
    /// +a/2), so after taking the real part the edge bins also leak, at half weight, to their mirrors.
    public static func ringMask(height: Int, width: Int, frequency f: Double, halfWidth s: Double) -> [Bool] {
        func side(_ x: Double, _ n: Int) -> Int { min(n, max(0, 2 * Int((x * Double(n) / 2).rounded(.down)))) }
        func block(_ a: Int, _ n: Int) -> Range<Int> { ((n - a) / 2)..<((n - a) / 2 + a) }
        let outer = (block(side(f + s, height), height), block(side(f + s, width), width))
        let inner = (block(side(f - s, height), height), block(side(f - s, width), width))
        var mask = [Bool](repeating: false, count: height * width)
        for u in 0..<height {
            for v in 0..<width {
                mask[u * width + v] = outer.0.contains(u) && outer.1.contains(v) && !(inner.0.contains(u) && inner.1.contains(v))
            }
        }
        return mask
    }

    /// Base noise of the band-noise test: `ε·sign(z)` (sign) or `ε·z` (gaussian), z ~ N(0, 1).
    public enum NoiseKind: String, Codable, Sendable, CaseIterable { case sign, gaussian }

    /// Base noise δ of shape (N, C, H, W): image i draws from its own stream `firstImage + i` of
    /// `seed`, so a batch of images gets the same noise as when drawn alone.
    public static func baseNoise(images: Int, channels: Int, height: Int, width: Int, epsilon: Double, kind: NoiseKind,
                                 seed: UInt64, firstImage: Int = 0) -> Tensor {
        let per = channels * height * width
        let out = Tensor(uninitialized: [images, channels, height, width])
        for i in 0..<images {
            var rng = SeededRNG(seed: seed, stream: UInt64(firstImage + i))
            let p = out.ptr + i * per
            for k in 0..<per {
                let z = rng.normal()
                p[k] = Float(kind == .sign ? (z >= 0 ? epsilon : -epsilon) : epsilon * z)
            }
        }
        return out
    }

    /// Band-limited noise `Re(IDFT2(DFT2(δ) · ring))` (docs/methods.md §7.4): the base noise keeps its
    /// phase and only the ring of frequencies around f (units of π) survives.
    public static func bandNoise(images: Int, channels: Int = 3, height: Int, width: Int, frequency: Double, halfWidth: Double,
                                 epsilon: Double, kind: NoiseKind = .sign, seed: UInt64, firstImage: Int = 0) -> Tensor {
        let base = baseNoise(images: images, channels: channels, height: height, width: width, epsilon: epsilon, kind: kind,
                             seed: seed, firstImage: firstImage)
        return filtered(base, shiftedMask: ringMask(height: height, width: width, frequency: frequency, halfWidth: halfWidth))
    }

    /// Where the conjugate partner of shifted position (i, j) lies: ((2·⌊H/2⌋ − i) mod H, (2·⌊W/2⌋ − j) mod W).
    public static func mirror(row i: Int, column j: Int, height: Int, width: Int) -> (row: Int, column: Int) {
        ((2 * (height / 2) - i + height) % height, (2 * (width / 2) - j + width) % width)
    }

    /// The Fourier basis image U_ij (docs/methods.md §7.5; Yin et al.), H·W values row-major: the real
    /// image whose shifted spectrum holds (1+i)/2 at (i, j) and its conjugate at the mirror
    /// position (or 1 when (i, j) is its own mirror), inverse-shifted, inverse-DFT'd, real part,
    /// times √(H·W). It has unit L2 norm.
    public static func basis(height: Int, width: Int, row i: Int, column j: Int) -> [Float] {
        precondition((0..<height).contains(i) && (0..<width).contains(j), "basis (\(i), \(j)) outside \(height)×\(width)")
        var spectrum = ComplexBuffer(count: height * width)
        let m = mirror(row: i, column: j, height: height, width: width)
        if m.row == i && m.column == j {
            spectrum.re[i * width + j] = 1
        } else {
            spectrum.re[i * width + j] = 0.5; spectrum.im[i * width + j] = 0.5
            spectrum.re[m.row * width + m.column] = 0.5; spectrum.im[m.row * width + m.column] = -0.5
        }
        var x = ComplexBuffer(re: FFT.ishift(spectrum.re, height: height, width: width),
                              im: FFT.ishift(spectrum.im, height: height, width: width))
        FFT.inverse2D(&x, height: height, width: width)
        let scale = Double(height * width).squareRoot()
        return x.re.map { Float($0 * scale) }
    }
}
