// Conv2d: im2col + GEMM forward and backward (NCHW): one GEMM per image on large maps, grouped
// images on small ones; images split over threads, each with single-threaded OpenBLAS.
import CBLAS
import Dispatch
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

    /// One kernel tap (i, j): the output rows [ohLo, ohHi) and columns [owLo, owHi) whose input
    /// pixel lies inside the image, and the input offset `delta` of output pixel 0 (span path only).
    struct Tap { let i, j, ohLo, ohHi, owLo, owHi, delta: Int; var isEmpty: Bool { ohLo >= ohHi || owLo >= owHi } }

    func taps() -> [Tap] {
        var t: [Tap] = []
        t.reserveCapacity(kh * kw)
        for i in 0..<kh {
            let (ohLo, ohHi) = validRange(i, stride: sh, pad: pad.top, size: h, out: oh)
            for j in 0..<kw {
                let (owLo, owHi) = validRange(j, stride: sw, pad: pad.left, size: w, out: ow)
                t.append(Tap(i: i, j: j, ohLo: ohLo, ohHi: ohHi, owLo: owLo, owHi: owHi,
                             delta: (i - pad.top) * w + j - pad.left))
            }
        }
        return t
    }

    /// Stride 1 with output width = input width ("same" convs): output and input rows have the same
    /// stride, so each tap's valid pixels are one contiguous span of the plane shifted by `delta`.
    /// A 1×1, stride-1, unpadded conv: each image's (C, H·W) input already is its column matrix.
    var isPointwise: Bool { kh == 1 && kw == 1 && sh == 1 && sw == 1 && pad == Padding(0) }

    var spanPath: Bool { sh == 1 && sw == 1 && ow == w }

    /// The tap that covers every input pixel exactly once with delta 0 (the centre of a "same"
    /// conv), so col2im can write it instead of zero-filling dx first; nil if there is none.
    func coveringTap(_ taps: [Tap]) -> Int? {
        guard spanPath && oh == h else { return nil }
        return taps.firstIndex { $0.delta == 0 && $0.ohLo == 0 && $0.ohHi == oh && $0.owLo == 0 && $0.owHi == ow }
    }

    /// Sets positions of a tap's span that wrap past a row edge (columns outside [owLo, owHi)).
    @inline(__always) func fillWrapped(_ row: UnsafeMutablePointer<Float>, _ t: Tap) {
        if t.owLo == 0 && t.owHi == ow { return }
        for o in t.ohLo..<t.ohHi {
            let r = row + o * ow
            if t.owLo == 1 { r[0] = 0 } else { for q in 0..<t.owLo { r[q] = 0 } }
            if t.owHi == ow - 1 { r[ow - 1] = 0 } else { for q in t.owHi..<ow { r[q] = 0 } }
        }
    }

    /// Writes the columns of `images` consecutive images for channels `cs`:
    /// col[row·ldc + image·P + pixel], rows (c, kh, kw), pixels (oh, ow). x is (images, C, H, W);
    /// col has K rows of ldc ≥ images·OH·OW floats. Images run innermost, so each column row is
    /// written front to back.
    public func im2col(_ x: UnsafePointer<Float>, images: Int, _ col: UnsafeMutablePointer<Float>, ldc: Int,
                       channels cs: Range<Int>? = nil) {
        let taps = taps(), p = outPixels, plane = h * w, inSize = c * plane
        for c in cs ?? 0..<c {
            for (ti, t) in taps.enumerated() {
                let rowStart = col + (c * kh * kw + ti) * ldc
                for img in 0..<images {
                    let xc = x + img * inSize + c * plane, dst = rowStart + img * p
                    if t.isEmpty { dst.update(repeating: 0, count: p); continue }
                    if spanPath {
                        let a = t.ohLo * ow + t.owLo, b = (t.ohHi - 1) * ow + t.owHi
                        if a > 0 { dst.update(repeating: 0, count: a) }
                        (dst + a).update(from: xc + a + t.delta, count: b - a)
                        if b < p { (dst + b).update(repeating: 0, count: p - b) }
                        fillWrapped(dst, t)
                        continue
                    }
                    for o in 0..<oh {
                        let row = dst + o * ow
                        if o < t.ohLo || o >= t.ohHi {
                            row.update(repeating: 0, count: ow)
                            continue
                        }
                        let src = xc + (o * sh - pad.top + t.i) * w - pad.left + t.j
                        if t.owLo > 0 { row.update(repeating: 0, count: t.owLo) }
                        if sw == 1 {
                            (row + t.owLo).update(from: src + t.owLo, count: t.owHi - t.owLo)
                        } else {
                            for q in t.owLo..<t.owHi { row[q] = src[q * sw] }
                        }
                        if t.owHi < ow { (row + t.owHi).update(repeating: 0, count: ow - t.owHi) }
                    }
                }
            }
        }
    }

    /// Folds the column gradients of `images` consecutive images (layout as `im2col`) into dx
    /// (images, C, H, W) for channels `cs`, overwriting dx, which need not be initialised (the
    /// adjoint of `im2col`). Clobbers the wrapped positions of `col`.
    ///
    /// im2col and col2im run this 256-bit Swift code on every kernel path (`KernelISA`): their
    /// copies and zero fills are libc's memcpy/memset, which choose their own vector width, and an
    /// AVX-512 version of col2im's sums measured no faster (0.98–1.02×, scripts/kernel-timings).
    public func col2im(_ col: UnsafeMutablePointer<Float>, ldc: Int, images: Int, _ dx: UnsafeMutablePointer<Float>,
                       channels cs: Range<Int>? = nil) {
        let taps = taps(), p = outPixels, plane = h * w, inSize = c * plane
        let first = coveringTap(taps)
        for c in cs ?? 0..<c {
            let rows = col + c * kh * kw * ldc
            for img in 0..<images {
                let xc = dx + img * inSize + c * plane, off = img * p
                if let first { xc.update(from: rows + first * ldc + off, count: plane) } else { xc.update(repeating: 0, count: plane) }
                for (ti, t) in taps.enumerated() where ti != first && !t.isEmpty {
                    let src = rows + ti * ldc + off
                    if spanPath {
                        fillWrapped(src, t)
                        let a = t.ohLo * ow + t.owLo, b = (t.ohHi - 1) * ow + t.owHi
                        let d = xc + t.delta
                        for q in a..<b { d[q] += src[q] }
                        continue
                    }
                    for o in t.ohLo..<t.ohHi {
                        let row = src + o * ow
                        let d = xc + (o * sh - pad.top + t.i) * w - pad.left + t.j
                        if sw == 1 {
                            for q in t.owLo..<t.owHi { d[q] += row[q] }
                        } else {
                            for q in t.owLo..<t.owHi { d[q * sw] += row[q] }
                        }
                    }
                }
            }
        }
    }
}

