// The `.shapes` dataset's shape classes as signed distance functions in a unit frame.

import Foundation

/// A foreground shape; the class of a `.shapes` image. Shapes live in a unit frame
/// (x right, y down, extent about ±0.9), are told apart by outline even under the dataset's
/// ±20° rotation jitter, and are drawn by signed distance (negative inside), which gives
/// one-sample antialiasing: coverage = clamp(0.5 − distance in pixels).
public enum ShapeKind: Int, CaseIterable, Sendable {
    case circle, square, triangle, star, cross, ring, diamond, hexagon, heart, crescent, arrow, lShape

    /// Lower-case name used as the class name.
    public var name: String {
        switch self {
        case .lShape: return "l-shape"
        default: return String(describing: self)
        }
    }

    /// Signed distance from (x, y) to the outline, in unit-frame units (negative inside).
    @inlinable
    public func distance(_ x: Float, _ y: Float) -> Float {
        switch self {
        case .circle:
            return (x * x + y * y).squareRoot() - 0.8
        case .square:
            return ShapeKind.box(x, y, 0.68, 0.68)
        case .ring:
            return abs((x * x + y * y).squareRoot() - 0.68) - 0.2
        case .cross:
            return min(ShapeKind.box(x, y, 0.85, 0.26), ShapeKind.box(x, y, 0.26, 0.85))
        case .crescent:
            let outer = (x * x + y * y).squareRoot() - 0.85
            let dx = x - 0.38, dy = y + 0.1
            let inner = (dx * dx + dy * dy).squareRoot() - 0.68
            return max(outer, -inner)
        case .heart:
            let lx = x + 0.38, rx = x - 0.38, cy = y + 0.3
            let lobes = min((lx * lx + cy * cy).squareRoot() - 0.42, (rx * rx + cy * cy).squareRoot() - 0.42)
            return min(lobes, ShapeKind.polygon(x, y, ShapeKind.heartTip))
        case .triangle: return ShapeKind.polygon(x, y, ShapeKind.trianglePoly)
        case .star: return ShapeKind.polygon(x, y, ShapeKind.starPoly)
        case .diamond: return ShapeKind.polygon(x, y, ShapeKind.diamondPoly)
        case .hexagon: return ShapeKind.polygon(x, y, ShapeKind.hexagonPoly)
        case .arrow: return ShapeKind.polygon(x, y, ShapeKind.arrowPoly)
        case .lShape: return ShapeKind.polygon(x, y, ShapeKind.lPoly)
        }
    }

    @inlinable
    static func box(_ x: Float, _ y: Float, _ hx: Float, _ hy: Float) -> Float {
        let qx = abs(x) - hx, qy = abs(y) - hy
        let ox = max(qx, 0), oy = max(qy, 0)
        return (ox * ox + oy * oy).squareRoot() + min(max(qx, qy), 0)
    }

    /// Exact signed distance to a simple polygon (Quílez's even–odd formulation); `v` is x0, y0, x1, y1, …
    @inlinable
    static func polygon(_ px: Float, _ py: Float, _ v: [Float]) -> Float {
        let n = v.count / 2
        var d = (px - v[0]) * (px - v[0]) + (py - v[1]) * (py - v[1])
        var s: Float = 1
        var j = n - 1
        for i in 0..<n {
            let vix = v[2 * i], viy = v[2 * i + 1], vjx = v[2 * j], vjy = v[2 * j + 1]
            let ex = vjx - vix, ey = vjy - viy
            let wx = px - vix, wy = py - viy
            let t = max(0, min(1, (wx * ex + wy * ey) / (ex * ex + ey * ey)))
            let bx = wx - ex * t, by = wy - ey * t
            d = min(d, bx * bx + by * by)
            let c1 = py >= viy, c2 = py < vjy, c3 = ex * wy > ey * wx
            if (c1 && c2 && c3) || (!c1 && !c2 && !c3) { s = -s }
            j = i
        }
        return s * d.squareRoot()
    }

    static func regular(_ n: Int, radius: Float, phase: Float) -> [Float] {
        (0..<n).flatMap { k -> [Float] in
            let a = phase + 2 * Float.pi * Float(k) / Float(n)
            return [radius * Float(cos(Double(a))), radius * Float(sin(Double(a)))]
        }
    }

    @usableFromInline static let trianglePoly = regular(3, radius: 0.95, phase: -Float.pi / 2).enumerated()
        .map { $0.offset % 2 == 1 ? $0.element + 0.15 : $0.element }
    @usableFromInline static let hexagonPoly = regular(6, radius: 0.82, phase: 0)
    @usableFromInline static let diamondPoly: [Float] = [0, -0.92, 0.52, 0, 0, 0.92, -0.52, 0]
    @usableFromInline static let starPoly: [Float] = (0..<10).flatMap { k -> [Float] in
        let r: Float = k % 2 == 0 ? 0.95 : 0.4
        let a = -Float.pi / 2 + Float.pi * Float(k) / 5
        return [r * Float(cos(Double(a))), r * Float(sin(Double(a)))]
    }
    @usableFromInline static let arrowPoly: [Float] = [-0.85, -0.22, 0.15, -0.22, 0.15, -0.6, 0.9, 0,
                                                      0.15, 0.6, 0.15, 0.22, -0.85, 0.22]
    @usableFromInline static let lPoly: [Float] = [-0.6, -0.85, -0.15, -0.85, -0.15, 0.4, 0.7, 0.4,
                                                  0.7, 0.85, -0.6, 0.85]
    @usableFromInline static let heartTip: [Float] = [-0.78, -0.12, 0.78, -0.12, 0, 0.85]
}
