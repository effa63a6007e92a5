// Conv2d: im2col + GEMM forward and backward (NCHW), grouped over images for large GEMMs.
import Foundation

/// Zero padding on each side of a feature map.
public struct Padding: Hashable, Sendable, Codable {
    public var top, bottom, left, right: Int
    public init(top: Int, bottom: Int, left: Int, right: Int) {
        self.top = top; self.bottom = bottom; self.left = left; self.right = right
    }
    /// The same padding on all four sides.
    public init(_ p: Int) { self.init(top: p, bottom: p, left: p, right: p) }
}

/// The geometry of one convolution: input (C, H, W), kernel, stride, padding, output size.
public struct ConvGeometry: Hashable, Sendable {
    public let c, h, w, kh, kw, sh, sw: Int
    public let pad: Padding
    public let oh, ow: Int
    public init(c: Int, h: Int, w: Int, kh: Int, kw: Int, sh: Int, sw: Int, pad: Padding) {
        self.c = c; self.h = h; self.w = w; self.kh = kh; self.kw = kw; self.sh = sh; self.sw = sw; self.pad = pad
        oh = (h + pad.top + pad.bottom - kh) / sh + 1
        ow = (w + pad.left + pad.right - kw) / sw + 1
        precondition(oh > 0 && ow > 0, "conv2d: kernel \(kh)×\(kw) larger than padded input \(h)×\(w)")
    }
    /// Rows of the column matrix: C·KH·KW.
    public var k: Int { c * kh * kw }
    public var outPixels: Int { oh * ow }

    /// The first and last+1 output index along one axis whose input index is in range.
    @inline(__always) func validRange(_ kOff: Int, stride s: Int, pad p: Int, size: Int, out: Int) -> (Int, Int) {
        // i = o*s - p + kOff must satisfy 0 <= i < size
        var lo = p - kOff <= 0 ? 0 : (p - kOff + s - 1) / s
        var hi = size - 1 + p - kOff < 0 ? 0 : (size - 1 + p - kOff) / s + 1
        lo = Swift.min(lo, out); hi = Swift.min(Swift.max(hi, lo), out)
        return (lo, hi)
    }

    /// Writes one image's columns: col[row·ldc + pixel], rows (c, kh, kw), pixels (oh, ow).
    public func im2col(_ x: UnsafePointer<Float>, _ col: UnsafeMutablePointer<Float>, ldc: Int) {
        for c in 0..<c {
            let xc = x + c * h * w
            for i in 0..<kh {
                let (ohLo, ohHi) = validRange(i, stride: sh, pad: pad.top, size: h, out: oh)
                for j in 0..<kw {
                    let dst = col + ((c * kh + i) * kw + j) * ldc
                    let (owLo, owHi) = validRange(j, stride: sw, pad: pad.left, size: w, out: ow)
                    for o in 0..<oh {
                        let row = dst + o * ow
                        if o < ohLo || o >= ohHi {
                            row.update(repeating: 0, count: ow)
                            continue
                        }
                        let src = xc + (o * sh - pad.top + i) * w - pad.left + j
                        if owLo > 0 { row.update(repeating: 0, count: owLo) }
                        if sw == 1 {
                            (row + owLo).update(from: src + owLo, count: owHi - owLo)
                        } else {
                            for q in owLo..<owHi { row[q] = src[q * sw] }
                        }
                        if owHi < ow { (row + owHi).update(repeating: 0, count: ow - owHi) }
                    }
                }
            }
        }
    }

    /// Adds one image's column gradients back into dx (the adjoint of `im2col`).
    public func col2im(_ col: UnsafePointer<Float>, ldc: Int, _ dx: UnsafeMutablePointer<Float>) {
        for c in 0..<c {
            let xc = dx + c * h * w
            for i in 0..<kh {
                let (ohLo, ohHi) = validRange(i, stride: sh, pad: pad.top, size: h, out: oh)
                for j in 0..<kw {
                    let src = col + ((c * kh + i) * kw + j) * ldc
                    let (owLo, owHi) = validRange(j, stride: sw, pad: pad.left, size: w, out: ow)
                    if owLo >= owHi { continue }
                    for o in ohLo..<ohHi {
                        let row = src + o * ow
                        let d = xc + (o * sh - pad.top + i) * w - pad.left + j
                        if sw == 1 {
                            for q in owLo..<owHi { d[q] += row[q] }
                        } else {
                            for q in owLo..<owHi { d[q * sw] += row[q] }
                        }
                    }
                }
            }
        }
    }
}

/// Images per GEMM group: enough columns for an efficient GEMM, bounded column memory.
func convGroupSize(batch: Int, k: Int, pixels: Int) -> Int {
    let byMemory = Swift.max(1, (4 << 20) / Swift.max(1, k * pixels))  // ≤ 4M floats of columns
    let wanted = Swift.max(1, (4096 + pixels - 1) / pixels)               // ≥ ~4096 columns
    return Swift.max(1, Swift.min(batch, Swift.min(byMemory, Swift.max(wanted, Threads.count))))
}

