// Elementwise ops: broadcasting arithmetic and scalar ops, with gradients.
import Foundation

/// The broadcast shape of two shapes (NumPy rules).
public func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int] {
    let r = max(a.count, b.count)
    return (0..<r).map { i -> Int in
        let sizeA = i < r - a.count ? 1 : a[i - (r - a.count)]
        let sizeB = i < r - b.count ? 1 : b[i - (r - b.count)]
        precondition(sizeA == sizeB || sizeA == 1 || sizeB == 1, "shapes \(a) and \(b) do not broadcast")
        return max(sizeA, sizeB)
    }
}

/// Strides that read a tensor of `shape` as if it had `outShape` (0 on broadcast dims).
func broadcastStrides(_ shape: [Int], to outShape: [Int]) -> [Int] {
    let r = outShape.count, off = r - shape.count
    let s = contiguousStrides(shape)
    return (0..<r).map { i in i < off || shape[i - off] == 1 ? 0 : s[i - off] }
}

/// Applies `f` elementwise over broadcast inputs into a new tensor.
@inline(__always)
func broadcastBinary(_ a: Tensor, _ b: Tensor, _ f: (Float, Float) -> Float) -> Tensor {
    if a.shape == b.shape {
        let out = Tensor(uninitialized: a.shape)
        let o = SendPtr(out.ptr), x = SendPtr(a.ptr), y = SendPtr(b.ptr)
        parallelFor(out.count, costPerItem: 2) { lo, hi in
            for i in lo..<hi { o[i] = f(x[i], y[i]) }
        }
        return out
    }
    let outShape = broadcastShape(a.shape, b.shape)
    let out = Tensor(uninitialized: outShape)
    if b.count == 1 {
        let o = out.ptr, x = a.ptr, y = b.ptr[0]
        if a.count == out.count { for i in 0..<out.count { o[i] = f(x[i], y) }; return out }
    }
    if a.count == 1 {
        let o = out.ptr, x = a.ptr[0], y = b.ptr
        if b.count == out.count { for i in 0..<out.count { o[i] = f(x, y[i]) }; return out }
    }
    let sa = broadcastStrides(a.shape, to: outShape), sb = broadcastStrides(b.shape, to: outShape)
    let r = outShape.count
    let inner = outShape[r - 1], ia = sa[r - 1], ib = sb[r - 1]
    let outer = out.count / max(inner, 1)
    var idx = [Int](repeating: 0, count: r)
    let o = out.ptr, x = a.ptr, y = b.ptr
    var pos = 0
    for _ in 0..<outer {
        var oa = 0, ob = 0
        for d in 0..<(r - 1) { oa += idx[d] * sa[d]; ob += idx[d] * sb[d] }
        for i in 0..<inner { o[pos + i] = f(x[oa + i * ia], y[ob + i * ib]) }
        pos += inner
        advanceOuterIndex(&idx, shape: outShape)
    }
    return out
}

extension Tensor {
    /// Sums a broadcast gradient back down to `target` shape.
    public func sumTo(_ target: [Int]) -> Tensor {
        if shape == target { return self }
        let r = rank, off = r - target.count
        var axes: [Int] = []
        for i in 0..<r where i < off || (target[i - off] == 1 && shape[i] != 1) { axes.append(i) }
        return sum(axes: axes, keepDims: true).reshaped(target)
    }

    /// Applies `f` to every element (no gradient).
    public func map(_ f: (Float) -> Float) -> Tensor {
        let out = Tensor(uninitialized: shape)
        let o = out.ptr, x = ptr
        for i in 0..<count { o[i] = f(x[i]) }
        return out
    }
}

public func + (a: Tensor, b: Tensor) -> Tensor {
    let out = broadcastBinary(a, b, +)
    return out.recorded([a, b]) { dOut in [dOut.sumTo(a.shape), dOut.sumTo(b.shape)] }
}

public func - (a: Tensor, b: Tensor) -> Tensor {
    let out = broadcastBinary(a, b, -)
    return out.recorded([a, b]) { dOut in [dOut.sumTo(a.shape), (-dOut).sumTo(b.shape)] }
}

public func * (a: Tensor, b: Tensor) -> Tensor {
    let out = broadcastBinary(a, b, *)
    return out.recorded([a, b]) { dOut in
        [a.requiresGrad ? Autograd.noGrad { (dOut * b).sumTo(a.shape) } : nil,
         b.requiresGrad ? Autograd.noGrad { (dOut * a).sumTo(b.shape) } : nil]
    }
}

public func / (a: Tensor, b: Tensor) -> Tensor {
    let out = broadcastBinary(a, b, /)
    return out.recorded([a, b]) { dOut in
        Autograd.noGrad {
            [a.requiresGrad ? (dOut / b).sumTo(a.shape) : nil,
             b.requiresGrad ? (-(dOut * out) / b).sumTo(b.shape) : nil]
        }
    }
}

public prefix func - (a: Tensor) -> Tensor {
    a * -1
}

public func + (a: Tensor, s: Float) -> Tensor {
    let out = a.map { $0 + s }
    return out.recorded([a]) { dOut in [dOut] }
}

public func - (a: Tensor, s: Float) -> Tensor { a + (-s) }

public func * (a: Tensor, s: Float) -> Tensor {
    let out = a.map { $0 * s }
    return out.recorded([a]) { dOut in [Autograd.noGrad { dOut * s }] }
}

public func * (s: Float, a: Tensor) -> Tensor { a * s }

public func / (a: Tensor, s: Float) -> Tensor { a * (1 / s) }

extension Tensor {
    /// e^x.
    public func exp() -> Tensor {
        let out = map { Foundation.exp($0) }
        return out.recorded([self]) { dOut in [Autograd.noGrad { dOut * out }] }
    }

    /// Natural logarithm.
    public func log() -> Tensor {
        let out = map { Foundation.log($0) }
        return out.recorded([self]) { [self] dOut in [Autograd.noGrad { dOut / self }] }
    }

    /// Square root.
    public func sqrt() -> Tensor {
        let out = map { $0.squareRoot() }
        return out.recorded([self]) { dOut in [Autograd.noGrad { dOut / (out * 2) }] }
    }

    /// Elementwise square.
    public func squared() -> Tensor { self * self }
}
