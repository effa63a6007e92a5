// PIL's 8-bit HSV conversions (libImaging/Convert.c), used by colour jitter's hue shift.
import Foundation

extension Image {
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
