// SeededRNG: the deterministic SplitMix64 generator behind every random choice in Vision.

import Foundation

/// A small, fast, seedable random number generator (SplitMix64, Steele et al. 2014).
///
/// Vision never uses `SystemRandomNumberGenerator`: datasets and augmentations take a
/// `SeededRNG` explicitly, so a seed fixes every pixel. All draws are implemented here
/// (not through the standard library's `random(in:using:)`, whose algorithm may change
/// between Swift releases), so results are stable across toolchains.
public struct SeededRNG: RandomNumberGenerator, Sendable, Equatable {
    /// The generator's whole state.
    public var state: UInt64

    /// Creates a generator from a seed.
    public init(seed: UInt64) {
        state = seed
    }

    /// Creates an independent generator for a numbered sub-stream of `seed`
    /// (e.g. one per image index), so items can be generated in any order or in parallel.
    public init(seed: UInt64, stream: UInt64) {
        state = SeededRNG.mix(seed ^ SeededRNG.mix(stream &+ 0x632B_E59B_D9B4_E019))
    }

    /// The SplitMix64 finaliser: a bijective 64-bit hash.
    @inlinable
    public static func mix(_ z0: UInt64) -> UInt64 {
        var z = z0
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The next 64 random bits.
    @inlinable
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return SeededRNG.mix(state)
    }

    /// A uniform Double in [0, 1) with 53 random bits.
    @inlinable
    public mutating func uniform() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A uniform Double in [a, b) (Python's `random.uniform(a, b)`).
    @inlinable
    public mutating func uniform(_ a: Double, _ b: Double) -> Double {
        a + (b - a) * uniform()
    }

    /// A uniform Float in [0, 1).
    @inlinable
    public mutating func uniformFloat() -> Float {
        Float(next() >> 40) * 0x1.0p-24
    }

    /// A uniform integer in [0, n) (multiply-shift; bias below n/2^64). `n` must be positive.
    @inlinable
    public mutating func int(below n: Int) -> Int {
        precondition(n > 0, "SeededRNG.int(below:) needs n > 0, got \(n)")
        return Int(next().multipliedFullWidth(by: UInt64(n)).high)
    }

    /// A uniform integer in the closed range (Python's `random.randint(lo, hi)`).
    @inlinable
    public mutating func int(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + int(below: range.upperBound - range.lowerBound + 1)
    }

    /// True with probability `p`.
    @inlinable
    public mutating func bernoulli(_ p: Double) -> Bool {
        uniform() < p
    }

    /// A standard normal sample (Box–Muller, one value per call).
    @inlinable
    public mutating func normal() -> Double {
        let u1 = 1 - uniform()  // (0, 1]
        let u2 = uniform()
        return (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2)
    }

    /// A normal sample with the given mean and standard deviation.
    @inlinable
    public mutating func normal(mean: Double, std: Double) -> Double {
        mean + std * normal()
    }

    /// A uniformly chosen element of a non-empty collection.
    @inlinable
    public mutating func choice<C: RandomAccessCollection>(_ items: C) -> C.Element where C.Index == Int {
        items[items.startIndex + int(below: items.count)]
    }

    /// A uniformly random permutation of 0..<n (Fisher–Yates).
    public mutating func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<n)
        var i = n - 1
        while i > 0 {
            p.swapAt(i, int(below: i + 1))
            i -= 1
        }
        return p
    }
}

