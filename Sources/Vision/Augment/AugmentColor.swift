// Colour jitter with torchvision ColorJitter semantics on 8-bit images (PIL ImageEnhance and HSV hue).

import Foundation

/// torchvision `ColorJitter(brightness, contrast, saturation, hue)` on PIL images: factors
/// f ~ U[max(0, 1 − s), 1 + s] (hue h ~ U[−hue, hue]), the four adjustments in a random order.
/// Brightness, contrast and saturation are PIL's ImageEnhance Brightness, Contrast and Color;
/// hue shifts the H channel of PIL's 8-bit HSV by ⌊h·255⌋ modulo 256 (docs/methods.md §2.4).
public struct ColorJitter: ImageAugmentation {
    public var brightness: Double
    public var contrast: Double
    public var saturation: Double
    /// Maximum hue shift, in [0, 0.5].
    public var hue: Double

    public init(brightness: Double = 0, contrast: Double = 0, saturation: Double = 0, hue: Double = 0) {
        precondition(hue >= 0 && hue <= 0.5, "ColorJitter hue must be in [0, 0.5], got \(hue)")
        self.brightness = brightness; self.contrast = contrast; self.saturation = saturation; self.hue = hue
    }

    /// timm's `--color-jitter s`: brightness = contrast = saturation = s, no hue.
    public init(timm s: Double) { self.init(brightness: s, contrast: s, saturation: s) }

    public var name: String { "ColorJitter(b \(brightness), c \(contrast), s \(saturation), h \(hue))" }

    public func apply(_ image: Image, rng: inout SeededRNG) -> Image {
        let order = rng.permutation(4)
        func factor(_ s: Double) -> Float? { s > 0 ? Float(rng.uniform(max(0, 1 - s), 1 + s)) : nil }
        let b = factor(brightness), c = factor(contrast), s = factor(saturation)
        let h: Double? = hue > 0 ? rng.uniform(-hue, hue) : nil
        var img = image
        for op in order {
            switch op {
            case 0: if let b { img = img.enhancedBrightness(b) }
            case 1: if let c { img = img.enhancedContrast(c) }
            case 2: if let s { img = img.enhancedColor(s) }
            default: if let h { img = img.hueShifted(h) }
            }
        }
        return img
    }
}

extension Image {
    /// torchvision `adjust_hue` on PIL images: convert to PIL's 8-bit HSV, add `Int(factor·255)`
    /// to H with wrap-around, convert back. `factor` in [−0.5, 0.5].
    public func hueShifted(_ factor: Double) -> Image {
        let shift = UInt8(truncatingIfNeeded: Int(factor * 255))
        var out = self
        out.pixels.withUnsafeMutableBufferPointer { p in
            for i in stride(from: 0, to: p.count, by: 3) {
                let (h, s, v) = Image.rgbToHSV(p[i], p[i + 1], p[i + 2])
                let (r, g, b) = Image.hsvToRGB(h &+ shift, s, v)
                p[i] = r; p[i + 1] = g; p[i + 2] = b
            }
        }
        return out
    }

    /// PIL `rgb2hsv` (libImaging/Convert.c, after Python's colorsys), 8-bit in and out.
    static func rgbToHSV(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> (UInt8, UInt8, UInt8) {
        let maxc = max(r, g, b), minc = min(r, g, b)
        if maxc == minc { return (0, 0, maxc) }
        let cr = Float(maxc - minc)
        let s = cr / Float(maxc)
        let rc = Float(maxc - r) / cr, gc = Float(maxc - g) / cr, bc = Float(maxc - b) / cr
        var h: Float
        if r == maxc { h = bc - gc } else if g == maxc { h = 2 + rc - bc } else { h = 4 + gc - rc }
        h = fmodf(h / 6 + 1, 1)
        return (UInt8(max(0, min(255, Int(h * 255)))), UInt8(max(0, min(255, Int(s * 255)))), maxc)
    }

    /// PIL `hsv2rgb` (libImaging/Convert.c).
    static func hsvToRGB(_ h: UInt8, _ s: UInt8, _ v: UInt8) -> (UInt8, UInt8, UInt8) {
        if s == 0 { return (v, v, v) }
        let i = Int((Float(h) * 6 / 255).rounded(.down))
        let f = Float(h) * 6 / 255 - Float(i)
        let fs = Float(s) / 255, fv = Float(v)
        func clip(_ x: Float) -> UInt8 { UInt8(max(0, min(255, x.rounded()))) }
        let p = clip(fv * (1 - fs)), q = clip(fv * (1 - fs * f)), t = clip(fv * (1 - fs * (1 - f)))
        switch i % 6 {
        case 0: return (v, t, p)
        case 1: return (q, v, p)
        case 2: return (p, v, t)
        case 3: return (p, q, v)
        case 4: return (t, p, v)
        default: return (v, p, q)
        }
    }
}
