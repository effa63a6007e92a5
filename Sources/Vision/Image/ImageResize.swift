// PIL-style resize (Image.resize with BILINEAR, BICUBIC or LANCZOS: separable, antialiased when shrinking, 8-bit fixed point).

import Foundation

/// PIL's resampling filters for `Image.resize` (Resample.c), named as timm's `pretrained_cfg` names its `interpolation`.
public enum ResampleFilter: String, Codable, Sendable, CaseIterable {
    /// Triangle filter, support 1 (PIL `BILINEAR`).
    case bilinear
    /// Keys' cubic convolution with a = −0.5, support 2 (PIL `BICUBIC`; its affine transforms use a = −1 instead).
    case bicubic
    /// sinc(x)·sinc(x/3), support 3 (PIL `LANCZOS`).
    case lanczos

    var support: Double {
        switch self {
        case .bilinear: return 1
        case .bicubic: return 2
        case .lanczos: return 3
        }
    }

    /// The filter's weight at `x` (PIL's `bilinear_filter`, `bicubic_filter`, `lanczos_filter`).
    func weight(_ x: Double) -> Double {
        switch self {
        case .bilinear:
            let t = abs(x)
            return t < 1 ? 1 - t : 0
        case .bicubic:
            let a = -0.5, t = abs(x)
            if t < 1 { return ((a + 2) * t - (a + 3)) * t * t + 1 }
            if t < 2 { return (((t - 5) * t + 8) * t - 4) * a }
            return 0
        case .lanczos:
            func sinc(_ v: Double) -> Double { v == 0 ? 1 : sin(v * Double.pi) / (v * Double.pi) }
            return -3 <= x && x < 3 ? sinc(x) * sinc(x / 3) : 0
        }
    }
}

/// PIL's `precompute_coeffs` + `normalize_coeffs_8bpc` for one axis: for each output index the first input index and
/// the count of inputs it reads, and that many weights quantised to ``precision`` bits (then padded to `ksize`).
struct ResampleCoefficients {
    /// PIL's `PRECISION_BITS` for 8-bit images.
    static let precision = 22
    let ksize: Int
    /// `[first, count]` per output index.
    let bounds: [Int32]
    let weights: [Int32]

    init(inSize: Int, outSize: Int, filter: ResampleFilter) {
        let scale = Double(inSize) / Double(outSize)
        let filterScale = max(scale, 1)
        let support = filter.support * filterScale
        let ksize = Int(support.rounded(.up)) * 2 + 1
        var bounds = [Int32](repeating: 0, count: outSize * 2)
        var weights = [Int32](repeating: 0, count: outSize * ksize)
        var w = [Double](repeating: 0, count: ksize)
        for xx in 0..<outSize {
            let center = (Double(xx) + 0.5) * scale
            let ss = 1 / filterScale
            let xmin = max(0, Int(center - support + 0.5))
            let xmax = min(inSize, Int(center + support + 0.5)) - xmin
            var total = 0.0
            for x in 0..<xmax {
                w[x] = filter.weight((Double(x + xmin) - center + 0.5) * ss)
                total += w[x]
            }
            for x in 0..<xmax {
                let v = total != 0 ? w[x] / total : w[x]
                let f = v * Double(1 << Self.precision)
                weights[xx * ksize + x] = Int32(v < 0 ? Int(-0.5 + f) : Int(0.5 + f))
            }
            bounds[2 * xx] = Int32(xmin)
            bounds[2 * xx + 1] = Int32(xmax)
        }
        self.ksize = ksize
        self.bounds = bounds
        self.weights = weights
    }

    /// PIL's `clip8`: the accumulator (which started at ½ in fixed point) shifted down and clamped to a byte.
    @inline(__always) static func clip8(_ s: Int32) -> UInt8 {
        UInt8(truncatingIfNeeded: max(0, min(255, s >> Int32(precision))))
    }
}

extension Image {
    /// Resizes to `width × height` as PIL's `Image.resize(size, BILINEAR)` does (and so torchvision's
    /// `Resize`/`RandomResizedCrop` on PIL images): a triangle filter whose support widens by the
    /// shrink factor (antialiasing), weights normalised and quantised to 22-bit fixed point, the
    /// horizontal pass first, each pass rounded to 8 bits. `filter` picks PIL's `BICUBIC` or `LANCZOS` instead, with the
    /// same arithmetic (their negative lobes clipped to [0, 255] after each pass, as PIL's `clip8`).
    ///
    /// 32-bit accumulators as PIL's (the positive weights of a row sum to at most about 1.6 in fixed point, so
    /// 255 · 1.6 · 2²² stays below 2³¹); ``resizedReference(width:height:filter:)`` is the plain version it is tested
    /// against.
    public func resized(width ow: Int, height oh: Int, filter: ResampleFilter = .bilinear) -> Image {
        precondition(ow > 0 && oh > 0, "resize target must be positive, got \(ow)x\(oh)")
        var img = self
        if ow != width { img = img.resampledHorizontally(to: ow, filter: filter) }
        if oh != height { img = img.resampledVertically(to: oh, filter: filter) }
        return img
    }