/// 2-D convolution (cross-correlation, as PyTorch).
/// - x: (N, C, H, W); weight: (O, C, KH, KW); bias: (O) → (N, O, OH, OW).
public func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1), padding: Padding = Padding(0)) -> Tensor {
    precondition(x.rank == 4 && weight.rank == 4 && x.dim(1) == weight.dim(1),
                 "conv2d: input \(x.shape) does not match weight \(weight.shape)")
    let n = x.dim(0), o = weight.dim(0)
    let geo = ConvGeometry(c: x.dim(1), h: x.dim(2), w: x.dim(3), kh: weight.dim(2), kw: weight.dim(3),
                           sh: stride.0, sw: stride.1, pad: padding)
    let k = geo.k, p = geo.outPixels, inSize = geo.c * geo.h * geo.w
    FLOPCounter.add(2 * n * o * k * p)
    let out = Tensor(uninitialized: [n, o, geo.oh, geo.ow])
    let g = convGroupSize(batch: n, k: k, pixels: p)
    let col = Storage(uninitialized: k * g * p)
    let res = Storage(uninitialized: o * g * p)
    let colP = SendPtr(col.ptr), xP = SendPtr(x.ptr)
    var start = 0
    while start < n {
        let cnt = Swift.min(g, n - start), ldc = cnt * p
        parallelFor(cnt, costPerItem: k * p) { a, b in
            for i in a..<b { geo.im2col(xP.p + (start + i) * inSize, colP.p + i * p, ldc: ldc) }
        }
        // (O, K) · (K, cnt·P) → (O, cnt·P), then scatter into NCHW.
        gemm(m: o, n: ldc, k: k, a: weight.ptr, lda: k, b: col.ptr, ldb: ldc, c: res.ptr, ldc: ldc)
        for i in 0..<cnt {
            for oc in 0..<o {
                let dst = out.ptr + ((start + i) * o + oc) * p
                let src = res.ptr + oc * ldc + i * p
                if let bias {
                    let bv = bias.ptr[oc]
                    for q in 0..<p { dst[q] = src[q] + bv }
                } else {
                    dst.update(from: src, count: p)
                }
            }
        }
        start += cnt
    }
    var inputs = [x, weight]
    if let bias { inputs.append(bias) }
    return out.recorded(inputs) { gOut in
        conv2dBackward(x: x, weight: weight, bias: bias, gOut: gOut, geo: geo, group: g)
    }
}

/// Gradients of conv2d: [dx, dW, db?] from dOut (N, O, OH, OW).
func conv2dBackward(x: Tensor, weight: Tensor, bias: Tensor?, gOut: Tensor, geo: ConvGeometry, group g: Int) -> [Tensor?] {
    let n = x.dim(0), o = weight.dim(0), k = geo.k, p = geo.outPixels, inSize = geo.c * geo.h * geo.w
    let dx: Tensor? = x.requiresGrad ? Tensor.zeros(x.shape) : nil
    let dw: Tensor? = weight.requiresGrad ? Tensor.zeros(weight.shape) : nil
    var db: Tensor? = nil
    if let bias, bias.requiresGrad {
        let t = Tensor.zeros(bias.shape)
        for i in 0..<n {
            for oc in 0..<o {
                let s = gOut.ptr + (i * o + oc) * p
                var acc: Float = 0
                for q in 0..<p { acc += s[q] }
                t.ptr[oc] += acc
            }
        }
        db = t
    }
    let col = Storage(uninitialized: k * g * p)
    let gcol = Storage(uninitialized: o * g * p)
    let colP = SendPtr(col.ptr), xP = SendPtr(x.ptr)
    var start = 0
    while start < n {
        let cnt = Swift.min(g, n - start), ldc = cnt * p
        // Gather dOut for the group into (O, cnt·P).
        for i in 0..<cnt {
            for oc in 0..<o {
                (gcol.ptr + oc * ldc + i * p).update(from: gOut.ptr + ((start + i) * o + oc) * p, count: p)
            }
        }
        if let dw {
            parallelFor(cnt, costPerItem: k * p) { a, b in
                for i in a..<b { geo.im2col(xP.p + (start + i) * inSize, colP.p + i * p, ldc: ldc) }
            }
            // dW += dOut (O, cnt·P) · colᵀ (cnt·P, K)
            gemm(transB: true, m: o, n: k, k: ldc, a: gcol.ptr, lda: ldc, b: col.ptr, ldb: ldc,
                 beta: 1, c: dw.ptr, ldc: k)
        }
        if let dx {
            // dcol = Wᵀ (K, O) · dOut (O, cnt·P), then fold back per image.
            gemm(transA: true, m: k, n: ldc, k: o, a: weight.ptr, lda: k, b: gcol.ptr, ldb: ldc, c: col.ptr, ldc: ldc)
            let dxP = SendPtr(dx.ptr)
            parallelFor(cnt, costPerItem: k * p) { a, b in
                for i in a..<b { geo.col2im(colP.p + i * p, ldc: ldc, dxP.p + (start + i) * inSize) }
            }
        }
        start += cnt
    }
    var result: [Tensor?] = [dx, dw]
    if bias != nil { result.append(db) }
    return result
}
