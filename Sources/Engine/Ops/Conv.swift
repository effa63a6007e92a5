// Conv2d: im2col + GEMM forward and backward (NCHW): one GEMM per image on large maps, grouped
// images on small ones; images split over threads by `forEachImageGroup` (ConvSchedule.swift).
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
    FLOPCounter.add(2 * n * o * geo.k * geo.outPixels)
    let out = Tensor(uninitialized: [n, o, geo.oh, geo.ow])
    let groupSize = convGroupSize(batch: n, k: geo.k, pixels: geo.outPixels)
    if plan.forward != .im2col && n > 0 {
        winogradConvForward(x, weight: weight, bias: bias, geo: geo, relu: relu, out: out, threads: plan.winogradThreads)
    } else {
        im2colConvForward(x, weight: weight, bias: bias, geo: geo, groupSize: groupSize, relu: relu, out: out)
    }
    var inputs = [x, weight]
    if let bias { inputs.append(bias) }
    return out.recorded(inputs) { dOut in
        conv2dBackward(x: x, weight: weight, bias: bias, dOut: dOut, geo: geo, groupSize: groupSize, plan: plan)
    }
}

/// Gradients of conv2d: [dx, dW, db?] from dOut (N, O, OH, OW); dx and dW by the plan's algorithms.
func conv2dBackward(x: Tensor, weight: Tensor, bias: Tensor?, dOut: Tensor, geo: ConvGeometry, groupSize: Int,
                    plan: ConvPlan = ConvPlan(.im2col)) -> [Tensor?] {
    let n = x.dim(0)
    let winogradDx = x.requiresGrad && plan.backwardData != .im2col && n > 0
    let winogradDW = weight.requiresGrad && plan.backwardWeights != .im2col && n > 0
    // col2im writes every element of dx; the im2col dW is a sum, so it starts at zero.
    var dx: Tensor? = x.requiresGrad && !winogradDx ? Tensor(uninitialized: x.shape) : nil
    var dW: Tensor? = weight.requiresGrad && !winogradDW ? Tensor.zeros(weight.shape) : nil
    let db: Tensor? = bias.flatMap { $0.requiresGrad ? convBiasGradient(dOut, bias: $0) : nil }
    if dx != nil || dW != nil {
        im2colConvBackward(x, weight: weight, dOut: dOut, geo: geo, groupSize: groupSize, dx: dx, dW: dW)
    }
    if winogradDx { dx = winogradConvBackwardData(dOut, weight: weight, geo: geo, threads: plan.winogradThreads) }
    if winogradDW {
        dW = winogradConvBackwardWeights(x, dOut: dOut, geo: geo, outChannels: weight.dim(0), threads: plan.winogradThreads)
    }
    var result: [Tensor?] = [dx, dW]
    if bias != nil { result.append(db) }
    return result
}

/// db (O) = Σ over images and pixels of dOut (N, O, OH, OW): per plane in Float, planes in order.
private func convBiasGradient(_ dOut: Tensor, bias: Tensor) -> Tensor {
    let n = dOut.dim(0), o = dOut.dim(1), p = dOut.dim(2) * dOut.dim(3)
    let db = Tensor.zeros(bias.shape)
    for i in 0..<n {
        for oc in 0..<o {
            let s = dOut.ptr + (i * o + oc) * p
            var acc: Float = 0
            for q in 0..<p { acc += s[q] }
            db.ptr[oc] += acc
        }
    }
    return db
}

// MARK: - im2col + GEMM passes

/// The im2col + GEMM forward pass into `out` (N, O, OH, OW): per image, or per group of
/// `groupSize` images, over the images' chunks (`forEachImageGroup`).
private func im2colConvForward(_ x: Tensor, weight: Tensor, bias: Tensor?, geo: ConvGeometry, groupSize: Int, relu: Bool,
                               out: Tensor) {
    let conv = Im2colConv(x: x, weight: weight, geo: geo), n = x.dim(0)
    let bias = bias.map { SendPtr($0.ptr) }, out = SendPtr(out.ptr)
    if groupSize == 1 {
        forEachImageGroup(n, groupSize: 1, scratch: [conv.imageColumns]) { i, _, work in
            conv.forwardImage(i, bias: bias, relu: relu, out: out, work)
        }
    } else {
        forEachImageGroup(n, groupSize: groupSize, scratch: conv.groupScratch(groupSize)) { start, count, work in
            conv.forwardGroup(start, count, bias: bias, relu: relu, out: out, work)
        }
    }
}

