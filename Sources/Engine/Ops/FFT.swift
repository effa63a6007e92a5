// FFT: complex discrete Fourier transforms in Double for any length (mixed radix), 1-D and 2-D, and fftshift.
import Foundation

/// A plan for complex DFTs of one length: its factorisation into radices and the twiddle
/// factors of every stage. Plans are immutable once built and shared through `FFTPlan.plan(_:)`.
///
/// The transform is a Stockham autosort FFT (decimation in frequency, no bit reversal):
/// radix-4, -2, -3 and -5 butterflies are written out; any other prime factor p uses a
/// direct length-p DFT butterfly (O(n·p) for that stage), so every length works.
public final class FFTPlan: @unchecked Sendable {
    /// The transform length.
    public let length: Int
    /// Radices in stage order (their product is `length`; empty for length 1).
    public let radices: [Int]
    /// Twiddles of each stage, `w_n^{j·k}` for j < m and 1 ≤ k < p at `[offset + j·(p−1) + k−1]`.
    let twiddleOffsets: [Int]
    let twRe: [Double], twIm: [Double]
    /// For each generic (prime > 5) radix p: cos and sin of 2π·t/p for t < p.
    let rootCos: [Int: [Double]], rootSin: [Int: [Double]]

    /// Builds a plan for complex DFTs of `length` (≥ 1) points.
    public init(length: Int) {
        precondition(length >= 1, "FFT length must be at least 1, got \(length)")
        self.length = length
        var rest = length
        var radices: [Int] = []
        while rest % 4 == 0 { radices.append(4); rest /= 4 }
        while rest % 2 == 0 { radices.append(2); rest /= 2 }
        var f = 3
        while rest > 1 {
            while rest % f == 0 { radices.append(f); rest /= f }
            f += 2
            if f * f > rest, rest > 1 { radices.append(rest); rest = 1 }
        }
        self.radices = radices
        var offsets: [Int] = [], re: [Double] = [], im: [Double] = []
        var rc: [Int: [Double]] = [:], rs: [Int: [Double]] = [:]
        var n = length
        for p in radices {
            let m = n / p
            offsets.append(re.count)
            for j in 0..<m {
                for k in 1..<p {
                    let angle = -2 * Double.pi * Double((j * k) % n) / Double(n)
                    re.append(Foundation.cos(angle)); im.append(Foundation.sin(angle))
                }
            }
            if p > 5, rc[p] == nil {
                rc[p] = (0..<p).map { Foundation.cos(2 * Double.pi * Double($0) / Double(p)) }
                rs[p] = (0..<p).map { Foundation.sin(2 * Double.pi * Double($0) / Double(p)) }
            }
            n = m
        }
        twiddleOffsets = offsets; twRe = re; twIm = im
        rootCos = rc; rootSin = rs
    }

    private static let cacheLock = NSLock()
    nonisolated(unsafe) private static var cache: [Int: FFTPlan] = [:]

    /// The shared plan for `length`, built on first use (thread-safe).
    public static func plan(_ length: Int) -> FFTPlan {
        cacheLock.lock()
        defer { cacheLock.unlock() }
        if let p = cache[length] { return p }
        let p = FFTPlan(length: length)
        cache[length] = p
        return p
    }

