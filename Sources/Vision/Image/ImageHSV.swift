// PIL's 8-bit HSV conversions (libImaging/Convert.c), used by colour jitter's hue shift,
// and the float HSV → RGB formula the `.shapes` dataset's colours share with it.
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

    /// PIL `hsv2rgb` (libImaging/Convert.c): the float formula on 8-bit input, each channel
    /// rounded and clipped back to 8 bits (v comes back exactly).
    static func hsvToRGB(_ h: UInt8, _ s: UInt8, _ v: UInt8) -> (UInt8, UInt8, UInt8) {
        if s == 0 { return (v, v, v) }
        let i = Int((Float(h) * 6 / 255).rounded(.down))
        let f = Float(h) * 6 / 255 - Float(i)
        func clip(_ x: Float) -> UInt8 { UInt8(max(0, min(255, x.rounded()))) }
        let (r, g, b) = hsvToRGB(sector: i, fraction: f, saturation: Float(s) / 255, value: Float(v))
        return (clip(r), clip(g), clip(b))
    }

    /// HSV → RGB in floats, given the hue's sector i = ⌊6h⌋ and its fraction f = 6h − i:
    /// the one formula behind PIL's 8-bit conversion and the `.shapes` dataset's colours.
    static func hsvToRGB(sector i: Int, fraction f: Float, saturation s: Float, value v: Float) -> (Float, Float, Float) {
        let p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f))
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
