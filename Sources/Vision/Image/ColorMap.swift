// Colour maps ([0, 1] → RGB: OpenCV's JET, an OKLab sequential and a diverging map), value grids as images, tiling.
import Foundation

/// A bad argument to a colour-map or tiling function, naming the value and what would fit.
public struct ColorMapError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public var description: String { message }
}

/// A colour map: a function from [0, 1] to an 8-bit RGB colour.
public enum ColorMap: String, Sendable, Codable, CaseIterable {
    /// OpenCV's `COLORMAP_JET` exactly (the map pytorch-grad-cam overlays): dark blue → cyan →
    /// yellow → dark red, looked up like `applyColorMap(uint8(255·t))`, i.e. the index truncates.
    case jet
    /// A perceptually ordered sequential map (dark violet → teal → yellow): OKLab lightness rises
    /// linearly from 0.27 to 0.95, so equal steps in value look like equal steps in brightness.
    case sequential
    /// A diverging map for signed values: blue below the middle, near-white at 0.5, red above,
    /// with lightness falling symmetrically away from the centre.
    case diverging

    /// The colour of `t`; values outside [0, 1] are clamped and NaN maps to the lowest colour.
    public func color(_ t: Double) -> RGB {
        let u = t.isNaN ? 0 : Swift.min(1, Swift.max(0, t))
        switch self {
        case .jet: return ColorMap.jetTable[Swift.min(255, Int(255 * u))]
        case .sequential, .diverging: return self == .sequential ? ColorMap.sequentialTable(u) : ColorMap.divergingTable(u)
        }
    }

    /// Renders a row-major grid of `height × width` values as an image: each value is mapped
    /// linearly from `range` (default: the finite minimum…maximum of the values) onto [0, 1]
    /// and coloured; NaN cells are grey. `scale` enlarges every cell to `scale × scale` pixels
    /// (nearest neighbour), for small maps such as 4×4 feature maps.
    public func render(_ values: [Double], width: Int, height: Int, range: ClosedRange<Double>? = nil,
                       scale: Int = 1) throws -> Image {
        guard width > 0, height > 0 else {
            throw ColorMapError(message: "colour map: grid size must be positive, got \(width)×\(height)")
        }
        guard values.count == width * height else {
            throw ColorMapError(message: "colour map: a \(width)×\(height) grid needs \(width * height) values, got \(values.count)")
        }
        guard (1...64).contains(scale) else {
            throw ColorMapError(message: "colour map: scale must be 1…64, got \(scale) (use 1 for no enlargement)")
        }
        let finite = values.filter(\.isFinite)
        let lo = range?.lowerBound ?? finite.min() ?? 0
        let hi = range?.upperBound ?? finite.max() ?? 1
        guard lo.isFinite, hi.isFinite else {
            throw ColorMapError(message: "colour map: range \(lo)…\(hi) must be finite")
        }
        let span = hi - lo
        let colours = values.map { v -> RGB in
            guard !v.isNaN else { return .mid }
            return color(span > 0 ? (v - lo) / span : 0.5)
        }
        let ow = width * scale, oh = height * scale
        var px = [UInt8](repeating: 0, count: ow * oh * 3)
        px.withUnsafeMutableBufferPointer { out in
            for y in 0..<oh {
                let row = (y / scale) * width
                for x in 0..<ow {
                    let c = colours[row + x / scale], d = (y * ow + x) * 3
                    out[d] = c.r; out[d + 1] = c.g; out[d + 2] = c.b
                }
            }
        }
        return Image(width: ow, height: oh, pixels: px)
    }

    /// `render` for Float grids (e.g. a Grad-CAM map).
    public func render(_ values: [Float], width: Int, height: Int, range: ClosedRange<Double>? = nil,
                       scale: Int = 1) throws -> Image {
        try render(values.map(Double.init), width: width, height: height, range: range, scale: scale)
    }

    // MARK: - JET

    /// OpenCV's 256-entry JET look-up table as RGB. OpenCV builds it from a 256-point float
    /// base map (Octave's jet: each channel is `clamp(1.5 − |4x − c|, 0, 1)` with c = 3, 2, 1 for
    /// R, G, B at x = i/255), re-samples it with its float `interp1` at `linspace(0, 1, 256)` and
    /// converts with `convertTo(CV_8U, 255)` (round half to even). This repeats those float steps.
    public static let jetTable: [RGB] = {
        let n = 256
        let step: Float = 1 / Float(n - 1)
        let xs = (0..<n).map { Float(0) + Float($0) * step }  // OpenCV linspace in float
        func base(_ c: Double) -> [Float] {
            (0..<n).map { i in Float(Swift.min(1, Swift.max(0, 1.5 - abs(4 * Double(i) / 255 - c)))) }
        }
        func interp(_ ys: [Float]) -> [UInt8] {
            (0..<n).map { i -> UInt8 in
                let xi = xs[i]
                var low = 0, high = n - 1
                if xi < xs[low] { high = 1 }
                if xi > xs[high] { low = high - 1 }
                while high - low > 1 {
                    let c = low + (high - low) >> 1
                    if xi > xs[c] { low = c } else { high = c }
                }
                let v: Float = ys[low] + (xi - xs[low]) * (ys[high] - ys[low]) / (xs[high] - xs[low])
                let scaled = (v * 255).rounded(.toNearestOrEven)
                return UInt8(Swift.max(0, Swift.min(255, scaled)))
            }
        }
        let r = interp(base(3)), g = interp(base(2)), b = interp(base(1))
        return (0..<n).map { RGB(r[$0], g[$0], b[$0]) }
    }()

