// FastMath: branch-free exp, erf and GELU that LLVM vectorises (AVX2) inside plain loops.

/// e^x with a Cephes-style polynomial and an exact power of two: relative error about 2e-7
/// (≤ 2 ulp) on [-87.3, 88]; inputs are clamped to that range (so e^-∞ gives ~1e-38, not 0).
/// Unlike `Foundation.exp` it is pure arithmetic, so loops calling it vectorise.
@inline(__always) public func fastExp(_ x: Float) -> Float {
    let xc = x < -87.33 ? -87.33 : (x > 88.0 ? 88.0 : x)
    // n = round(x / ln 2) through the 1.5·2²³ trick: n sits in the low mantissa bits of t.
    let magic: Float = 12_582_912
    let t = xc * 1.44269504088896341 + magic
    let n = t - magic
    // r = x − n·ln 2 in two parts (Cody–Waite), |r| ≤ ln2/2.
    let r = (xc - n * 0.693359375) + n * 2.12194440e-4
    let z = r * r
    // Horner steps as fused multiply-adds (one vfmadd each with -target-cpu haswell).
    var p: Float = 1.9875691500e-4
    p = (1.3981999507e-3 as Float).addingProduct(p, r)
    p = (8.3334519073e-3 as Float).addingProduct(p, r)
    p = (4.1665795894e-2 as Float).addingProduct(p, r)
    p = (1.6666665459e-1 as Float).addingProduct(p, r)
    p = (5.0000001201e-1 as Float).addingProduct(p, r)
    let er = (r + 1).addingProduct(p, z)
    let ni = Int32(bitPattern: t.bitPattern &- magic.bitPattern)
    let scale = Float(bitPattern: UInt32(bitPattern: (ni &+ 127) &<< 23))
    return er * scale
}

/// The error function, Abramowitz–Stegun 7.1.26 (absolute error ≤ 1.5e-7, the form PyTorch's
/// vectorised CPU kernels use), with `fastExp`.
@inline(__always) public func fastErf(_ x: Float) -> Float {
    erf(x, expOfMinusSquare: fastExp(-x * x))
}

/// erf(x) given e = e^(−x²), the one transcendental of 7.1.26 (callers that need e^(−x²) too
/// compute it once).
@inline(__always) func erf(_ x: Float, expOfMinusSquare e: Float) -> Float {
    let a = x < 0 ? -x : x
    let t = 1 / (1 + 0.3275911 * a)
    var p: Float = 1.061405429
    p = (-1.453152027 as Float).addingProduct(p, t)
    p = (1.421413741 as Float).addingProduct(p, t)
    p = (-0.284496736 as Float).addingProduct(p, t)
    p = (0.254829592 as Float).addingProduct(p, t)
    let y = 1 - p * t * e
    return x < 0 ? -y : y
}

/// GELU (erf form): x·Φ(x).
@inline(__always) public func fastGELU(_ x: Float) -> Float {
    0.5 * x * (1 + fastErf(x * 0.70710678118654752))
}

/// dGELU/dx = Φ(x) + x·φ(x); Φ's erf and φ share one exponential, e^(−x²/2).
@inline(__always) public func fastGELUDerivative(_ x: Float) -> Float { fastGELUAndDerivative(x).1 }

/// GELU and its derivative at once, sharing the erf and the exponential.
@inline(__always) public func fastGELUAndDerivative(_ x: Float) -> (Float, Float) {
    let u = x * 0.70710678118654752
    let e = fastExp(-u * u)
    let cdf = 0.5 * (1 + erf(u, expOfMinusSquare: e))
    return (x * cdf, cdf + x * e * 0.39894228040143268)
}