/// The im2col + GEMM backward pass into dx (N, C, H, W) and dW (O, C, KH, KW, zeroed), each where
/// given: per image, or per group of `groupSize` images; each chunk of images sums its own dW
/// (`forEachImageGroup`). Backward-data and backward-weights share one walk over the images: dOut
/// is read (or gathered) once for both GEMMs, and dcol reuses the columns' buffer.
private func im2colConvBackward(_ x: Tensor, weight: Tensor, dOut: Tensor, geo: ConvGeometry, groupSize: Int,
                                dx: Tensor?, dW: Tensor?) {
    let conv = Im2colConv(x: x, weight: weight, geo: geo), n = x.dim(0)
    let dOut = SendPtr(dOut.ptr), dx = dx.map { SendPtr($0.ptr) }
    let dW = dW?.ptr, dWCount = conv.o * conv.k
    if groupSize == 1 {
        forEachImageGroup(n, groupSize: 1, scratch: [conv.imageColumns], sum: dW, sumCount: dWCount) { i, _, work in
            conv.backwardImage(i, dOut: dOut, dx: dx, work)
        }
    } else {
        let scratch = conv.groupScratch(groupSize)
        forEachImageGroup(n, groupSize: groupSize, scratch: scratch, sum: dW, sumCount: dWCount) { start, count, work in
            conv.backwardGroup(start, count, dOut: dOut, dx: dx, work)
        }
    }
}

/// One im2col + GEMM convolution: x (N, C, H, W) and weight (O, C, KH, KW), read as W (O, K) with
/// K = C·KH·KW; P = OH·OW output pixels per image. Each pass step runs on one image (its GEMMs read
/// and write NCHW in place) or on a group of images (GEMMs over the group's columns side by side,
/// gathered and scattered); its scratch and dW sum come from the `Chunk` it runs in.
struct Im2colConv {
    let x, weight: SendPtr<Float>
    let geo: ConvGeometry
    let o, k, p, inSize: Int
    /// A 1×1 stride-1 unpadded conv: an image's x (C, H·W) already is its column matrix (per image).
    let pointwise: Bool

    init(x: Tensor, weight: Tensor, geo: ConvGeometry) {
        self.x = SendPtr(x.ptr); self.weight = SendPtr(weight.ptr); self.geo = geo
        o = weight.dim(0); k = geo.k; p = geo.outPixels; inSize = geo.c * geo.h * geo.w
        pointwise = geo.isPointwise
    }

    /// Scratch of a per-image step: the image's columns (K, P); none when pointwise.
    var imageColumns: Int { pointwise ? 0 : k * p }

    /// Scratch of a group step over up to `size` images: columns (K, size·P) and the GEMM's other
    /// operand (O, size·P), the forward result or the gathered dOut.
    func groupScratch(_ size: Int) -> [Int] { [k * size * p, o * size * p] }

    /// col (K, count·P) = im2col of images start..<start+count, channels split over the threads
    /// when the chunk runs alone.
    func im2col(_ start: Int, _ count: Int, into col: UnsafeMutablePointer<Float>, _ work: Chunk) {
        let colP = SendPtr(col)
        work.loop(geo.c, costPerItem: count * geo.kh * geo.kw * p) { a, b in
            geo.im2col(x.p + start * inSize, images: count, colP.p, ldc: count * p, channels: a..<b)
        }
    }

    /// dx of images start..<start+count (C, H, W each) = col2im of dcol (K, count·P).
    func col2im(_ dcol: UnsafeMutablePointer<Float>, _ start: Int, _ count: Int, into dx: SendPtr<Float>, _ work: Chunk) {
        let dcolP = SendPtr(dcol)
        work.loop(geo.c, costPerItem: count * geo.kh * geo.kw * p) { a, b in
            geo.col2im(dcolP.p, ldc: count * p, images: count, dx.p + start * inSize, channels: a..<b)
        }
    }