    /// Unnormalised forward DFT, `X[k] = Σ x[t]·exp(−2πi·t·k/n)`, in place, of `lanes`
    /// interleaved sequences: element t of sequence l is at `t·lanes + l` (lanes = 1 for one
    /// contiguous sequence; lanes = W transforms the columns of an H×W plane at once).
    /// `scratchRe`/`scratchIm` must hold `length·lanes` values each.
    ///
    /// The inverse is this transform with the real and imaginary pointers swapped, then 1/n.
    public func forward(re: UnsafeMutablePointer<Double>, im: UnsafeMutablePointer<Double>, lanes: Int = 1,
                        scratchRe: UnsafeMutablePointer<Double>, scratchIm: UnsafeMutablePointer<Double>) {
        var sr = re, si = im, dr = scratchRe, di = scratchIm
        var s = lanes, n = length
        for (stage, p) in radices.enumerated() {
            let m = n / p
            let off = twiddleOffsets[stage]
            twRe.withUnsafeBufferPointer { wr in
                twIm.withUnsafeBufferPointer { wi in
                    let w = (wr.baseAddress! + off, wi.baseAddress! + off)
                    switch p {
                    case 2: radix2(sr, si, dr, di, s: s, m: m, w: w)
                    case 3: radix3(sr, si, dr, di, s: s, m: m, w: w)
                    case 4: radix4(sr, si, dr, di, s: s, m: m, w: w)
                    case 5: radix5(sr, si, dr, di, s: s, m: m, w: w)
                    default: radixGeneric(p, sr, si, dr, di, s: s, m: m, w: w)
                    }
                }
            }
            swap(&sr, &dr); swap(&si, &di)
            s *= p; n = m
        }
        if sr != re {
            re.update(from: sr, count: length * lanes)
            im.update(from: si, count: length * lanes)
        }
    }

    // Each stage reads x[q + s·(j + r·m)] (r < p) and writes y[q + s·(p·j + k)] = (Σ_r x_r·ω_p^{rk})·w_n^{jk}.

    private func radix2(_ xr: UnsafeMutablePointer<Double>, _ xi: UnsafeMutablePointer<Double>,
                        _ yr: UnsafeMutablePointer<Double>, _ yi: UnsafeMutablePointer<Double>,
                        s: Int, m: Int, w: (UnsafePointer<Double>, UnsafePointer<Double>)) {
        for j in 0..<m {
            let w1r = w.0[j], w1i = w.1[j]
            let a = s * j, b = s * (j + m), o = s * 2 * j
            for q in 0..<s {
                let ar = xr[a + q], ai = xi[a + q], br = xr[b + q], bi = xi[b + q]
                yr[o + q] = ar + br; yi[o + q] = ai + bi
                let dr = ar - br, di = ai - bi
                yr[o + s + q] = dr * w1r - di * w1i; yi[o + s + q] = dr * w1i + di * w1r
            }
        }
    }

    private func radix3(_ xr: UnsafeMutablePointer<Double>, _ xi: UnsafeMutablePointer<Double>,
                        _ yr: UnsafeMutablePointer<Double>, _ yi: UnsafeMutablePointer<Double>,
                        s: Int, m: Int, w: (UnsafePointer<Double>, UnsafePointer<Double>)) {
        let h = 0.5 * 3.0.squareRoot()
        for j in 0..<m {
            let w1r = w.0[2 * j], w1i = w.1[2 * j], w2r = w.0[2 * j + 1], w2i = w.1[2 * j + 1]
            let i0 = s * j, i1 = s * (j + m), i2 = s * (j + 2 * m), o = s * 3 * j
            for q in 0..<s {
                let a0r = xr[i0 + q], a0i = xi[i0 + q]
                let tr = xr[i1 + q] + xr[i2 + q], ti = xi[i1 + q] + xi[i2 + q]
                let dr = xr[i1 + q] - xr[i2 + q], di = xi[i1 + q] - xi[i2 + q]
                yr[o + q] = a0r + tr; yi[o + q] = a0i + ti
                let cr = a0r - 0.5 * tr, ci = a0i - 0.5 * ti
                let b1r = cr + h * di, b1i = ci - h * dr
                let b2r = cr - h * di, b2i = ci + h * dr
                yr[o + s + q] = b1r * w1r - b1i * w1i; yi[o + s + q] = b1r * w1i + b1i * w1r
                yr[o + 2 * s + q] = b2r * w2r - b2i * w2i; yi[o + 2 * s + q] = b2r * w2i + b2i * w2r
            }
        }
    }

