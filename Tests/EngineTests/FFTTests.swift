// FFT: 1-D and 2-D transforms against a naive O(N²) DFT, round trips, and fftshift/ifftshift.
import Engine
import Foundation
import Testing

/// Naive DFT of one sequence: X[k] = Σ x[t]·exp(∓2πi·t·k/n), scaled 1/n for the inverse.
private func naiveDFT(_ x: ComplexBuffer, inverse: Bool = false) -> ComplexBuffer {
    let n = x.count
    var out = ComplexBuffer(count: n)
    let sign = inverse ? 1.0 : -1.0
    for k in 0..<n {
        var sr = 0.0, si = 0.0
        for t in 0..<n {
            let a = sign * 2 * Double.pi * Double((t * k) % n) / Double(n)
            sr += x.re[t] * cos(a) - x.im[t] * sin(a)
            si += x.re[t] * sin(a) + x.im[t] * cos(a)
        }
        out.re[k] = inverse ? sr / Double(n) : sr
        out.im[k] = inverse ? si / Double(n) : si
    }
    return out
}

/// Naive 2-D DFT of one H×W plane (separable: rows then columns).
private func naiveDFT2(_ x: ComplexBuffer, height: Int, width: Int) -> ComplexBuffer {
    var out = x
    for y in 0..<height {
        let row = ComplexBuffer(re: Array(out.re[(y * width)..<((y + 1) * width)]), im: Array(out.im[(y * width)..<((y + 1) * width)]))
        let f = naiveDFT(row)
        for c in 0..<width { out.re[y * width + c] = f.re[c]; out.im[y * width + c] = f.im[c] }
    }
    for c in 0..<width {
        let col = ComplexBuffer(re: (0..<height).map { out.re[$0 * width + c] }, im: (0..<height).map { out.im[$0 * width + c] })
        let f = naiveDFT(col)
        for y in 0..<height { out.re[y * width + c] = f.re[y]; out.im[y * width + c] = f.im[y] }
    }
    return out
}

private func randomComplex(_ n: Int, seed: UInt64) -> ComplexBuffer {
    var rng = RandomGenerator(seed: seed)
    return ComplexBuffer(re: (0..<n).map { _ in Double(rng.normal()) }, im: (0..<n).map { _ in Double(rng.normal()) })
}

private func maxError(_ a: ComplexBuffer, _ b: ComplexBuffer) -> Double {
    zip(zip(a.re, a.im), zip(b.re, b.im)).map { max(abs($0.0 - $1.0), abs($0.1 - $1.1)) }.max() ?? 0
}

@Suite struct FFTTests {
    static let lengths = [1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 14, 16, 17, 28, 32, 49, 56, 224]

    @Test(arguments: lengths) func forwardMatchesNaiveDFT(n: Int) {
        let x = randomComplex(n, seed: UInt64(n))
        var y = x
        FFT.forward(&y, length: n)
        let tol = 1e-10 * Double(n)
        #expect(maxError(y, naiveDFT(x)) < tol, "length \(n)")
        var z = y
        FFT.inverse(&z, length: n)
        #expect(maxError(z, x) < 1e-12 * Double(n), "round trip, length \(n)")
        #expect(maxError(z, naiveDFT(y, inverse: true)) < 1e-12 * Double(n), "inverse, length \(n)")
    }

    @Test func batchOfSequencesAndOtherPrimes() {
        // Three sequences at once, and lengths with larger prime factors (11, 13, 121 = 11², 2·3·5·7).
        for n in [11, 13, 121, 210] {
            let x = randomComplex(3 * n, seed: 7)
            var y = x
            FFT.forward(&y, length: n)
            for s in 0..<3 {
                let part = ComplexBuffer(re: Array(x.re[(s * n)..<((s + 1) * n)]), im: Array(x.im[(s * n)..<((s + 1) * n)]))
                let got = ComplexBuffer(re: Array(y.re[(s * n)..<((s + 1) * n)]), im: Array(y.im[(s * n)..<((s + 1) * n)]))
                #expect(maxError(got, naiveDFT(part)) < 1e-9, "length \(n), sequence \(s)")
            }
        }
        #expect(FFTPlan(length: 224).radices == [4, 4, 2, 7])
        #expect(FFTPlan(length: 1).radices.isEmpty)
    }

    @Test(arguments: [(7, 7), (14, 14), (32, 32), (24, 24), (56, 56), (6, 10)])
    func forward2DMatchesNaive(shape: (Int, Int)) {
        let (h, w) = shape
        let planes = 2
        let x = randomComplex(planes * h * w, seed: UInt64(h * 100 + w))
        var y = x
        FFT.forward2D(&y, height: h, width: w)
        for p in 0..<planes {
            let r = (p * h * w)..<((p + 1) * h * w)
            let expected = naiveDFT2(ComplexBuffer(re: Array(x.re[r]), im: Array(x.im[r])), height: h, width: w)
            #expect(maxError(ComplexBuffer(re: Array(y.re[r]), im: Array(y.im[r])), expected) < 1e-9 * Double(h * w),
                    "\(h)×\(w) plane \(p)")
        }
        var z = y
        FFT.inverse2D(&z, height: h, width: w)
        #expect(maxError(z, x) < 1e-12 * Double(h * w), "\(h)×\(w) round trip")
    }

    @Test func realInputIsConjugateSymmetric() {
        let n = 12
        var x = ComplexBuffer(re: randomComplex(n, seed: 3).re)
        FFT.forward(&x, length: n)
        for k in 1..<n {
            #expect(abs(x.re[k] - x.re[n - k]) < 1e-12 && abs(x.im[k] + x.im[n - k]) < 1e-12)
        }
        #expect(abs(x.im[0]) < 1e-12)
    }

    @Test func shiftFollowsNumpy() {
        // numpy: fftshift([0,1,2,3,4]) = [3,4,0,1,2]; ifftshift = [2,3,4,0,1]; even: [0..5] → [3,4,5,0,1,2].
        #expect(FFT.shift([0, 1, 2, 3, 4]) == [3, 4, 0, 1, 2])
        #expect(FFT.ishift([0, 1, 2, 3, 4]) == [2, 3, 4, 0, 1])
        #expect(FFT.shift([0, 1, 2, 3, 4, 5]) == [3, 4, 5, 0, 1, 2])
        #expect(FFT.ishift([0, 1, 2, 3, 4, 5]) == [3, 4, 5, 0, 1, 2])
        #expect(FFT.shift([7]) == [7] && FFT.shift([Int]()) == [])
        for (h, w) in [(5, 5), (4, 6), (3, 4), (7, 2)] {
            let x = Array(0..<(2 * h * w))
            let s = FFT.shift(x, height: h, width: w)
            #expect(FFT.ishift(s, height: h, width: w) == x, "\(h)×\(w)")
            // Zero frequency (index 0 of each plane) moves to (h/2, w/2).
            #expect(s[(h / 2) * w + w / 2] == 0 && s[h * w + (h / 2) * w + w / 2] == h * w)
            // Along each axis the 2-D shift equals the 1-D shift.
            let row0 = (0..<w).map { s[(h / 2) * w + $0] }
            #expect(row0 == FFT.shift(Array(0..<w)))
        }
    }
}
