// Activations: relu, gelu (erf), sigmoid, silu, tanh, softmax/log-softmax, dropout.
import CKernels
import Foundation

/// Elementwise map over all elements, split across threads for large tensors.
@inline(__always)
func parallelMap(_ x: Tensor, cost: Int = 1, _ f: @escaping (Float) -> Float) -> Tensor {
    let out = Tensor(uninitialized: x.shape)
    let o = SendPtr(out.ptr), s = SendPtr(x.ptr)
    parallelFor(x.count, costPerItem: cost) { a, b in
        for i in a..<b { o[i] = f(s[i]) }
    }
    return out
}

/// Elementwise `f(x, y)` into a new tensor, for backward passes (x is usually dOut).
@inline(__always)
func parallelZip(_ x: Tensor, _ y: Tensor, cost: Int = 1, _ f: @escaping (Float, Float) -> Float) -> Tensor {
    precondition(x.count == y.count, "zip of \(x.shape) and \(y.shape)")
    let out = Tensor(uninitialized: x.shape)
    let o = SendPtr(out.ptr), a = SendPtr(x.ptr), b = SendPtr(y.ptr)
    parallelFor(x.count, costPerItem: cost) { s, e in
        for i in s..<e { o[i] = f(a[i], b[i]) }
    }
    return out
}

/// max(x, 0).
public func relu(_ x: Tensor) -> Tensor {
    let out = parallelMap(x) { $0 > 0 ? $0 : 0 }
    return out.recorded([x]) { dOut in [parallelZip(dOut, out) { dy, y in y > 0 ? dy : 0 }] }
}

/// GELU, exact form x·Φ(x) = x/2·(1 + erf(x/√2)) (erf to 1.5e-7, see `fastErf`).
public func gelu(_ x: Tensor) -> Tensor {
    #if arch(x86_64)
    if KernelISA.current == .avx512 {
        let out = Tensor(uninitialized: x.shape)
        let s = SendPtr(x.ptr), o = SendPtr(out.ptr)
        parallelFor(x.count, costPerItem: 20) { a, b in lk512_gelu(s.p + a, o.p + a, b - a) }
        return out.recorded([x]) { dOut in
            precondition(dOut.count == x.count, "gelu: gradient \(dOut.shape) for \(x.shape)")
            let dx = Tensor(uninitialized: x.shape), dOutP = SendPtr(dOut.ptr), dxP = SendPtr(dx.ptr)
            parallelFor(x.count, costPerItem: 30) { a, b in lk512_gelu_grad(dOutP.p + a, s.p + a, dxP.p + a, b - a) }
            return [dx]
        }
    }
    #endif
    let out = parallelMap(x, cost: 20) { fastGELU($0) }
    return out.recorded([x]) { dOut in [parallelZip(dOut, x, cost: 30) { dy, v in dy * fastGELUDerivative(v) }] }
}

/// 1/(1+e^-x).
public func sigmoid(_ x: Tensor) -> Tensor {
    let out = parallelMap(x, cost: 10) { v in 1 / (1 + exp(-v)) }
    return out.recorded([x]) { dOut in [parallelZip(dOut, out) { dy, s in dy * s * (1 - s) }] }
}

/// x·σ(x).
public func silu(_ x: Tensor) -> Tensor {
    let out = parallelMap(x, cost: 10) { v in v / (1 + exp(-v)) }
    return out.recorded([x]) { dOut in
        let d = parallelMap(x, cost: 10) { v in
            let s = 1 / (1 + exp(-v))
            return s * (1 + v * (1 - s))
        }
        return [parallelZip(dOut, d, *)]
    }
}

/// Hyperbolic tangent.
public func tanh(_ x: Tensor) -> Tensor {
    let out = parallelMap(x, cost: 10) { Foundation.tanh($0) }
    return out.recorded([x]) { dOut in [parallelZip(dOut, out) { dy, t in dy * (1 - t * t) }] }
}

/// Softmax over the last dimension.
public func softmax(_ x: Tensor) -> Tensor {
    let n = x.dim(-1), rows = x.count / n
    let out = Tensor(uninitialized: x.shape)
    let o = SendPtr(out.ptr), s = SendPtr(x.ptr)
    let isa = KernelISA.current
    parallelFor(rows, costPerItem: n * 10) { a, b in
        for r in a..<b {
            #if arch(x86_64)
            if isa == .avx512 { lk512_softmax_row(s.p + r * n, o.p + r * n, n); continue }
            #endif
            softmaxRow(s.p + r * n, o.p + r * n, n)
        }
    }
    return out.recorded([x]) { dOut in
        let dx = Tensor(uninitialized: x.shape)
        let dOutP = SendPtr(dOut.ptr), dxP = SendPtr(dx.ptr)
        parallelFor(rows, costPerItem: n * 4) { a, b in
            for r in a..<b {
                let y = o.p + r * n, dy = dOutP.p + r * n, d = dxP.p + r * n
                #if arch(x86_64)
                if isa == .avx512 { lk512_softmax_grad_row(y, dy, d, n, 1); continue }
                #endif
                let dot = rowDot(dy, y, n)
                for i in 0..<n { d[i] = y[i] * (dy[i] - dot) }
            }
        }
        return [dx]
    }
}