    private func radix4(_ xr: UnsafeMutablePointer<Double>, _ xi: UnsafeMutablePointer<Double>,
                        _ yr: UnsafeMutablePointer<Double>, _ yi: UnsafeMutablePointer<Double>,
                        s: Int, m: Int, w: (UnsafePointer<Double>, UnsafePointer<Double>)) {
        for j in 0..<m {
            let w1r = w.0[3 * j], w1i = w.1[3 * j], w2r = w.0[3 * j + 1], w2i = w.1[3 * j + 1]
            let w3r = w.0[3 * j + 2], w3i = w.1[3 * j + 2]
            let i0 = s * j, i1 = s * (j + m), i2 = s * (j + 2 * m), i3 = s * (j + 3 * m), o = s * 4 * j
            for q in 0..<s {
                let t0r = xr[i0 + q] + xr[i2 + q], t0i = xi[i0 + q] + xi[i2 + q]
                let t1r = xr[i0 + q] - xr[i2 + q], t1i = xi[i0 + q] - xi[i2 + q]
                let t2r = xr[i1 + q] + xr[i3 + q], t2i = xi[i1 + q] + xi[i3 + q]
                let t3r = xr[i1 + q] - xr[i3 + q], t3i = xi[i1 + q] - xi[i3 + q]
                yr[o + q] = t0r + t2r; yi[o + q] = t0i + t2i
                let b1r = t1r + t3i, b1i = t1i - t3r      // t1 − i·t3
                let b2r = t0r - t2r, b2i = t0i - t2i
                let b3r = t1r - t3i, b3i = t1i + t3r      // t1 + i·t3
                yr[o + s + q] = b1r * w1r - b1i * w1i; yi[o + s + q] = b1r * w1i + b1i * w1r
                yr[o + 2 * s + q] = b2r * w2r - b2i * w2i; yi[o + 2 * s + q] = b2r * w2i + b2i * w2r
                yr[o + 3 * s + q] = b3r * w3r - b3i * w3i; yi[o + 3 * s + q] = b3r * w3i + b3i * w3r
            }
        }
    }

    private func radix5(_ xr: UnsafeMutablePointer<Double>, _ xi: UnsafeMutablePointer<Double>,
                        _ yr: UnsafeMutablePointer<Double>, _ yi: UnsafeMutablePointer<Double>,
                        s: Int, m: Int, w: (UnsafePointer<Double>, UnsafePointer<Double>)) {
        let c1 = Foundation.cos(2 * Double.pi / 5), c2 = Foundation.cos(4 * Double.pi / 5)
        let s1 = Foundation.sin(2 * Double.pi / 5), s2 = Foundation.sin(4 * Double.pi / 5)
        for j in 0..<m {
            let tw = 4 * j
            let i0 = s * j, i1 = s * (j + m), i2 = s * (j + 2 * m), i3 = s * (j + 3 * m), i4 = s * (j + 4 * m)
            let o = s * 5 * j
            for q in 0..<s {
                let a0r = xr[i0 + q], a0i = xi[i0 + q]
                let t1r = xr[i1 + q] + xr[i4 + q], t1i = xi[i1 + q] + xi[i4 + q]
                let d1r = xr[i1 + q] - xr[i4 + q], d1i = xi[i1 + q] - xi[i4 + q]
                let t2r = xr[i2 + q] + xr[i3 + q], t2i = xi[i2 + q] + xi[i3 + q]
                let d2r = xr[i2 + q] - xr[i3 + q], d2i = xi[i2 + q] - xi[i3 + q]
                yr[o + q] = a0r + t1r + t2r; yi[o + q] = a0i + t1i + t2i
                let a1r = a0r + c1 * t1r + c2 * t2r, a1i = a0i + c1 * t1i + c2 * t2i
                let e1r = s1 * d1r + s2 * d2r, e1i = s1 * d1i + s2 * d2i
                let a2r = a0r + c2 * t1r + c1 * t2r, a2i = a0i + c2 * t1i + c1 * t2i
                let e2r = s2 * d1r - s1 * d2r, e2i = s2 * d1i - s1 * d2i
                // b_k = A_k − i·E_k and b_{5−k} = A_k + i·E_k, then the stage twiddle w^{jk}.
                let b1r = a1r + e1i, b1i = a1i - e1r, b4r = a1r - e1i, b4i = a1i + e1r
                let b2r = a2r + e2i, b2i = a2i - e2r, b3r = a2r - e2i, b3i = a2i + e2r
                yr[o + s + q] = b1r * w.0[tw] - b1i * w.1[tw]; yi[o + s + q] = b1r * w.1[tw] + b1i * w.0[tw]
                yr[o + 2 * s + q] = b2r * w.0[tw + 1] - b2i * w.1[tw + 1]
                yi[o + 2 * s + q] = b2r * w.1[tw + 1] + b2i * w.0[tw + 1]
                yr[o + 3 * s + q] = b3r * w.0[tw + 2] - b3i * w.1[tw + 2]
                yi[o + 3 * s + q] = b3r * w.1[tw + 2] + b3i * w.0[tw + 2]
                yr[o + 4 * s + q] = b4r * w.0[tw + 3] - b4i * w.1[tw + 3]
                yi[o + 4 * s + q] = b4r * w.1[tw + 3] + b4i * w.0[tw + 3]
            }
        }
    }

