// Reductions: sum, mean, max and argmax over axes, with gradients.
import Foundation

extension Tensor {
    /// Splits shape around a contiguous run of axes: (outer, reduced, inner) sizes, or nil
    /// when the axes are not contiguous.
    private func reductionSplit(_ axes: [Int]) -> (Int, Int, Int)? {
        let s = axes.sorted()
        guard let f = s.first, let l = s.last, l - f + 1 == s.count else { return nil }
        return (shape[..<f].reduce(1, *), shape[f...l].reduce(1, *), shape[(l + 1)...].reduce(1, *))
    }

    private func normalizedAxes(_ axes: [Int]?) -> [Int] {
        (axes ?? Array(0..<rank)).map { $0 < 0 ? rank + $0 : $0 }
    }

    private func reducedShape(_ axes: [Int], keepDims: Bool) -> [Int] {
        keepDims ? shape.enumerated().map { axes.contains($0.offset) ? 1 : $0.element }
                 : shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element)
    }

    /// Sum over `axes` (all when nil). Accumulates in Double for accuracy.
    public func sum(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        let ax = normalizedAxes(axes)
        let outShape = reducedShape(ax, keepDims: keepDims)
        let out: Tensor
        if let (outer, red, inner) = reductionSplit(ax) {
            out = Tensor(uninitialized: outShape)
            let o = out.ptr, x = ptr
            if inner == 1 {
                for a in 0..<outer {
                    var acc = 0.0
                    let p = x + a * red
                    for r in 0..<red { acc += Double(p[r]) }
                    o[a] = Float(acc)
                }
            } else {
                // Row by row into Double accumulators (contiguous reads; the same order per
                // element as a strided walk, so the same result).
                var acc = [Double](repeating: 0, count: inner)
                acc.withUnsafeMutableBufferPointer { accP in
                    let ap = accP.baseAddress!
                    for a in 0..<outer {
                        ap.update(repeating: 0, count: inner)
                        for r in 0..<red {
                            let row = x + (a * red + r) * inner
                            for i in 0..<inner { ap[i] += Double(row[i]) }
                        }
                        for i in 0..<inner { o[a * inner + i] = Float(ap[i]) }
                    }
                }
            }
        } else {
            // Non-contiguous axes: reduce one axis at a time (highest first).
            var t = self.detached()
            for a in ax.sorted(by: >) { t = Autograd.noGrad { t.sum(axes: [a], keepDims: true) } }
            out = t.reshaped(outShape).detached()
        }
        let inShape = shape
        let keptShape = reducedShape(ax, keepDims: true)
        return out.recorded([self]) { dOut in
            [Autograd.noGrad { dOut.reshaped(keptShape) + Tensor.zeros(inShape) }]
        }
    }

    /// Mean over `axes` (all when nil).
    public func mean(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        let ax = normalizedAxes(axes)
        let n = ax.map { shape[$0] }.reduce(1, *)
        return sum(axes: ax, keepDims: keepDims) * (1 / Float(n))
    }

    /// Maximum along one axis; the gradient flows to the first maximal element.
    public func max(axis: Int, keepDims: Bool = false) -> Tensor {
        let ax = axis < 0 ? rank + axis : axis
        let (outer, red, inner) = (shape[..<ax].reduce(1, *), shape[ax], shape[(ax + 1)...].reduce(1, *))
        let out = Tensor(uninitialized: reducedShape([ax], keepDims: keepDims))
        let arg = argmax(axis: ax)
        for a in 0..<outer {
            for i in 0..<inner { out.ptr[a * inner + i] = ptr[(a * red + arg[a * inner + i]) * inner + i] }
        }
        let inShape = shape
        return out.recorded([self]) { dOut in
            let dx = Tensor.zeros(inShape)
            for a in 0..<outer {
                for i in 0..<inner { dx.ptr[(a * red + arg[a * inner + i]) * inner + i] = dOut.ptr[a * inner + i] }
            }
            return [dx]
        }
    }

    /// Index of the maximum along `axis` (first on ties), as Ints in row-major order.
    public func argmax(axis: Int = -1) -> [Int] {
        let ax = axis < 0 ? rank + axis : axis
        let (outer, red, inner) = (shape[..<ax].reduce(1, *), shape[ax], shape[(ax + 1)...].reduce(1, *))
        var result = [Int](repeating: 0, count: outer * inner)
        let x = ptr
        for a in 0..<outer {
            for i in 0..<inner {
                var best = x[a * red * inner + i], bi = 0
                for r in 1..<Swift.max(red, 1) {
                    let v = x[(a * red + r) * inner + i]
                    if v > best { best = v; bi = r }
                }
                result[a * inner + i] = bi
            }
        }
        return result
    }
}
