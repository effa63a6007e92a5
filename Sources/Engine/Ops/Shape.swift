// Shape ops: reshape, permute/transpose, slicing and concatenation, with their gradients.
import Foundation

extension Tensor {
    /// The same elements with a new shape (one dimension may be -1). Shares storage.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var s = newShape
        if let i = s.firstIndex(of: -1) {
            let known = s.enumerated().filter { $0.offset != i }.map(\.element).reduce(1, *)
            precondition(known > 0 && count % known == 0, "cannot reshape \(shape) to \(newShape)")
            s[i] = count / known
        }
        precondition(s.reduce(1, *) == count, "cannot reshape \(shape) (\(count) elements) to \(newShape)")
        let out = Tensor(shape: s, storage: storage)
        let inShape = shape
        return out.recorded([self]) { dOut in [dOut.reshaped(inShape)] }
    }

    public func reshaped(_ dims: Int...) -> Tensor { reshaped(dims) }

    /// Flattens dimensions from `start` onward into one.
    public func flattened(from start: Int = 1) -> Tensor {
        reshaped(Array(shape[..<start]) + [shape[start...].reduce(1, *)])
    }

    /// Reorders dimensions: output dimension i is input dimension `order[i]`. Copies.
    public func permuted(_ order: [Int]) -> Tensor {
        precondition(order.count == rank && Set(order) == Set(0..<rank), "bad permutation \(order) for shape \(shape)")
        let outShape = order.map { shape[$0] }
        let out = Tensor(uninitialized: outShape)
        let inStrides = contiguousStrides(shape)
        let srcStrides = order.map { inStrides[$0] }
        stridedCopy(from: ptr, srcStrides: srcStrides, to: out.ptr, shape: outShape)
        var inverse = [Int](repeating: 0, count: rank)
        for (i, o) in order.enumerated() { inverse[o] = i }
        return out.recorded([self]) { dOut in [dOut.permuted(inverse)] }
    }

    public func permuted(_ order: Int...) -> Tensor { permuted(order) }

    /// Swaps two dimensions (copies).
    public func transposed(_ a: Int = -2, _ b: Int = -1) -> Tensor {
        var order = Array(0..<rank)
        order.swapAt(a < 0 ? rank + a : a, b < 0 ? rank + b : b)
        return permuted(order)
    }

    /// Elements `range` along dimension `axis` (copies).
    public func sliced(axis: Int, _ range: Range<Int>) -> Tensor {
        let ax = axis < 0 ? rank + axis : axis
        precondition(range.lowerBound >= 0 && range.upperBound <= shape[ax], "slice \(range) out of bounds for dim \(ax) of \(shape)")
        let outer = shape[..<ax].reduce(1, *), inner = shape[(ax + 1)...].reduce(1, *)
        var outShape = shape
        outShape[ax] = range.count
        let out = Tensor(uninitialized: outShape)
        let n = shape[ax], m = range.count
        for o in 0..<outer {
            (out.ptr + o * m * inner).update(from: ptr + (o * n + range.lowerBound) * inner, count: m * inner)
        }
        let inShape = shape
        return out.recorded([self]) { dOut in
            let dx = Tensor.zeros(inShape)
            for o in 0..<outer {
                (dx.ptr + (o * n + range.lowerBound) * inner).update(from: dOut.ptr + o * m * inner, count: m * inner)
            }
            return [dx]
        }
    }
}

/// Joins tensors along `axis`; all other dimensions must agree.
public func concat(_ xs: [Tensor], axis: Int) -> Tensor {
    precondition(!xs.isEmpty, "concat of nothing")
    let r = xs[0].rank
    let ax = axis < 0 ? r + axis : axis
    for x in xs {
        precondition(x.rank == r && (0..<r).allSatisfy { $0 == ax || x.shape[$0] == xs[0].shape[$0] },
                     "concat along \(ax): shapes \(xs.map(\.shape)) disagree")
    }
    var outShape = xs[0].shape
    outShape[ax] = xs.map { $0.shape[ax] }.reduce(0, +)
    let outer = outShape[..<ax].reduce(1, *), inner = outShape[(ax + 1)...].reduce(1, *)
    let out = Tensor(uninitialized: outShape)
    let total = outShape[ax]
    var offset = 0
    var offsets: [Int] = []
    for x in xs {
        let m = x.shape[ax]
        offsets.append(offset)
        for o in 0..<outer {
            (out.ptr + (o * total + offset) * inner).update(from: x.ptr + o * m * inner, count: m * inner)
        }
        offset += m
    }
    return out.recorded(xs) { dOut in
        zip(xs, offsets).map { x, off in
            let m = x.shape[ax]
            let dx = Tensor(uninitialized: x.shape)
            for o in 0..<outer {
                (dx.ptr + o * m * inner).update(from: dOut.ptr + (o * total + off) * inner, count: m * inner)
            }
            return dx
        }
    }
}

/// Steps a row-major index over all but the last axis of `shape` to the next row (the last axis is the
/// inner loop of the strided walks in `stridedCopy` and broadcasting binary ops).
@inline(__always) func advanceOuterIndex(_ idx: inout [Int], shape: [Int]) {
    var d = shape.count - 2
    while d >= 0 {
        idx[d] += 1
        if idx[d] < shape[d] { break }
        idx[d] = 0
        d -= 1
    }
}

/// Copies a strided view (`srcStrides` in elements, laid out as `shape`) into contiguous `dst`.
func stridedCopy(from src: UnsafeMutablePointer<Float>, srcStrides: [Int], to dst: UnsafeMutablePointer<Float>, shape: [Int]) {
    let r = shape.count
    if r == 0 { dst[0] = src[0]; return }
    let total = shape.reduce(1, *)
    if total == 0 { return }
    let inner = shape[r - 1], innerStride = srcStrides[r - 1]
    let outerCount = total / inner
    var idx = [Int](repeating: 0, count: r)
    var o = 0
    for _ in 0..<outerCount {
        var base = 0
        for d in 0..<(r - 1) { base += idx[d] * srcStrides[d] }
        let s = src + base
        if innerStride == 1 {
            (dst + o).update(from: s, count: inner)
        } else {
            for i in 0..<inner { dst[o + i] = s[i * innerStride] }
        }
        o += inner
        advanceOuterIndex(&idx, shape: shape)
    }
}