/// Output pixels per image from which each image gets its own GEMM: N = OH·OW is already wide
/// enough, and the GEMM then reads and writes NCHW in place (no scatter of the output, no gather
/// of dOut, and the column buffer of one image stays in cache).
let convDirectPixels = 256  // measured: 64@32 and 128@16 gain, 256@8 (64 pixels) loses

/// Runs `body(chunk, images)` over `0..<n` images split into one contiguous chunk per engine
/// thread, each with single-threaded OpenBLAS, instead of one
/// multi-threaded GEMM per image: no thread hand-off per GEMM. Returns false (running nothing)
/// when there is one thread or one image. Measured at 2 threads, 64@32 and 128@16: forward
/// 76-108 -> 88-124 GFLOP/s, backward 77-105 -> 88-124.
func convImagesPerThread(_ n: Int, _ body: (Int, Range<Int>) -> Void) -> Bool {
    guard Threads.count > 1 && n > 1 else { return false }
    parallelChunks(n, threads: Threads.count, body)
    return true
}

/// `parallelFor`, or the body on the calling thread when `parallel` is false.
@inline(__always) func convLoop(_ n: Int, costPerItem: Int, parallel: Bool, _ body: (Int, Int) -> Void) {
    if parallel { parallelFor(n, costPerItem: costPerItem, body) } else { body(0, n) }
}

/// Images per GEMM group: enough columns for an efficient GEMM, bounded column memory.
func convGroupSize(batch: Int, k: Int, pixels: Int) -> Int {
    if pixels >= convDirectPixels { return 1 }
    let byMemory = Swift.max(1, (4 << 20) / Swift.max(1, k * pixels))  // ≤ 4M floats of columns
    let wanted = Swift.max(1, (4096 + pixels - 1) / pixels)               // ≥ ~4096 columns
    return Swift.max(1, Swift.min(batch, Swift.min(byMemory, Swift.max(wanted, Threads.count))))
}