    /// Direct DFT butterfly for an odd prime p, pairing r with p − r.
    private func radixGeneric(_ p: Int, _ xr: UnsafeMutablePointer<Double>, _ xi: UnsafeMutablePointer<Double>,
                              _ yr: UnsafeMutablePointer<Double>, _ yi: UnsafeMutablePointer<Double>,
                              s: Int, m: Int, w: (UnsafePointer<Double>, UnsafePointer<Double>)) {
        let cosT = rootCos[p]!, sinT = rootSin[p]!
        let half = (p - 1) / 2
        var t = [Double](repeating: 0, count: 4 * (half + 1))
        cosT.withUnsafeBufferPointer { cs in
        sinT.withUnsafeBufferPointer { sn in
        t.withUnsafeMutableBufferPointer { tb in
            let tr = tb.baseAddress!, ti = tr + (half + 1), dr = ti + (half + 1), di = dr + (half + 1)
            for j in 0..<m {
                let o = s * p * j
                for q in 0..<s {
                    let a0r = xr[s * j + q], a0i = xi[s * j + q]
                    var sumR = a0r, sumI = a0i
                    for r in 1...half {
                        let ia = s * (j + r * m) + q, ib = s * (j + (p - r) * m) + q
                        tr[r] = xr[ia] + xr[ib]; ti[r] = xi[ia] + xi[ib]
                        dr[r] = xr[ia] - xr[ib]; di[r] = xi[ia] - xi[ib]
                        sumR += tr[r]; sumI += ti[r]
                    }
                    yr[o + q] = sumR; yi[o + q] = sumI
                    for k in 1...half {
                        var ar = a0r, ai = a0i, er = 0.0, ei = 0.0
                        for r in 1...half {
                            let idx = (r * k) % p
                            let c = cs[idx], sv = sn[idx]
                            ar += c * tr[r]; ai += c * ti[r]
                            er += sv * dr[r]; ei += sv * di[r]
                        }
                        let bkr = ar + ei, bki = ai - er      // A − i·E
                        let bmr = ar - ei, bmi = ai + er      // A + i·E
                        let wk = j * (p - 1) + k - 1, wm = j * (p - 1) + (p - k) - 1
                        yr[o + k * s + q] = bkr * w.0[wk] - bki * w.1[wk]
                        yi[o + k * s + q] = bkr * w.1[wk] + bki * w.0[wk]
                        yr[o + (p - k) * s + q] = bmr * w.0[wm] - bmi * w.1[wm]
                        yi[o + (p - k) * s + q] = bmr * w.1[wm] + bmi * w.0[wm]
                    }
                }
            }
        }
        }
        }
    }
}