    /// Forward of image i: out[i] (O, P) = W (O, K) · col (K, P), then + bias and ReLU in place.
    func forwardImage(_ i: Int, bias: SendPtr<Float>?, relu: Bool, out: SendPtr<Float>, _ work: Chunk) {
        let col = pointwise ? x.p + i * inSize : work[0]
        if !pointwise { im2col(i, 1, into: col, work) }
        let dst = out.p + i * o * p
        gemm(m: o, n: p, k: k, a: weight.p, lda: k, b: col, ldb: p, c: dst, ldc: p, threads: work.blasThreads)
        if bias != nil || relu {
            for oc in 0..<o {
                let bv = bias?.p[oc] ?? 0, r = dst + oc * p
                if relu { for q in 0..<p { let v = r[q] + bv; r[q] = v > 0 ? v : 0 } } else { for q in 0..<p { r[q] += bv } }
            }
        }
    }

    /// Forward of images start..<start+count: res (O, count·P) = W (O, K) · col (K, count·P), then
    /// each image's (O, P) block + bias and ReLU scattered into out (N, O, OH, OW).
    func forwardGroup(_ start: Int, _ count: Int, bias: SendPtr<Float>?, relu: Bool, out: SendPtr<Float>, _ work: Chunk) {
        let ldc = count * p, col = work[0], res = SendPtr(work[1])
        im2col(start, count, into: col, work)
        gemm(m: o, n: ldc, k: k, a: weight.p, lda: k, b: col, ldb: ldc, c: res.p, ldc: ldc, threads: work.blasThreads)
        work.loop(count, costPerItem: o * p) { a, b in
            for i in a..<b {
                for oc in 0..<o {
                    let dst = out.p + ((start + i) * o + oc) * p
                    let src = res.p + oc * ldc + i * p
                    if relu {
                        let bv = bias?.p[oc] ?? 0
                        for q in 0..<p { let v = src[q] + bv; dst[q] = v > 0 ? v : 0 }
                    } else if let bias {
                        let bv = bias.p[oc]
                        for q in 0..<p { dst[q] = src[q] + bv }
                    } else {
                        dst.update(from: src, count: p)
                    }
                }
            }
        }
    }

    /// Backward of image i, dOut[i] (O, P) read in place: dW (O, K) += dOut[i] (O, P) · colᵀ (P, K)
    /// into the chunk's sum; dcol (K, P) = Wᵀ (K, O) · dOut[i] (O, P), folded into dx[i] (or,
    /// pointwise, written there directly).
    func backwardImage(_ i: Int, dOut: SendPtr<Float>, dx: SendPtr<Float>?, _ work: Chunk) {
        let dOutImage = dOut.p + i * o * p, col = work[0]
        if let dW = work.sum {
            if !pointwise { im2col(i, 1, into: col, work) }
            gemm(transB: true, m: o, n: k, k: p, a: dOutImage, lda: p, b: pointwise ? x.p + i * inSize : col,
                 ldb: p, beta: 1, c: dW, ldc: k, threads: work.blasThreads)
        }
        if let dx {
            let dxImage = dx.p + i * inSize
            gemm(transA: true, m: k, n: p, k: o, a: weight.p, lda: k, b: dOutImage, ldb: p,
                 c: pointwise ? dxImage : col, ldc: p, threads: work.blasThreads)
            if !pointwise { col2im(col, i, 1, into: dx, work) }
        }
    }

    /// Backward of images start..<start+count: dOut gathered into dOutCols (O, count·P);
    /// dW (O, K) += dOutCols (O, count·P) · colᵀ (count·P, K) into the chunk's sum;
    /// dcol (K, count·P) = Wᵀ (K, O) · dOutCols (O, count·P), folded back into dx per image.
    func backwardGroup(_ start: Int, _ count: Int, dOut: SendPtr<Float>, dx: SendPtr<Float>?, _ work: Chunk) {
        let ldc = count * p, col = work[0], dOutCols = SendPtr(work[1])
        work.loop(count, costPerItem: o * p) { a, b in
            for i in a..<b {
                for oc in 0..<o {
                    (dOutCols.p + oc * ldc + i * p).update(from: dOut.p + ((start + i) * o + oc) * p, count: p)
                }
            }
        }
        if let dW = work.sum {
            im2col(start, count, into: col, work)
            gemm(transB: true, m: o, n: k, k: ldc, a: dOutCols.p, lda: ldc, b: col, ldb: ldc, beta: 1, c: dW, ldc: k,
                 threads: work.blasThreads)
        }
        if let dx {
            gemm(transA: true, m: k, n: ldc, k: o, a: weight.p, lda: k, b: dOutCols.p, ldb: ldc, c: col, ldc: ldc,
                 threads: work.blasThreads)
            col2im(col, start, count, into: dx, work)
        }
    }
}