/// 2-D convolution (cross-correlation, as PyTorch).
/// - x: (N, C, H, W); weight: (O, C, KH, KW); bias: (O) → (N, O, OH, OW).
/// - relu: apply ReLU; when no gradient is recorded it is fused into the pass that adds the
///   bias (inference), otherwise it is a separate `relu` op.
/// Stride-1 3×3 convolutions with enough channels run by Winograd (`ConvPlan.automatic`), the
/// others by im2col + GEMM.
public func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1), padding: Padding = Padding(0),
                   relu: Bool = false) -> Tensor {
    conv2d(x, weight: weight, bias: bias, stride: stride, padding: padding, relu: relu, plan: nil)
}

/// conv2d with the algorithms of its three passes given (nil: `ConvPlan.automatic`).
func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor?, stride: (Int, Int), padding: Padding, relu: Bool,
            plan: ConvPlan?) -> Tensor {
    precondition(x.rank == 4 && weight.rank == 4 && x.dim(1) == weight.dim(1),
                 "conv2d: input \(x.shape) does not match weight \(weight.shape)")
    let records = Autograd.recording && (x.requiresGrad || weight.requiresGrad || (bias?.requiresGrad ?? false))
    if relu && records {
        return Engine.relu(conv2d(x, weight: weight, bias: bias, stride: stride, padding: padding, relu: false, plan: plan))
    }
    let n = x.dim(0), o = weight.dim(0)
    let geo = ConvGeometry(c: x.dim(1), h: x.dim(2), w: x.dim(3), kh: weight.dim(2), kw: weight.dim(3),
                           sh: stride.0, sw: stride.1, pad: padding)
    let plan = plan ?? ConvPlan.automatic(geo, outChannels: o, batch: n)
    precondition(plan == ConvPlan(.im2col) || ConvPlan.winogradApplies(geo), "conv2d: Winograd needs a 3×3 stride-1 conv, got \(geo)")
    let k = geo.k, p = geo.outPixels
    FLOPCounter.add(2 * n * o * k * p)
    let out = Tensor(uninitialized: [n, o, geo.oh, geo.ow])
    let g = convGroupSize(batch: n, k: k, pixels: p)
    if plan.forward != .im2col && n > 0 {
        func run<K: WinogradTransform>(_ t: K.Type) {
            let u = winogradKernels(t, weight.ptr, o: o, c: geo.c, rotated: false)
            withExtendedLifetime(u) {  // u.ptr is read by the whole call, not just where it is passed
                winogradConv(t, x.ptr, n: n, c: geo.c, h: geo.h, w: geo.w, pad: geo.pad, kernels: u.ptr, o: o,
                             bias: bias.map { UnsafePointer($0.ptr) }, relu: relu, out.ptr, threads: plan.winogradThreads)
            }
        }
        run(WinogradF4.self)
    } else {
        im2colConvForward(x, weight: weight, bias: bias, geo: geo, group: g, relu: relu, out: out)
    }
    var inputs = [x, weight]
    if let bias { inputs.append(bias) }
    return out.recorded(inputs) { gOut in
        conv2dBackward(x: x, weight: weight, bias: bias, gOut: gOut, geo: geo, group: g, plan: plan)
    }
}

