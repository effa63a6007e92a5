// Pooling: max pool, average pool and global average pool (NCHW), with gradients.
import Foundation

/// A square pooling window over (H, W): output (OH, OW), and the taps of each window that lie
/// inside the image (padded cells are skipped).
struct PoolWindow {
    let h, w, kernel, stride, padding, oh, ow: Int

    init(_ x: Tensor, kernel: Int, stride: Int, padding: Int) {
        h = x.dim(2); w = x.dim(3)
        self.kernel = kernel; self.stride = stride; self.padding = padding
        oh = (h + 2 * padding - kernel) / stride + 1; ow = (w + 2 * padding - kernel) / stride + 1
    }

    /// `body(input index in plane)` for each in-image tap of output (i, j)'s window, row by row.
    @inline(__always) func forEachTap(_ i: Int, _ j: Int, _ body: (Int) -> Void) {
        for di in 0..<kernel {
            let y = i * stride - padding + di
            if y < 0 || y >= h { continue }
            for dj in 0..<kernel {
                let xx = j * stride - padding + dj
                if xx < 0 || xx >= w { continue }
                body(y * w + xx)
            }
        }
    }

    /// `body(input index, output index)` (both in plane) for every tap of every window.
    @inline(__always) func forEachTap(_ body: (Int, Int) -> Void) {
        for i in 0..<oh {
            for j in 0..<ow { forEachTap(i, j) { body($0, i * ow + j) } }
        }
    }
}

/// Max pooling with a square window; padded cells never win (PyTorch semantics).
public func maxPool2d(_ x: Tensor, kernel: Int, stride: Int, padding: Int = 0) -> Tensor {
    let win = PoolWindow(x, kernel: kernel, stride: stride, padding: padding)
    let n = x.dim(0), c = x.dim(1), h = win.h, w = win.w, oh = win.oh, ow = win.ow
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
                        win.forEachTap(i, j) { q in
                            let v = s[q]
                            if v > best || bi < 0 { best = v; bi = Int32(q) }
                        }
                        op[(plane * oh + i) * ow + j] = best
                        ap[(plane * oh + i) * ow + j] = bi
                    }
                }
            }
        }
    }
    return out.recorded([x]) { dOut in
        let dx = Tensor.zeros(x.shape)
        for plane in 0..<(n * c) {
            let d = dx.ptr + plane * h * w, dy = dOut.ptr + plane * oh * ow
            for q in 0..<(oh * ow) { d[Int(arg[plane * oh * ow + q])] += dy[q] }
        }
        return [dx]
    }
}

/// Average pooling with a square window; padding counts as zeros in the mean
/// (PyTorch's `count_include_pad=True`).
public func avgPool2d(_ x: Tensor, kernel: Int, stride: Int, padding: Int = 0) -> Tensor {
    let win = PoolWindow(x, kernel: kernel, stride: stride, padding: padding)
    let n = x.dim(0), c = x.dim(1), h = win.h, w = win.w, oh = win.oh, ow = win.ow
    let out = Tensor.zeros([n, c, oh, ow])
    let inv = 1 / Float(kernel * kernel)
    for plane in 0..<(n * c) {
        let s = x.ptr + plane * h * w, d = out.ptr + plane * oh * ow
        win.forEachTap { src, dst in d[dst] += s[src] * inv }
    }
    return out.recorded([x]) { dOut in
        let dx = Tensor.zeros(x.shape)
        for plane in 0..<(n * c) {
            let d = dx.ptr + plane * h * w, dy = dOut.ptr + plane * oh * ow
            win.forEachTap { src, dst in d[src] += dy[dst] * inv }
        }
        return [dx]
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
    return out.recorded([x]) { dOut in
        let dx = Tensor(uninitialized: x.shape)
        for plane in 0..<(n * c) {
            (dx.ptr + plane * hw).update(repeating: dOut.ptr[plane] * inv, count: hw)
        }
        return [dx]
    }
}

/// Max over H and W: (N, C, H, W) → (N, C); the gradient goes to the first maximum.
public func globalMaxPool(_ x: Tensor) -> Tensor {
    x.reshaped([x.dim(0), x.dim(1), -1]).max(axis: 2)
}
