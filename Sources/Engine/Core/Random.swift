// Random: a seeded, platform-independent generator for initialisation and dropout.
import Foundation

/// PCG-XSH-RR 64/32 with SplitMix64 seeding: deterministic across platforms and runs.
public struct RandomGenerator: RandomNumberGenerator, Codable, Sendable {
    public private(set) var state: UInt64
    public private(set) var inc: UInt64

    public init(seed: UInt64, stream: UInt64 = 0) {
        var sm = seed &+ 0x9E37_79B9_7F4A_7C15
        func splitmix(_ x: inout UInt64) -> UInt64 {
            x = x &+ 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = splitmix(&sm)
        inc = (splitmix(&sm) ^ stream) | 1
    }

    @inline(__always) public mutating func next32() -> UInt32 {
        let old = state
        state = old &* 6_364_136_223_846_793_005 &+ inc
        let xorshifted = UInt32(truncatingIfNeeded: ((old >> 18) ^ old) >> 27)
        let rot = UInt32(truncatingIfNeeded: old >> 59)
        return (xorshifted >> rot) | (xorshifted << ((~rot &+ 1) & 31))
    }

    public mutating func next() -> UInt64 {
        (UInt64(next32()) << 32) | UInt64(next32())
    }

    /// Uniform in [0, 1) with 24 bits of precision.
    @inline(__always) public mutating func uniform() -> Float {
        Float(next32() >> 8) * (1.0 / 16_777_216.0)
    }

    /// Uniform in [0, 1) as Double (53 bits).
    public mutating func uniformDouble() -> Double {
        Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// Standard normal via Box–Muller.
    public mutating func normal() -> Float {
        var u1 = uniformDouble()
        if u1 < 1e-300 { u1 = 1e-300 }
        let u2 = uniformDouble()
        return Float((-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2))
    }

    /// A uniformly random integer in `0..<n`.
    public mutating func below(_ n: Int) -> Int {
        Int(next() % UInt64(n))
    }
}
