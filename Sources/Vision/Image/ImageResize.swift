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

extension Image {
    /// Resizes to `width × height` as PIL's `Image.resize(size, BILINEAR)` does (and so torchvision's
    /// `Resize`/`RandomResizedCrop` on PIL images): a triangle filter whose support widens by the
    /// shrink factor (antialiasing), weights normalised and quantised to 22-bit fixed point, the
    /// horizontal pass first, each pass rounded to 8 bits. `filter` picks PIL's `BICUBIC` or `LANCZOS` instead, with the
    /// same arithmetic (their negative lobes clipped to [0, 255] after each pass, as PIL's `clip8`).
    public func resized(width ow: Int, height oh: Int, filter: ResampleFilter = .bilinear) -> Image {
        precondition(ow > 0 && oh > 0, "resize target must be positive, got \(ow)x\(oh)")
        var img = self
        if ow != width { img = img.resampledHorizontally(to: ow, filter: filter) }
        if oh != height { img = img.transposedAxes().resampledHorizontally(to: oh, filter: filter).transposedAxes() }
        return img
    }

    /// Swaps x and y (a matrix transpose), so one horizontal pass also serves vertically.
    func transposedAxes() -> Image {
        var out = Image(width: height, height: width)
        let w = width, h = height
        pixels.withUnsafeBufferPointer { s in
            out.pixels.withUnsafeMutableBufferPointer { d in
                for y in 0..<h {
                    for x in 0..<w {
                        let si = (y * w + x) * 3, di = (x * h + y) * 3
                        d[di] = s[si]; d[di + 1] = s[si + 1]; d[di + 2] = s[si + 2]
                    }
                }
            }
        }
        return out
    }

    /// PIL `precompute_coeffs` + `normalize_coeffs_8bpc` + `ImagingResampleHorizontal_8bpc`.
    private func resampledHorizontally(to ow: Int, filter: ResampleFilter) -> Image {
        let inSize = width
        let scale = Double(inSize) / Double(ow)
        let filterScale = max(scale, 1)
        let support = filter.support * filterScale
        let ksize = Int(support.rounded(.up)) * 2 + 1
        let precision = 22
        var bounds = [Int](repeating: 0, count: ow * 2)
        var kk = [Int](repeating: 0, count: ow * ksize)
        for xx in 0..<ow {
            let center = (Double(xx) + 0.5) * scale
            let ss = 1 / filterScale
            let xmin = max(0, Int(center - support + 0.5))
            let xmax = min(inSize, Int(center + support + 0.5)) - xmin
            var w = [Double](repeating: 0, count: xmax)
            var total = 0.0
            for x in 0..<xmax {
                w[x] = filter.weight((Double(x + xmin) - center + 0.5) * ss)
                total += w[x]
            }
            for x in 0..<xmax {
                let v = total != 0 ? w[x] / total : w[x]
                let f = v * Double(1 << precision)
                kk[xx * ksize + x] = v < 0 ? Int(-0.5 + f) : Int(0.5 + f)
            }
            bounds[2 * xx] = xmin
            bounds[2 * xx + 1] = xmax
        }
        var out = Image(width: ow, height: height)
        let w = width, h = height
        pixels.withUnsafeBufferPointer { src in
            out.pixels.withUnsafeMutableBufferPointer { dst in
                kk.withUnsafeBufferPointer { k in
                    for y in 0..<h {
                        let row = y * w * 3
                        for xx in 0..<ow {
                            let xmin = bounds[2 * xx], xmax = bounds[2 * xx + 1], kb = xx * ksize
                            var s0 = 1 << (precision - 1), s1 = s0, s2 = s0
                            for x in 0..<xmax {
                                let i = row + (x + xmin) * 3, c = k[kb + x]
                                s0 += Int(src[i]) * c; s1 += Int(src[i + 1]) * c; s2 += Int(src[i + 2]) * c
                            }
                            let d = (y * ow + xx) * 3
                            dst[d] = UInt8(max(0, min(255, s0 >> precision)))
                            dst[d + 1] = UInt8(max(0, min(255, s1 >> precision)))
                            dst[d + 2] = UInt8(max(0, min(255, s2 >> precision)))
                        }
                    }
                }
            }
        }
        return out
    }
}
