// The `.shapes` dataset's textures (stripes, checks, dots, noise, solid) and colour pairs.

import Foundation

/// A texture pattern: a function from pixel position to a mix weight in [0, 1] between a
/// region's two colours. Sizes are in pixels at 32×32 and scale with the image.
public struct Texture: Sendable, Equatable {
    /// The pattern family.
    public enum Kind: String, Sendable { case solid, stripes, checks, dots, noise }

    public var kind: Kind
    /// Stripe direction in degrees (stripes only; 0 = vertical bars).
    public var angle: Float
    /// Stripe period, check size, dot spacing or noise cell size, in pixels at 32 px.
    public var period: Float

    public init(_ kind: Kind, angle: Float = 0, period: Float = 4) {
        self.kind = kind; self.angle = angle; self.period = period
    }

    /// A short name, e.g. "stripes45/4".
    public var name: String {
        switch kind {
        case .stripes: return "stripes\(Int(angle))/\(Int(period))"
        case .solid: return "solid"
        default: return "\(kind.rawValue)/\(Int(period))"
        }
    }

    /// The catalogue, in the order classes take them as their own texture (class k ↔ texture k):
    /// stripes at four orientations and two frequencies, checks, dots, noise and solid.
    public static let catalogue: [Texture] = [
        Texture(.stripes, angle: 0, period: 4), Texture(.checks, period: 4), Texture(.stripes, angle: 45, period: 5),
        Texture(.dots, period: 5), Texture(.stripes, angle: 90, period: 4), Texture(.noise, period: 2),
        Texture(.stripes, angle: 135, period: 5), Texture(.solid), Texture(.stripes, angle: 0, period: 8),
        Texture(.checks, period: 8), Texture(.stripes, angle: 90, period: 8), Texture(.dots, period: 9),
    ]
}

/// A texture instance placed in one image: random phase, small period/angle jitter, and a noise seed.
struct PlacedTexture {
    let kind: Texture.Kind
    let ca: Float, sa: Float  // stripe direction
    let period: Float
    let phaseU: Float, phaseV: Float
    let noiseSeed: UInt64

    init(_ t: Texture, scale: Float, rng: inout SeededRNG) {
        kind = t.kind
        let a = (t.angle + Float(rng.uniform(-8, 8))) * .pi / 180
        ca = cos(a); sa = sin(a)
        period = t.period * scale * Float(rng.uniform(0.85, 1.15))
        phaseU = rng.uniformFloat() * period
        phaseV = rng.uniformFloat() * period
        noiseSeed = rng.next()
    }

    /// Mix weight in [0, 1] at pixel centre (x, y); `aa` softens edges over about one pixel.
    @inline(__always)
    func weight(_ x: Float, _ y: Float, aa: Bool) -> Float {
        switch kind {
        case .solid:
            return 0
        case .stripes:
            let u = (x * ca + y * sa + phaseU) / period
            let tri = abs(u - u.rounded(.down) - 0.5) * 2          // 0 … 1 triangle wave
            let dist = (tri - 0.5) * period * 0.5                    // pixels from the stripe edge
            return aa ? min(1, max(0, dist + 0.5)) : (dist > 0 ? 1 : 0)
        case .checks:
            let u = (x + phaseU) / period, v = (y + phaseV) / period
            let du = (u - u.rounded(.down) - 0.5) * period, dv = (v - v.rounded(.down) - 0.5) * period
            let sign: Float = (du > 0) == (dv > 0) ? 1 : -1
            let dist = sign * min(abs(du), abs(dv))
            return aa ? min(1, max(0, dist + 0.5)) : (dist > 0 ? 1 : 0)
        case .dots:
            let u = (x + phaseU) / period, v = (y + phaseV) / period
            let du = (u - u.rounded(.down) - 0.5) * period, dv = (v - v.rounded(.down) - 0.5) * period
            let dist = period * 0.3 - (du * du + dv * dv).squareRoot()
            return aa ? min(1, max(0, dist + 0.5)) : (dist > 0 ? 1 : 0)
        case .noise:
            let cx = UInt64(bitPattern: Int64(((x + phaseU) / period).rounded(.down)))
            let cy = UInt64(bitPattern: Int64(((y + phaseV) / period).rounded(.down)))
            let h = SeededRNG.mix(noiseSeed ^ (cx &* 0x9E37_79B9_7F4A_7C15) ^ (cy &* 0xC2B2_AE3D_27D4_EB4F))
            return Float(h >> 40) * 0x1.0p-24
        }
    }
}

/// Two colours (0…1 floats) a textured region mixes between.
struct ColorPair {
    var a: (Float, Float, Float)
    var b: (Float, Float, Float)

    /// A random colour with value in `valueRange`, and its texture partner shifted toward the
    /// middle grey so the texture stays visible but does not hide the region's brightness.
    static func random(valueRange: ClosedRange<Double>, rng: inout SeededRNG) -> ColorPair {
        let h = Float(rng.uniform()), s = Float(rng.uniform(0.3, 0.95)), v = Float(rng.uniform(valueRange.lowerBound, valueRange.upperBound))
        let a = hsv(h, s, v)
        let k = Float(rng.uniform(0.35, 0.55))
        let target: Float = v > 0.5 ? 0.1 : 0.9
        let b = (a.0 + (target - a.0) * k, a.1 + (target - a.1) * k, a.2 + (target - a.2) * k)
        return ColorPair(a: a, b: b)
    }

    static func hsv(_ h: Float, _ s: Float, _ v: Float) -> (Float, Float, Float) {
        Image.hsvToRGB(sector: Int(h * 6) % 6, fraction: h * 6 - Float(Int(h * 6)), saturation: s, value: v)
    }
}