/// Complex values in split form (separate real and imaginary arrays).
public struct ComplexBuffer: Equatable, Sendable {
    /// Real parts.
    public var re: [Double]
    /// Imaginary parts.
    public var im: [Double]

    /// `re` with imaginary parts `im` (zeros when nil).
    public init(re: [Double], im: [Double]? = nil) {
        precondition(im == nil || im!.count == re.count, "ComplexBuffer: \(re.count) real parts but \(im!.count) imaginary parts")
        self.re = re
        self.im = im ?? [Double](repeating: 0, count: re.count)
    }

    /// `count` zeros.
    public init(count: Int) { self.init(re: [Double](repeating: 0, count: count)) }

    /// Number of complex values.
    public var count: Int { re.count }

    /// |z| of every value.
    public var magnitudes: [Double] { zip(re, im).map { ($0 * $0 + $1 * $1).squareRoot() } }
}

/// Discrete Fourier transforms with numpy/torch conventions: `forward` is unnormalised,
/// `inverse` scales by 1/n (1/(H·W) in 2-D); `shift`/`ishift` are `fftshift`/`ifftshift`.
public enum FFT {
    /// Forward (or inverse) 1-D DFTs of `count` contiguous sequences of `length` points, in place.
    public static func transform(re: UnsafeMutablePointer<Double>, im: UnsafeMutablePointer<Double>,
                                 length: Int, count: Int = 1, inverse: Bool = false) {
        precondition(length >= 1 && count >= 0, "FFT: length \(length), count \(count)")
        let plan = FFTPlan.plan(length)
        let sr = SendPtr(re), si = SendPtr(im)
        parallelFor(count, costPerItem: length * 20) { lo, hi in
            let scratch = UnsafeMutablePointer<Double>.allocate(capacity: 2 * length)
            defer { scratch.deallocate() }
            for c in lo..<hi {
                let r = sr.p + c * length, i = si.p + c * length
                if inverse {
                    plan.forward(re: i, im: r, scratchRe: scratch + length, scratchIm: scratch)
                    scale(r, i, length, 1 / Double(length))
                } else {
                    plan.forward(re: r, im: i, scratchRe: scratch, scratchIm: scratch + length)
                }
            }
        }
    }

    /// Forward (or inverse) 2-D DFTs of `planes` contiguous H×W planes (row-major), in place.
    /// Planes run in parallel unless `parallel` is false (for callers already inside a parallel loop).
    public static func transform2D(re: UnsafeMutablePointer<Double>, im: UnsafeMutablePointer<Double>,
                                   planes: Int, height: Int, width: Int, inverse: Bool = false, parallel: Bool = true) {
        precondition(height >= 1 && width >= 1 && planes >= 0, "FFT2: \(planes) planes of \(height)×\(width)")
        let rows = FFTPlan.plan(width), cols = FFTPlan.plan(height)
        let hw = height * width
        let sr = SendPtr(re), si = SendPtr(im)
        parallelFor(parallel ? planes : 1, costPerItem: hw * 40) { lo0, hi0 in
            let (lo, hi) = parallel ? (lo0, hi0) : (0, planes)
            let scratch = UnsafeMutablePointer<Double>.allocate(capacity: 2 * hw)
            defer { scratch.deallocate() }
            for p in lo..<hi {
                // Swapping real and imaginary parts turns the forward transform into the unscaled inverse.
                let r = inverse ? si.p + p * hw : sr.p + p * hw
                let i = inverse ? sr.p + p * hw : si.p + p * hw
                for y in 0..<height {
                    rows.forward(re: r + y * width, im: i + y * width, scratchRe: scratch, scratchIm: scratch + width)
                }
                cols.forward(re: r, im: i, lanes: width, scratchRe: scratch, scratchIm: scratch + hw)
                if inverse { scale(r, i, hw, 1 / Double(hw)) }
            }
        }
    }

    @inline(__always) private static func scale(_ r: UnsafeMutablePointer<Double>, _ i: UnsafeMutablePointer<Double>, _ n: Int, _ f: Double) {
        for k in 0..<n { r[k] *= f; i[k] *= f }
    }

