// PIL-exact affine resampling (Image.transform AFFINE) and the geometric ops built on it.

import Foundation

/// Resampling filter for geometric ops.
public enum Interpolation: String, Sendable, CaseIterable {
    case nearest, bilinear, bicubic
}

extension Image {
    /// PIL `Image.transform(size, AFFINE, (a, b, c, d, e, f), resample, fillcolor)` keeping the size:
    /// the output pixel (x, y) samples the input at `(a·x' + b·y' + c, d·x' + e·y' + f)` with
    /// x' = x + 0.5, y' = y + 0.5 (pixel centres); samples outside the input are `fill`.
    /// Nearest uses PIL's scale or 16.16 fixed-point engines, so results match PIL bit for bit.
    public func affineTransformed(_ m: [Double], interpolation: Interpolation = .bilinear,
                                  fill: RGB = .mid) -> Image {
        precondition(m.count == 6, "an affine transform needs 6 coefficients, got \(m.count)")
        var out = Image(width: width, height: height, fill: fill)
        let w = width, h = height
        pixels.withUnsafeBufferPointer { src in
            out.pixels.withUnsafeMutableBufferPointer { dst in
                switch interpolation {
                case .nearest:
                    if m[1] == 0 && m[3] == 0 {
                        Image.scaleNearest(src, dst, w, h, m)
                    } else {
                        Image.fixedNearest(src, dst, w, h, m)
                    }
                case .bilinear, .bicubic:
                    let cubic = interpolation == .bicubic
                    for y in 0..<h {
                        for x in 0..<w {
                            let xi = Double(x) + 0.5, yi = Double(y) + 0.5
                            let sx = m[0] * xi + m[1] * yi + m[2]
                            let sy = m[3] * xi + m[4] * yi + m[5]
                            if sx < 0 || sx >= Double(w) || sy < 0 || sy >= Double(h) { continue }
                            let d = (y * w + x) * 3
                            for c in 0..<3 {
                                dst[d + c] = cubic ? Image.bicubic(src, w, h, sx, sy, c) : Image.bilinear(src, w, h, sx, sy, c)
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// PIL `Image.rotate(degrees, resample, fillcolor=fill)`: counter-clockwise about the centre,
    /// same size; multiples of 90° (square images) and 180° are exact transposes as in PIL.
    public func rotated(degrees: Double, interpolation: Interpolation = .bilinear, fill: RGB = .mid) -> Image {
        let angle = degrees.truncatingRemainder(dividingBy: 360) + (degrees < 0 ? 360 : 0)
        if angle == 0 || angle == 360 { return self }
        if angle == 180 { return rotated(quarterTurns: 2) }
        if (angle == 90 || angle == 270) && width == height { return rotated(quarterTurns: Int(angle) / 90) }
        let cx = Double(width) / 2, cy = Double(height) / 2
        let r = -angle * Double.pi / 180
        func round15(_ v: Double) -> Double { (v * 1e15).rounded() / 1e15 }
        var m = [round15(cos(r)), round15(sin(r)), 0, round15(-sin(r)), round15(cos(r)), 0]
        m[2] = m[0] * -cx + m[1] * -cy + m[2] + cx
        m[5] = m[3] * -cx + m[4] * -cy + m[5] + cy
        return affineTransformed(m, interpolation: interpolation, fill: fill)
    }

    /// timm `shear_x(img, factor)`: affine (1, factor, 0, 0, 1, 0); torchvision's shear about (0, 0).
    public func shearedX(_ factor: Double, interpolation: Interpolation = .bilinear, fill: RGB = .mid) -> Image {
        affineTransformed([1, factor, 0, 0, 1, 0], interpolation: interpolation, fill: fill)
    }

    /// timm `shear_y(img, factor)`: affine (1, 0, 0, factor, 1, 0).
    public func shearedY(_ factor: Double, interpolation: Interpolation = .bilinear, fill: RGB = .mid) -> Image {
        affineTransformed([1, 0, 0, factor, 1, 0], interpolation: interpolation, fill: fill)
    }

    /// timm `translate_x_abs(img, pixels)`: affine (1, 0, pixels, 0, 1, 0), so content moves left
    /// by `pixels` (torchvision's TranslateX by t is `translatedX(-t)`).
    public func translatedX(_ pixels: Double, interpolation: Interpolation = .bilinear, fill: RGB = .mid) -> Image {
        affineTransformed([1, 0, pixels, 0, 1, 0], interpolation: interpolation, fill: fill)
    }

    /// timm `translate_y_abs(img, pixels)`: affine (1, 0, 0, 0, 1, pixels).
    public func translatedY(_ pixels: Double, interpolation: Interpolation = .bilinear, fill: RGB = .mid) -> Image {
        affineTransformed([1, 0, 0, 0, 1, pixels], interpolation: interpolation, fill: fill)
    }

    // MARK: - PIL's resampling engines (libImaging/Geometry.c)

    /// `ImagingScaleAffine`: nearest neighbour when there is no rotation or shear term.
    private static func scaleNearest(_ src: UnsafeBufferPointer<UInt8>, _ dst: UnsafeMutableBufferPointer<UInt8>,
                                     _ w: Int, _ h: Int, _ a: [Double]) {
        func coord(_ v: Double) -> Int { v < 0 ? -1 : Int(v) }
        var xin = [Int](repeating: -1, count: w)
        var xo = a[2] + a[0] * 0.5
        for x in 0..<w {
            let c = coord(xo)
            if c >= 0 && c < w { xin[x] = c }
            xo += a[0]
        }
        var yo = a[5] + a[4] * 0.5
        for y in 0..<h {
            let yi = coord(yo)
            yo += a[4]
            if yi < 0 || yi >= h { continue }
            for x in 0..<w where xin[x] >= 0 {
                let s = (yi * w + xin[x]) * 3, d = (y * w + x) * 3
                dst[d] = src[s]; dst[d + 1] = src[s + 1]; dst[d + 2] = src[s + 2]
            }
        }
    }

    /// `affine_fixed`: nearest neighbour in 16.16 fixed point, stepping incrementally as PIL does.
    private static func fixedNearest(_ src: UnsafeBufferPointer<UInt8>, _ dst: UnsafeMutableBufferPointer<UInt8>,
                                     _ w: Int, _ h: Int, _ a: [Double]) {
        func fix(_ v: Double) -> Int { Int((v * 65536 + 0.5).rounded(.down)) }
        let a0 = fix(a[0]), a1 = fix(a[1]), a3 = fix(a[3]), a4 = fix(a[4])
        var a2 = fix(a[2] + a[0] * 0.5 + a[1] * 0.5)
        var a5 = fix(a[5] + a[3] * 0.5 + a[4] * 0.5)
        for y in 0..<h {
            var xx = a2, yy = a5
            for x in 0..<w {
                let xi = xx >> 16
                if xi >= 0 && xi < w {
                    let yi = yy >> 16
                    if yi >= 0 && yi < h {
                        let s = (yi * w + xi) * 3, d = (y * w + x) * 3
                        dst[d] = src[s]; dst[d + 1] = src[s + 1]; dst[d + 2] = src[s + 2]
                    }
                }
                xx += a0
                yy += a3
            }
            a2 += a1
            a5 += a4
        }
    }

    /// `bilinear_filter32RGB`: edge-clamped bilinear sample, truncated to 8 bits.
    private static func bilinear(_ p: UnsafeBufferPointer<UInt8>, _ w: Int, _ h: Int,
                                 _ sx: Double, _ sy: Double, _ c: Int) -> UInt8 {
        let xin = sx - 0.5, yin = sy - 0.5
        let x = Int(xin.rounded(.down)), y = Int(yin.rounded(.down))
        let dx = xin - Double(x), dy = yin - Double(y)
        let x0 = min(max(x, 0), w - 1) * 3 + c, x1 = min(max(x + 1, 0), w - 1) * 3 + c
        let row0 = min(max(y, 0), h - 1) * w * 3
        let a = Double(p[row0 + x0]), b = Double(p[row0 + x1])
        let v1 = a + (b - a) * dx
        var v2 = v1
        if y + 1 >= 0 && y + 1 < h {
            let row1 = (y + 1) * w * 3
            let a2 = Double(p[row1 + x0]), b2 = Double(p[row1 + x1])
            v2 = a2 + (b2 - a2) * dx
        }
        return UInt8(v1 + (v2 - v1) * dy)
    }

    /// `bicubic_filter32RGB`: PIL's 4×4 cubic (a = −1 convolution) sample, clipped to [0, 255].
    private static func bicubic(_ p: UnsafeBufferPointer<UInt8>, _ w: Int, _ h: Int,
                                _ sx: Double, _ sy: Double, _ c: Int) -> UInt8 {
        func cubic(_ v1: Double, _ v2: Double, _ v3: Double, _ v4: Double, _ d: Double) -> Double {
            let p1 = v2, p2 = -v1 + v3, p3 = 2 * (v1 - v2) + v3 - v4, p4 = -v1 + v2 - v3 + v4
            return p1 + d * (p2 + d * (p3 + d * p4))
        }
        let xin = sx - 0.5, yin = sy - 0.5
        var x = Int(xin.rounded(.down)), y = Int(yin.rounded(.down))
        let dx = xin - Double(x), dy = yin - Double(y)
        x -= 1; y -= 1
        let xs = (0..<4).map { min(max(x + $0, 0), w - 1) * 3 + c }
        func row(_ r: Int) -> Double {
            let base = r * w * 3
            return cubic(Double(p[base + xs[0]]), Double(p[base + xs[1]]), Double(p[base + xs[2]]), Double(p[base + xs[3]]), dx)
        }
        let v1 = row(min(max(y, 0), h - 1))
        let v2 = (y + 1 >= 0 && y + 1 < h) ? row(y + 1) : v1
        let v3 = (y + 2 >= 0 && y + 2 < h) ? row(y + 2) : v2
        let v4 = (y + 3 >= 0 && y + 3 < h) ? row(y + 3) : v3
        let v = cubic(v1, v2, v3, v4, dy)
        return v <= 0 ? 0 : (v >= 255 ? 255 : UInt8(v))
    }
}
