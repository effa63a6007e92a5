// PIL-exact ImageEnhance ops (Color, Contrast, Brightness, Sharpness) and the RGB→L grey conversion.

extension Image {
    /// PIL's RGB→L conversion, `(R·19595 + G·38470 + B·7471 + 0x8000) >> 16` (≈ 0.299R + 0.587G + 0.114B),
    /// one byte per pixel.
    public func greyLevels() -> [UInt8] {
        let n = width * height
        var out = [UInt8](repeating: 0, count: n)
        pixels.withUnsafeBufferPointer { p in
            out.withUnsafeMutableBufferPointer { o in
                for i in 0..<n {
                    let v = Int(p[3 * i]) * 19595 + Int(p[3 * i + 1]) * 38470 + Int(p[3 * i + 2]) * 7471 + 0x8000
                    o[i] = UInt8(v >> 16)
                }
            }
        }
        return out
    }

    /// The grey version as an RGB image (PIL `convert("L").convert("RGB")`).
    public func greyscale() -> Image {
        let g = greyLevels()
        var px = [UInt8](repeating: 0, count: g.count * 3)
        for i in 0..<g.count { px[3 * i] = g[i]; px[3 * i + 1] = g[i]; px[3 * i + 2] = g[i] }
        return Image(width: width, height: height, pixels: px)
    }

    /// PIL `Image.blend(degenerate, self, factor)`: `degenerate + factor·(self − degenerate)` in Float32,
    /// truncated to 8 bits; factors outside [0, 1] are clipped to [0, 255] first.
    public func blended(from degenerate: Image, factor: Float) -> Image {
        precondition(degenerate.width == width && degenerate.height == height, "blend needs equal sizes")
        var out = self
        let inRange = factor >= 0 && factor <= 1
        degenerate.pixels.withUnsafeBufferPointer { d in
            out.pixels.withUnsafeMutableBufferPointer { o in
                for i in 0..<o.count {
                    let a = Int(d[i])
                    let t = Float(a) + factor * Float(Int(o[i]) - a)
                    if inRange {
                        o[i] = UInt8(t)
                    } else {
                        o[i] = t <= 0 ? 0 : (t >= 255 ? 255 : UInt8(t))
                    }
                }
            }
        }
        return out
    }

    /// PIL `ImageEnhance.Color(img).enhance(factor)`: blend with the greyscale image.
    public func enhancedColor(_ factor: Float) -> Image {
        blended(from: greyscale(), factor: factor)
    }

    /// PIL `ImageEnhance.Contrast(img).enhance(factor)`: blend with a flat image at the rounded mean grey.
    public func enhancedContrast(_ factor: Float) -> Image {
        let g = greyLevels()
        var sum = 0
        for v in g { sum += Int(v) }
        let mean = Int(Double(sum) / Double(g.count) + 0.5)
        return blended(from: Image(width: width, height: height, fill: RGB(grey: UInt8(mean))), factor: factor)
    }

    /// PIL `ImageEnhance.Brightness(img).enhance(factor)`: blend with black.
    public func enhancedBrightness(_ factor: Float) -> Image {
        blended(from: Image(width: width, height: height), factor: factor)
    }

    /// PIL `ImageEnhance.Sharpness(img).enhance(factor)`: blend with `smoothed()`.
    public func enhancedSharpness(_ factor: Float) -> Image {
        blended(from: smoothed(), factor: factor)
    }

    /// PIL `ImageFilter.SMOOTH`: the 3×3 kernel [[1,1,1],[1,5,1],[1,1,1]]/13 in Float32, rounded;
    /// the one-pixel border is copied unchanged.
    public func smoothed() -> Image {
        var out = self
        let w = width, h = height
        if w < 3 || h < 3 { return out }
        let k: Float = 1 / 13, kc: Float = 5 / 13
        pixels.withUnsafeBufferPointer { p in
            out.pixels.withUnsafeMutableBufferPointer { o in
                for y in 1..<(h - 1) {
                    let up = (y - 1) * w * 3, mid = y * w * 3, dn = (y + 1) * w * 3
                    for x in 1..<(w - 1) {
                        for c in 0..<3 {
                            let i = x * 3 + c
                            // PIL sums row y+1, then y, then y−1, each left to right.
                            var s: Float = 0
                            s += Float(p[dn + i - 3]) * k + Float(p[dn + i]) * k + Float(p[dn + i + 3]) * k
                            s += Float(p[mid + i - 3]) * k + Float(p[mid + i]) * kc + Float(p[mid + i + 3]) * k
                            s += Float(p[up + i - 3]) * k + Float(p[up + i]) * k + Float(p[up + i + 3]) * k
                            o[mid + i] = s <= 0 ? 0 : (s >= 255 ? 255 : UInt8(s + 0.5))
                        }
                    }
                }
            }
        }
        return out
    }
}
