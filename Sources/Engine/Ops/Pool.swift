// Pooling: max pool, average pool and global average pool (NCHW), with gradients.
import Foundation

/// Max pooling with a square window; padded cells never win (PyTorch semantics).
public func maxPool2d(_ x: Tensor, kernel: Int, stride: Int, padding: Int = 0) -> Tensor {
    let n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3)
    let oh = (h + 2 * padding - kernel) / stride + 1, ow = (w + 2 * padding - kernel) / stride + 1
    let out = Tensor(uninitialized: [n, c, oh, ow])
    var arg = [Int32](repeating: 0, count: out.count)
    arg.withUnsafeMutableBufferPointer { ab in
        let ap = SendPtr(ab.baseAddress!), xp = SendPtr(x.ptr), op = SendPtr(out.ptr)
        parallelFor(n * c, costPerItem: oh * ow * kernel * kernel) { lo, hi in
            for plane in lo..<hi {
                let s = xp.p + plane * h * w
                for i in 0..<oh {
                    for j in 0..<ow {
                        var best = -Float.infinity, bi: Int32 = -1
                        for di in 0..<kernel {
                            let y = i * stride - padding + di
                            if y < 0 || y >= h { continue }
                            for dj in 0..<kernel {
                                let xx = j * stride - padding + dj
                                if xx < 0 || xx >= w { continue }
                                let v = s[y * w + xx]
                                if v > best || bi < 0 { best = v; bi = Int32(y * w + xx) }
                            }
                        }
                        op[(plane * oh + i) * ow + j] = best
                        ap[(plane * oh + i) * ow + j] = bi
                    }
                }
            }
        }
    }
    return out.recorded([x]) { g in
        let gx = Tensor.zeros(x.shape)
        for plane in 0..<(n * c) {
            let d = gx.ptr + plane * h * w, gg = g.ptr + plane * oh * ow
            for q in 0..<(oh * ow) { d[Int(arg[plane * oh * ow + q])] += gg[q] }
        }
        return [gx]
    }
}

/// Average pooling with a square window; padding counts as zeros in the mean
/// (PyTorch's `count_include_pad=True`).
public func avgPool2d(_ x: Tensor, kernel: Int, stride: Int, padding: Int = 0) -> Tensor {
    let n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3)
    let oh = (h + 2 * padding - kernel) / stride + 1, ow = (w + 2 * padding - kernel) / stride + 1
    let out = Tensor.zeros([n, c, oh, ow])
    let inv = 1 / Float(kernel * kernel)
    func forEachTap(_ body: (Int, Int) -> Void) {  // (input index in plane, output index in plane)
        for i in 0..<oh {
            for j in 0..<ow {
                for di in 0..<kernel {
                    let y = i * stride - padding + di
                    if y < 0 || y >= h { continue }
                    for dj in 0..<kernel {
                        let xx = j * stride - padding + dj
                        if xx < 0 || xx >= w { continue }
                        body(y * w + xx, i * ow + j)
                    }
                }
            }
        }
    }
    for plane in 0..<(n * c) {
        let s = x.ptr + plane * h * w, d = out.ptr + plane * oh * ow
        forEachTap { src, dst in d[dst] += s[src] * inv }
    }
    return out.recorded([x]) { g in
        let gx = Tensor.zeros(x.shape)
        for plane in 0..<(n * c) {
            let d = gx.ptr + plane * h * w, gg = g.ptr + plane * oh * ow
            forEachTap { src, dst in d[src] += gg[dst] * inv }
        }
        return [gx]
    }
}

/// Mean over H and W: (N, C, H, W) → (N, C).
public func globalAvgPool(_ x: Tensor) -> Tensor {
    let n = x.dim(0), c = x.dim(1), hw = x.dim(2) * x.dim(3)
    let out = Tensor(uninitialized: [n, c])
    let inv = 1 / Float(hw)
    for plane in 0..<(n * c) {
        let s = x.ptr + plane * hw
        var acc: Float = 0
        for q in 0..<hw { acc += s[q] }
        out.ptr[plane] = acc * inv
    }
    return out.recorded([x]) { g in
        let gx = Tensor(uninitialized: x.shape)
        for plane in 0..<(n * c) {
            (gx.ptr + plane * hw).update(repeating: g.ptr[plane] * inv, count: hw)
        }
        return [gx]
    }
}

/// Max over H and W: (N, C, H, W) → (N, C); the gradient goes to the first maximum.
public func globalMaxPool(_ x: Tensor) -> Tensor {
    x.reshaped([x.dim(0), x.dim(1), -1]).max(axis: 2)
}