/// The im2col + GEMM forward pass into `out` (N, O, OH, OW).
private func im2colConvForward(_ x: Tensor, weight: Tensor, bias: Tensor?, geo: ConvGeometry, group g: Int, relu: Bool,
                               out: Tensor) {
    let n = x.dim(0), o = weight.dim(0)
    let k = geo.k, p = geo.outPixels, inSize = geo.c * geo.h * geo.w
    // Per image (g = 1) the GEMM writes NCHW directly; a 1×1 stride-1 unpadded conv also reads x
    // directly (x of one image is its column matrix).
    let pointwise = g == 1 && geo.isPointwise
    let xP = SendPtr(x.ptr), outP = SendPtr(out.ptr)
    let biasP = bias.map { SendPtr($0.ptr) }
    if g == 1 {
        // (O, K) · (K, P) → out[i] (O, P)
        func image(_ i: Int, col: UnsafeMutablePointer<Float>, parallel: Bool) {
            let colImage = pointwise ? x.ptr + i * inSize : col
            if !pointwise {
                let colP = SendPtr(col)
                if parallel {
                    parallelFor(geo.c, costPerItem: geo.kh * geo.kw * p) { a, b in
                        geo.im2col(xP.p + i * inSize, images: 1, colP.p, ldc: p, channels: a..<b)
                    }
                } else {
                    geo.im2col(x.ptr + i * inSize, images: 1, col, ldc: p)
                }
            }
            let dst = out.ptr + i * o * p
            gemm(m: o, n: p, k: k, a: weight.ptr, lda: k, b: colImage, ldb: p, c: dst, ldc: p, threads: parallel ? Threads.count : 1)
            if bias != nil || relu {
                for oc in 0..<o {
                    let bv = bias?.ptr[oc] ?? 0, r = dst + oc * p
                    if relu { for q in 0..<p { let v = r[q] + bv; r[q] = v > 0 ? v : 0 } } else { for q in 0..<p { r[q] += bv } }
                }
            }
        }
        let split = convImagesPerThread(n) { _, images in
            let own = Storage(uninitialized: pointwise ? 0 : k * p)
            defer { withExtendedLifetime(own) {} }  // alive until its raw pointer's last use
            for i in images { image(i, col: own.ptr, parallel: false) }
        }
        if !split {
            let one = Storage(uninitialized: pointwise ? 0 : k * p)
            defer { withExtendedLifetime(one) {} }  // alive until its raw pointer's last use
            for i in 0..<n { image(i, col: one.ptr, parallel: true) }
        }
    } else {
        // A group of cnt images from `start`: (O, K) · (K, cnt·P) → (O, cnt·P), then scatter into NCHW.
        func group(_ start: Int, _ cnt: Int, col: UnsafeMutablePointer<Float>, res: UnsafeMutablePointer<Float>, parallel: Bool) {
            let ldc = cnt * p, colP = SendPtr(col), resP = SendPtr(res)
            convLoop(geo.c, costPerItem: cnt * geo.kh * geo.kw * p, parallel: parallel) { a, b in
                geo.im2col(xP.p + start * inSize, images: cnt, colP.p, ldc: ldc, channels: a..<b)
            }
            gemm(m: o, n: ldc, k: k, a: weight.ptr, lda: k, b: col, ldb: ldc, c: res, ldc: ldc, threads: parallel ? Threads.count : 1)
            convLoop(cnt, costPerItem: o * p, parallel: parallel) { a, b in
                for i in a..<b {
                    for oc in 0..<o {
                        let dst = outP.p + ((start + i) * o + oc) * p
                        let src = resP.p + oc * ldc + i * p
                        if relu {
                            let bv = biasP?.p[oc] ?? 0
                            for q in 0..<p { let v = src[q] + bv; dst[q] = v > 0 ? v : 0 }
                        } else if let biasP {
                            let bv = biasP.p[oc]
                            for q in 0..<p { dst[q] = src[q] + bv }
                        } else {
                            dst.update(from: src, count: p)
                        }
                    }
                }
            }
        }
        let split = convImagesPerThread(n) { _, images in
            let ownCol = Storage(uninitialized: k * g * p), ownRes = Storage(uninitialized: o * g * p)
            defer { withExtendedLifetime((ownCol, ownRes)) {} }  // alive until its raw pointer's last use
            var s = images.lowerBound
            while s < images.upperBound {
                let cnt = Swift.min(g, images.upperBound - s)
                group(s, cnt, col: ownCol.ptr, res: ownRes.ptr, parallel: false)
                s += cnt
            }
        }
        if !split {
            let col = Storage(uninitialized: k * g * p), res = Storage(uninitialized: o * g * p)
            defer { withExtendedLifetime((col, res)) {} }  // alive until its raw pointer's last use
            var start = 0
            while start < n {
                let cnt = Swift.min(g, n - start)
                group(start, cnt, col: col.ptr, res: res.ptr, parallel: true)
                start += cnt
            }
        }
    }
}