    // MARK: - OKLab maps

    /// Lightness, chroma and hue (degrees) of the sequential map at `t`.
    static func sequentialLCh(_ t: Double) -> (Double, Double, Double) {
        (0.27 + 0.68 * t, 0.13 + 0.05 * t - 0.06 * sin(Double.pi * t), 315 - 208 * t)
    }

    /// Lightness, chroma and hue of the diverging map at `t`.
    static func divergingLCh(_ t: Double) -> (Double, Double, Double) {
        let s = 2 * t - 1
        return (0.96 - 0.42 * abs(s), 0.16 * abs(s), s < 0 ? 255 : 25)
    }

    private static func sequentialTable(_ t: Double) -> RGB { let (l, c, h) = sequentialLCh(t); return oklch(l, c, h) }
    private static func divergingTable(_ t: Double) -> RGB { let (l, c, h) = divergingLCh(t); return oklch(l, c, h) }

    /// An OKLCh colour in sRGB; out-of-gamut colours keep their lightness and hue and lose chroma
    /// (bisection), so the map's lightness ordering survives gamut clipping.
    static func oklch(_ l: Double, _ c: Double, _ hueDegrees: Double) -> RGB {
        let h = hueDegrees * Double.pi / 180
        func rgb(_ chroma: Double) -> (Double, Double, Double) { linearSRGB(l, chroma * cos(h), chroma * sin(h)) }
        func inGamut(_ v: (Double, Double, Double)) -> Bool {
            let e = 1e-9
            return v.0 >= -e && v.0 <= 1 + e && v.1 >= -e && v.1 <= 1 + e && v.2 >= -e && v.2 <= 1 + e
        }
        var best = rgb(c)
        if !inGamut(best) {
            var (lo, hi) = (0.0, c)
            for _ in 0..<30 {
                let mid = (lo + hi) / 2
                if inGamut(rgb(mid)) { lo = mid } else { hi = mid }
            }
            best = rgb(lo)
        }
        func encode(_ x: Double) -> UInt8 {
            let v = Swift.min(1, Swift.max(0, x))
            let s = v <= 0.0031308 ? 12.92 * v : 1.055 * pow(v, 1 / 2.4) - 0.055
            return UInt8((255 * s).rounded())
        }
        return RGB(encode(best.0), encode(best.1), encode(best.2))
    }

    /// OKLab (Ottosson 2020) to linear-light sRGB.
    static func linearSRGB(_ L: Double, _ a: Double, _ b: Double) -> (Double, Double, Double) {
        let l = pow(L + 0.3963377774 * a + 0.2158037573 * b, 3)
        let m = pow(L - 0.1055613458 * a - 0.0638541728 * b, 3)
        let s = pow(L - 0.0894841775 * a - 1.2914855480 * b, 3)
        return (4.0767416621 * l - 3.3077115913 * m + 0.2309699292 * s,
                -1.2684380046 * l + 2.6097574011 * m - 0.3413193965 * s,
                -0.0041960863 * l - 0.7034186147 * m + 1.7076147010 * s)
    }
}

extension Image {
    /// Tiles `images` row by row with `gap` pixels between neighbours (none around the edge).
    /// Each row is as tall as its tallest image and each column as wide as its widest; images sit
    /// at the top-left of their cell, and the rest is `background`.
    public static func tiled(_ images: [Image], columns: Int? = nil, gap: Int = 2, background: RGB = .white) throws -> Image {
        guard !images.isEmpty else { throw ColorMapError(message: "tiling needs at least one image, got none") }
        guard gap >= 0 else { throw ColorMapError(message: "tiling: gap must be ≥ 0, got \(gap)") }
        if let columns, columns < 1 { throw ColorMapError(message: "tiling: columns must be ≥ 1, got \(columns)") }
        let cols = Swift.min(images.count, columns ?? images.count)
        let rows = (images.count + cols - 1) / cols
        var colWidth = [Int](repeating: 0, count: cols), rowHeight = [Int](repeating: 0, count: rows)
        for (k, im) in images.enumerated() {
            colWidth[k % cols] = Swift.max(colWidth[k % cols], im.width)
            rowHeight[k / cols] = Swift.max(rowHeight[k / cols], im.height)
        }
        var xOffset = [0], yOffset = [0]
        for w in colWidth { xOffset.append(xOffset.last! + w + gap) }
        for h in rowHeight { yOffset.append(yOffset.last! + h + gap) }
        let ow = xOffset.last! - gap, oh = yOffset.last! - gap
        var out = Image(width: ow, height: oh, fill: background)
        out.pixels.withUnsafeMutableBufferPointer { dst in
            for (k, im) in images.enumerated() {
                let ox = xOffset[k % cols], oy = yOffset[k / cols]
                im.pixels.withUnsafeBufferPointer { src in
                    for y in 0..<im.height {
                        let s = y * im.width * 3, d = ((oy + y) * ow + ox) * 3
                        for i in 0..<(im.width * 3) { dst[d + i] = src[s + i] }
                    }
                }
            }
        }
        return out
    }
}
