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
}