/// Gradients of conv2d: [dx, dW, db?] from dOut (N, O, OH, OW); dx and dW by the plan's algorithms.
func conv2dBackward(x: Tensor, weight: Tensor, bias: Tensor?, gOut: Tensor, geo: ConvGeometry, group g: Int,
                    plan: ConvPlan = ConvPlan(.im2col)) -> [Tensor?] {
    let n = x.dim(0), o = weight.dim(0), k = geo.k, p = geo.outPixels, inSize = geo.c * geo.h * geo.w
    let winoDx = x.requiresGrad && plan.backwardData != .im2col && n > 0
    let winoDw = weight.requiresGrad && plan.backwardWeights != .im2col && n > 0
    // col2im writes every element of dx.
    var dx: Tensor? = x.requiresGrad && !winoDx ? Tensor(uninitialized: x.shape) : nil
    var dw: Tensor? = weight.requiresGrad && !winoDw ? Tensor.zeros(weight.shape) : nil
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
    let pointwise = g == 1 && geo.isPointwise
    let xP = SendPtr(x.ptr), gOutP = SendPtr(gOut.ptr)
    let im2colWork = dx != nil || dw != nil
    if g == 1 && im2colWork {
        // One image: dOut[i] (O, P) is read in place; dW accumulates into `dwAcc`.
        func image(_ i: Int, col: UnsafeMutablePointer<Float>, dwAcc: UnsafeMutablePointer<Float>?, parallel: Bool) {
            let gImage = gOut.ptr + i * o * p, colP = SendPtr(col)
            if let dwAcc {
                if !pointwise {
                    if parallel {
                        parallelFor(geo.c, costPerItem: geo.kh * geo.kw * p) { a, b in
                            geo.im2col(xP.p + i * inSize, images: 1, colP.p, ldc: p, channels: a..<b)
                        }
                    } else {
                        geo.im2col(x.ptr + i * inSize, images: 1, col, ldc: p)
                    }
                }
                // dW += dOut (O, P) · colᵀ (P, K)
                gemm(transB: true, m: o, n: k, k: p, a: gImage, lda: p, b: pointwise ? x.ptr + i * inSize : col,
                     ldb: p, beta: 1, c: dwAcc, ldc: k, threads: parallel ? Threads.count : 1)
            }
            if let dx {
                // dcol = Wᵀ (K, O) · dOut (O, P), folded into dx (or, pointwise, written there directly).
                let dxImage = dx.ptr + i * inSize
                gemm(transA: true, m: k, n: p, k: o, a: weight.ptr, lda: k, b: gImage, ldb: p,
                     c: pointwise ? dxImage : col, ldc: p, threads: parallel ? Threads.count : 1)
                if !pointwise {
                    if parallel {
                        let dxP = SendPtr(dxImage)
                        parallelFor(geo.c, costPerItem: geo.kh * geo.kw * p) { a, b in
                            geo.col2im(colP.p, ldc: p, images: 1, dxP.p, channels: a..<b)
                        }
                    } else {
                        geo.col2im(col, ldc: p, images: 1, dxImage)
                    }
                }
            }
        }
        // Per-thread dW partials (chunk 0 uses dW itself), summed in chunk order.
        let chunks = Swift.min(Threads.count, n)
        let partials = (0..<(chunks > 1 ? chunks - 1 : 0)).map { _ in dw.map { _ in Storage(zeros: o * k) } }
        let split = convImagesPerThread(n) { c, images in
            let own = Storage(uninitialized: pointwise ? 0 : k * p)
            defer { withExtendedLifetime(own) {} }  // alive until its raw pointer's last use
            let acc = c == 0 ? dw?.ptr : partials[c - 1]?.ptr
            for i in images { image(i, col: own.ptr, dwAcc: acc, parallel: false) }
        }
        if split, let dw {
            for part in partials { if let part { for j in 0..<o * k { dw.ptr[j] += part.ptr[j] } } }
        }
        if !split {
            let one = Storage(uninitialized: pointwise ? 0 : k * p)
            defer { withExtendedLifetime(one) {} }  // alive until its raw pointer's last use
            for i in 0..<n { image(i, col: one.ptr, dwAcc: dw?.ptr, parallel: true) }
        }
    }
    if g > 1 && im2colWork {
        func group(_ start: Int, _ cnt: Int, col: UnsafeMutablePointer<Float>, gcol: UnsafeMutablePointer<Float>,
                   dwAcc: UnsafeMutablePointer<Float>?, parallel: Bool) {
            let ldc = cnt * p, colP = SendPtr(col), gcolP = SendPtr(gcol)
            // Gather dOut for the group into (O, cnt·P).
            convLoop(cnt, costPerItem: o * p, parallel: parallel) { a, b in
                for i in a..<b {
                    for oc in 0..<o {
                        (gcolP.p + oc * ldc + i * p).update(from: gOutP.p + ((start + i) * o + oc) * p, count: p)
                    }
                }
            }
            if let dwAcc {
                convLoop(geo.c, costPerItem: cnt * geo.kh * geo.kw * p, parallel: parallel) { a, b in
                    geo.im2col(xP.p + start * inSize, images: cnt, colP.p, ldc: ldc, channels: a..<b)
                }
                // dW += dOut (O, cnt·P) · colᵀ (cnt·P, K)
                gemm(transB: true, m: o, n: k, k: ldc, a: gcol, lda: ldc, b: col, ldb: ldc, beta: 1, c: dwAcc, ldc: k,
                     threads: parallel ? Threads.count : 1)
            }
            if let dx {
                // dcol = Wᵀ (K, O) · dOut (O, cnt·P), then fold back per image.
                gemm(transA: true, m: k, n: ldc, k: o, a: weight.ptr, lda: k, b: gcol, ldb: ldc, c: col, ldc: ldc,
                     threads: parallel ? Threads.count : 1)
                let dxP = SendPtr(dx.ptr)
                convLoop(geo.c, costPerItem: cnt * geo.kh * geo.kw * p, parallel: parallel) { a, b in
                    geo.col2im(colP.p, ldc: ldc, images: cnt, dxP.p + start * inSize, channels: a..<b)
                }
            }
        }
        let chunks = Swift.min(Threads.count, n)
        let partials = (0..<(chunks > 1 ? chunks - 1 : 0)).map { _ in dw.map { _ in Storage(zeros: o * k) } }
        let split = convImagesPerThread(n) { c, images in
            let ownCol = Storage(uninitialized: k * g * p), ownG = Storage(uninitialized: o * g * p)
            defer { withExtendedLifetime((ownCol, ownG)) {} }  // alive until its raw pointer's last use
            let acc = c == 0 ? dw?.ptr : partials[c - 1]?.ptr
            var s = images.lowerBound
            while s < images.upperBound {
                let cnt = Swift.min(g, images.upperBound - s)
                group(s, cnt, col: ownCol.ptr, gcol: ownG.ptr, dwAcc: acc, parallel: false)
                s += cnt
            }
        }
        if split, let dw {
            for part in partials { if let part { for j in 0..<o * k { dw.ptr[j] += part.ptr[j] } } }
        }
        if !split {
            let col = Storage(uninitialized: k * g * p), gcol = Storage(uninitialized: o * g * p)
            defer { withExtendedLifetime((col, gcol)) {} }  // alive until its raw pointer's last use
            var start = 0
            while start < n {
                let cnt = Swift.min(g, n - start)
                group(start, cnt, col: col.ptr, gcol: gcol.ptr, dwAcc: dw?.ptr, parallel: true)
                start += cnt
            }
        }
    }
    if winoDx {
        // dx = the stride-1 3×3 conv of dOut padded by 2 − p with the rotated, transposed kernel.
        let t = Tensor(uninitialized: x.shape)
        let pad = Padding(top: 2 - geo.pad.top, bottom: 2 - geo.pad.bottom, left: 2 - geo.pad.left, right: 2 - geo.pad.right)
        func run<K: WinogradTransform>(_ tr: K.Type) {
            let u = winogradKernels(tr, weight.ptr, o: o, c: geo.c, rotated: true)
            withExtendedLifetime(u) {
                winogradConv(tr, gOut.ptr, n: n, c: o, h: geo.oh, w: geo.ow, pad: pad, kernels: u.ptr, o: geo.c,
                             bias: nil, relu: false, t.ptr, threads: plan.winogradThreads)
            }
        }
        run(WinogradF4.self)
        dx = t
    }
    if winoDw {
        let t = Tensor(uninitialized: weight.shape)
        func run<K: WinogradTransform>(_ tr: K.Type) {
            winogradKernelGradient(tr, x: x.ptr, gOut: gOut.ptr, n: n, c: geo.c, h: geo.h, w: geo.w, pad: geo.pad, o: o, t.ptr, threads: plan.winogradThreads)
        }
        run(WinogradF4.self)
        dw = t
    }
    var result: [Tensor?] = [dx, dw]
    if bias != nil { result.append(db) }
    return result
}