/// Log-softmax over the last dimension.
public func logSoftmax(_ x: Tensor) -> Tensor {
    let n = x.dim(-1), rows = x.count / n
    let out = Tensor(uninitialized: x.shape)
    for r in 0..<rows { logSoftmaxRow(x.ptr + r * n, out.ptr + r * n, n) }
    return out.recorded([x]) { dOut in
        let dx = Tensor(uninitialized: x.shape)
        for r in 0..<rows {
            let y = out.ptr + r * n, dy = dOut.ptr + r * n, d = dx.ptr + r * n
            var s: Float = 0
            for i in 0..<n { s += dy[i] }
            for i in 0..<n { d[i] = dy[i] - Foundation.exp(y[i]) * s }
        }
        return [dx]
    }
}

@inline(__always) func softmaxRow(_ x: UnsafeMutablePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
    let m = rowMax(x, n)
    // In place, one pointer: aliasing x and y would fail LLVM's overlap check (scalar loop).
    if x == y {
        for i in 0..<n { y[i] = fastExp(y[i] - m) }
    } else {
        for i in 0..<n { y[i] = fastExp(x[i] - m) }
    }
    let inv = 1 / rowSum(y, n)
    for i in 0..<n { y[i] *= inv }
}

/// max of p[0..<n] (−∞ for n = 0) with eight SIMD lanes; exact, so the lane order does not matter.
/// Compare-and-select rather than `max`/`pointwiseMax`, whose IEEE NaN rules keep them out of line;
/// a NaN is skipped here, and still turns the softmax it feeds into NaNs.
@inline(__always) func rowMax(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
    var i = 0
    var m = -Float.infinity
    if n >= 8 {
        let raw = UnsafeRawPointer(p)
        var acc = SIMD8<Float>(repeating: -.infinity)
        while i + 8 <= n {
            let v = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            acc.replace(with: v, where: v .> acc)
            i += 8
        }
        for l in 0..<8 where acc[l] > m { m = acc[l] }
    }
    while i < n { if p[i] > m { m = p[i] }; i += 1 }
    return m
}

/// Σ p[0..<n] with eight SIMD lanes (a fixed order for a given n).
@inline(__always) func rowSum(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
    var acc = SIMD8<Float>(repeating: 0)
    var i = 0
    let raw = UnsafeRawPointer(p)
    while i + 8 <= n { acc += raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self); i += 8 }
    var s = acc.sum()
    while i < n { s += p[i]; i += 1 }
    return s
}

/// Σ a[i]·b[i] with eight SIMD lanes (a fixed order for a given n).
@inline(__always) func rowDot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
    var acc = SIMD8<Float>(repeating: 0)
    var i = 0
    let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
    while i + 8 <= n {
        acc += ra.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            * rb.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
        i += 8
    }
    var s = acc.sum()
    while i < n { s += a[i] * b[i]; i += 1 }
    return s
}

@inline(__always) func logSoftmaxRow(_ x: UnsafeMutablePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
    var m = -Float.infinity
    for i in 0..<n { m = Swift.max(m, x[i]) }
    var s: Double = 0
    for i in 0..<n { s += Double(Foundation.exp(x[i] - m)) }
    let lse = m + Float(Foundation.log(s))
    for i in 0..<n { y[i] = x[i] - lse }
}

/// Inverted dropout: zeroes each element with probability `p` and scales the rest by 1/(1-p).
/// Identity when `p == 0` or not training.
public func dropout(_ x: Tensor, p: Float, training: Bool, rng: inout RandomGenerator) -> Tensor {
    guard training, p > 0 else { return x }
    let mask = Tensor(uninitialized: x.shape)
    let keep = 1 / (1 - p)
    for i in 0..<mask.count { mask.ptr[i] = rng.uniform() < p ? 0 : keep }
    let out = parallelZip(x, mask, *)
    return out.recorded([x]) { dOut in [parallelZip(dOut, mask, *)] }
}