    /// PIL `ImagingResampleHorizontal_8bpc` for three channels.
    private func resampledHorizontally(to ow: Int, filter: ResampleFilter) -> Image {
        let c = ResampleCoefficients(inSize: width, outSize: ow, filter: filter)
        let w = width, h = height, ksize = c.ksize
        let out = [UInt8](unsafeUninitializedCapacity: ow * h * 3) { buffer, count in
            pixels.withUnsafeBufferPointer { src in
                c.bounds.withUnsafeBufferPointer { b in
                    c.weights.withUnsafeBufferPointer { k in
                        guard let s = src.baseAddress, let d = buffer.baseAddress, let bp = b.baseAddress, let kp = k.baseAddress else { return }
                        for y in 0..<h {
                            let row = s + y * w * 3, outRow = d + y * ow * 3
                            for xx in 0..<ow {
                                let xmin = Int(bp[2 * xx]), xmax = Int(bp[2 * xx + 1]), kw = kp + xx * ksize
                                var s0: Int32 = 1 << Int32(ResampleCoefficients.precision - 1), s1 = s0, s2 = s0
                                var p = row + xmin * 3
                                for x in 0..<xmax {
                                    let cw = kw[x]
                                    s0 &+= Int32(p[0]) &* cw; s1 &+= Int32(p[1]) &* cw; s2 &+= Int32(p[2]) &* cw
                                    p += 3
                                }
                                let o = outRow + xx * 3
                                o[0] = ResampleCoefficients.clip8(s0)
                                o[1] = ResampleCoefficients.clip8(s1)
                                o[2] = ResampleCoefficients.clip8(s2)
                            }
                        }
                    }
                }
            }
            count = ow * h * 3
        }
        return Image(width: ow, height: h, pixels: out)
    }

    /// PIL `ImagingResampleVertical_8bpc`: each output row is a weighted sum of input rows, accumulated along the row
    /// (contiguous, so the loop vectorises) in the same order as PIL sums each pixel.
    private func resampledVertically(to oh: Int, filter: ResampleFilter) -> Image {
        let c = ResampleCoefficients(inSize: height, outSize: oh, filter: filter)
        let rowLength = width * 3, ksize = c.ksize
        var accumulator = [Int32](repeating: 0, count: rowLength)
        let out = [UInt8](unsafeUninitializedCapacity: oh * rowLength) { buffer, count in
            pixels.withUnsafeBufferPointer { src in
                accumulator.withUnsafeMutableBufferPointer { acc in
                    guard let s = src.baseAddress, let d = buffer.baseAddress, let a = acc.baseAddress else { return }
                    for yy in 0..<oh {
                        let ymin = Int(c.bounds[2 * yy]), ymax = Int(c.bounds[2 * yy + 1])
                        let half: Int32 = 1 << Int32(ResampleCoefficients.precision - 1)
                        for i in 0..<rowLength { a[i] = half }
                        for y in 0..<ymax {
                            let cw = c.weights[yy * ksize + y], row = s + (ymin + y) * rowLength
                            for i in 0..<rowLength { a[i] &+= Int32(row[i]) &* cw }
                        }
                        let o = d + yy * rowLength
                        for i in 0..<rowLength { o[i] = ResampleCoefficients.clip8(a[i]) }
                    }
                }
            }
            count = oh * rowLength
        }
        return Image(width: width, height: oh, pixels: out)
    }
}

/// The plain resize ``Image/resized(width:height:filter:)`` is tested against: 64-bit sums, one pass written once and
/// applied to the transposed image for the vertical pass.
extension Image {
    public func resizedReference(width ow: Int, height oh: Int, filter: ResampleFilter = .bilinear) -> Image {
        var img = self
        if ow != width { img = img.referenceHorizontal(to: ow, filter: filter) }
        if oh != height { img = img.transposedAxes().referenceHorizontal(to: oh, filter: filter).transposedAxes() }
        return img
    }

    /// Swaps x and y (a matrix transpose), so one horizontal pass also serves vertically.
    func transposedAxes() -> Image {
        var out = Image(width: height, height: width)
        for y in 0..<height {
            for x in 0..<width {
                let si = (y * width + x) * 3, di = (x * height + y) * 3
                out.pixels[di] = pixels[si]; out.pixels[di + 1] = pixels[si + 1]; out.pixels[di + 2] = pixels[si + 2]
            }
        }
        return out
    }

    func referenceHorizontal(to ow: Int, filter: ResampleFilter) -> Image {
        let c = ResampleCoefficients(inSize: width, outSize: ow, filter: filter)
        var out = Image(width: ow, height: height)
        for y in 0..<height {
            for xx in 0..<ow {
                var sums = [Int](repeating: 1 << (ResampleCoefficients.precision - 1), count: 3)
                for x in 0..<Int(c.bounds[2 * xx + 1]) {
                    let i = (y * width + x + Int(c.bounds[2 * xx])) * 3, weight = Int(c.weights[xx * c.ksize + x])
                    for ch in 0..<3 { sums[ch] += Int(pixels[i + ch]) * weight }
                }
                for ch in 0..<3 { out.pixels[(y * ow + xx) * 3 + ch] = UInt8(max(0, min(255, sums[ch] >> ResampleCoefficients.precision))) }
            }
        }
        return out
    }
}