    /// Forward 1-D DFT of each `length`-point sequence in `x` (its count must be a multiple of `length`).
    public static func forward(_ x: inout ComplexBuffer, length: Int) { apply(&x, length: length, inverse: false) }

    /// Inverse 1-D DFT (scaled by 1/length) of each `length`-point sequence in `x`.
    public static func inverse(_ x: inout ComplexBuffer, length: Int) { apply(&x, length: length, inverse: true) }

    /// Forward 2-D DFT of each H×W plane in `x` (its count must be a multiple of H·W).
    public static func forward2D(_ x: inout ComplexBuffer, height: Int, width: Int) {
        apply2D(&x, height: height, width: width, inverse: false)
    }

    /// Inverse 2-D DFT (scaled by 1/(H·W)) of each H×W plane in `x`.
    public static func inverse2D(_ x: inout ComplexBuffer, height: Int, width: Int) {
        apply2D(&x, height: height, width: width, inverse: true)
    }

    private static func apply(_ x: inout ComplexBuffer, length: Int, inverse: Bool) {
        precondition(length >= 1 && x.count % length == 0, "FFT: \(x.count) values are not whole sequences of \(length)")
        let count = x.count / length
        x.re.withUnsafeMutableBufferPointer { r in
            x.im.withUnsafeMutableBufferPointer { i in
                guard let rb = r.baseAddress, let ib = i.baseAddress else { return }
                transform(re: rb, im: ib, length: length, count: count, inverse: inverse)
            }
        }
    }

    private static func apply2D(_ x: inout ComplexBuffer, height: Int, width: Int, inverse: Bool) {
        precondition(height >= 1 && width >= 1 && x.count % (height * width) == 0,
                     "FFT2: \(x.count) values are not whole \(height)×\(width) planes")
        let planes = x.count / (height * width)
        x.re.withUnsafeMutableBufferPointer { r in
            x.im.withUnsafeMutableBufferPointer { i in
                guard let rb = r.baseAddress, let ib = i.baseAddress else { return }
                transform2D(re: rb, im: ib, planes: planes, height: height, width: width, inverse: inverse)
            }
        }
    }

    /// numpy `fftshift` of a 1-D sequence: element i moves to (i + n/2) mod n, so zero frequency
    /// lands at index n/2 (integer division; for odd n, at (n−1)/2).
    public static func shift<T>(_ x: [T]) -> [T] { roll(x, by: x.count / 2) }

    /// numpy `ifftshift`: the inverse of `shift` (they differ for odd lengths).
    public static func ishift<T>(_ x: [T]) -> [T] { roll(x, by: x.count - x.count / 2) }

    /// `fftshift` over the last two axes of consecutive H×W planes.
    public static func shift<T>(_ x: [T], height: Int, width: Int) -> [T] {
        roll2D(x, height: height, width: width, dy: height / 2, dx: width / 2)
    }

    /// `ifftshift` over the last two axes of consecutive H×W planes.
    public static func ishift<T>(_ x: [T], height: Int, width: Int) -> [T] {
        roll2D(x, height: height, width: width, dy: height - height / 2, dx: width - width / 2)
    }

    private static func roll<T>(_ x: [T], by k: Int) -> [T] {
        let n = x.count
        guard n > 1 else { return x }
        return (0..<n).map { x[($0 - k % n + n) % n] }
    }

    private static func roll2D<T>(_ x: [T], height: Int, width: Int, dy: Int, dx: Int) -> [T] {
        let hw = height * width
        precondition(hw > 0 && x.count % hw == 0, "fftshift: \(x.count) values are not whole \(height)×\(width) planes")
        var out = x
        for p in 0..<(x.count / hw) {
            for y in 0..<height {
                let sy = (y - dy % height + height) % height
                for xx in 0..<width {
                    out[p * hw + y * width + xx] = x[p * hw + sy * width + (xx - dx % width + width) % width]
                }
            }
        }
        return out
    }
}
