// Normalisation: batchnorm2d (train/eval, PyTorch running statistics) and layernorm.
import CKernels
import Foundation

/// Batch normalisation over (N, H, W) per channel of x (N, C, H, W), optionally followed by
/// ReLU in the same pass (`relu: true`, one op and one saved tensor instead of two).
///
/// Training uses batch statistics and updates `runningMean`/`runningVar` in place exactly as
/// PyTorch: `r ← (1−momentum)·r + momentum·stat`, with the unbiased variance for `runningVar`.
/// Evaluation normalises with the running statistics. Per-plane sums run in Float SIMD lanes
/// and are accumulated over the batch in Double.
///
/// With `residual` (same shape as x) the result is relu(bn(x) + residual) in one pass (the
/// residual join of a ResNet block): the normalised tensor is never stored, which saves one
/// activation per block for the backward pass.
public func batchNorm2d(_ x: Tensor, weight: Tensor, bias: Tensor, runningMean: Tensor, runningVar: Tensor,
                        training: Bool, momentum: Float = 0.1, eps: Float = 1e-5, relu: Bool = false,
                        residual: Tensor? = nil) -> Tensor {
    precondition(x.rank == 4 && x.dim(1) == weight.count, "batchNorm2d: input \(x.shape) vs \(weight.count) channels")
    precondition(residual == nil || (relu && residual!.shape == x.shape),
                 "batchNorm2d: residual \(residual?.shape ?? []) needs relu and the input's shape \(x.shape)")
    let rp = residual.map { SendPtr($0.ptr) }
    let n = x.dim(0), c = x.dim(1), hw = x.dim(2) * x.dim(3), m = n * hw
    let out = Tensor(uninitialized: x.shape)
    let mean = Tensor(uninitialized: [c]), invStd = Tensor(uninitialized: [c])
    let xp = SendPtr(x.ptr), op = SendPtr(out.ptr), mp = SendPtr(mean.ptr), sp = SendPtr(invStd.ptr)
    let wp = SendPtr(weight.ptr), bp = SendPtr(bias.ptr), rmp = SendPtr(runningMean.ptr), rvp = SendPtr(runningVar.ptr)
    let isa = KernelISA.current
    parallelFor(c, costPerItem: m * 3) { lo, hi in
        for ch in lo..<hi {
            let planes = ChannelPlanes(n: n, c: c, hw: hw, channel: ch)
            let (mu, istd) = training
                ? batchStatistics(xp.p, planes, momentum: momentum, eps: eps, runningMean: rmp.p + ch, runningVar: rvp.p + ch, isa)
                : (rmp[ch], 1 / (rvp[ch] + eps).squareRoot())
            mp[ch] = mu; sp[ch] = istd
            let affine = BatchNormAffine(mean: mu, invStd: istd, weight: wp[ch], bias: bp[ch])
            batchNormPlanes(xp.p, planes, affine, relu: relu, residual: rp?.p, op.p)
        }
    }
    var inputs = [x, weight, bias]
    if let residual { inputs.append(residual) }
    return out.recorded(inputs) { dOut in
        batchNorm2dBackward(x, weight: weight, bias: bias, residual: residual, relu: relu, training: training,
                            mean: mean, invStd: invStd, isa: isa, dOut: dOut)
    }
}

/// Channel `channel`'s N planes of H·W floats in an (N, C, H, W) tensor: plane i at
/// offset + i·stride.
struct ChannelPlanes {
    let n, hw, offset, stride: Int
    init(n: Int, c: Int, hw: Int, channel: Int) { self.n = n; self.hw = hw; offset = channel * hw; stride = c * hw }
    /// Elements in the channel: N·H·W.
    var count: Int { n * hw }
}

/// One channel's normalisation: its mean and 1/σ, and the affine map y = x·scale + shift they
/// make with the channel's weight and bias.
struct BatchNormAffine {
    let mean, invStd, scale, shift: Float
    @inline(__always) init(mean: Float, invStd: Float, weight: Float, bias: Float) {
        self.mean = mean; self.invStd = invStd
        scale = weight * invStd; shift = bias - mean * scale
    }
}

/// The batch mean and 1/σ of one channel of x (per-plane sums in Float lanes, over planes in
/// Double), and the running statistics updated in place exactly as PyTorch:
/// `r ← (1−momentum)·r + momentum·stat`, with the unbiased variance for `runningVar`.
@inline(__always) func batchStatistics(_ x: UnsafePointer<Float>, _ planes: ChannelPlanes, momentum: Float, eps: Float,
                                       runningMean rm: UnsafeMutablePointer<Float>, runningVar rv: UnsafeMutablePointer<Float>,
                                       _ isa: KernelISA) -> (mean: Float, invStd: Float) {
    let m = planes.count, first = x + planes.offset
    let s = planeSums(first, planes.n, planes.stride, planes.hw, isa)
    let md = s / Double(m)
    let mu = Float(md)
    let v = planeCentredSquares(first, planes.n, planes.stride, planes.hw, mu, isa)
    let varB = v / Double(m)
    let istd = Float(1 / (varB + Double(eps)).squareRoot())
    let unbiased = m > 1 ? v / Double(m - 1) : varB
    rm.pointee = (1 - momentum) * rm.pointee + momentum * mu
    rv.pointee = (1 - momentum) * rv.pointee + momentum * Float(unbiased)
    return (mu, istd)
}

/// out = x·scale + shift over one channel's planes, then ReLU if asked; with a residual,
/// relu(x·scale + shift + residual).
///
/// The normalised output stays on the 256-bit loops on every kernel path: the AVX-512 version
/// measured slower (0.65–0.8× evaluation-mode, 7×7 and 32×32 maps, Zen 4 in
/// scripts/kernel-timings); one multiply-add per element streamed from memory.
@inline(__always) func batchNormPlanes(_ x: UnsafePointer<Float>, _ planes: ChannelPlanes, _ affine: BatchNormAffine, relu: Bool,
                                       residual: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>) {
    let scale = affine.scale, shift = affine.shift, hw = planes.hw
    for i in 0..<planes.n {
        let o = planes.offset + i * planes.stride
        let s = x + o, d = out + o
        if let residual {
            let r = residual + o
            for q in 0..<hw { let y = s[q] * scale + shift + r[q]; d[q] = y > 0 ? y : 0 }
        } else if relu {
            for q in 0..<hw { let y = s[q] * scale + shift; d[q] = y > 0 ? y : 0 }
        } else {
            for q in 0..<hw { d[q] = s[q] * scale + shift }
        }
    }
}

/// The gradients of `batchNorm2d` from dOut: [dx, dW, db], and dResidual with a residual. `mean`
/// and `invStd` are the forward pass's per-channel statistics, `isa` its kernel path.
private func batchNorm2dBackward(_ x: Tensor, weight: Tensor, bias: Tensor, residual: Tensor?, relu: Bool, training: Bool,
                                 mean: Tensor, invStd: Tensor, isa: KernelISA, dOut: Tensor) -> [Tensor?] {
    let n = x.dim(0), c = x.dim(1), hw = x.dim(2) * x.dim(3), m = n * hw
    let dx = Tensor(uninitialized: x.shape), dW = Tensor(uninitialized: [c]), db = Tensor(uninitialized: [c])
    // With a residual, the masked gradient is the residual's gradient and BN's upstream one.
    let dResidual: Tensor? = residual.map { Tensor(uninitialized: $0.shape) }
    let dy = SendPtr(dResidual?.ptr ?? dOut.ptr), dxP = SendPtr(dx.ptr), dWP = SendPtr(dW.ptr), dbP = SendPtr(db.ptr)
    let dOutP = SendPtr(dOut.ptr), xp = SendPtr(x.ptr), rp = residual.map { SendPtr($0.ptr) }
    let mp = SendPtr(mean.ptr), sp = SendPtr(invStd.ptr), wp = SendPtr(weight.ptr), bp = SendPtr(bias.ptr)
    let relu = relu && residual == nil  // the residual mask is applied to dResidual below
    parallelFor(c, costPerItem: m * 4) { lo, hi in
        for ch in lo..<hi {
            let planes = ChannelPlanes(n: n, c: c, hw: hw, channel: ch)
            // The forward pass's affine map, to recompute the ReLU mask bit for bit.
            let affine = BatchNormAffine(mean: mp[ch], invStd: sp[ch], weight: wp[ch], bias: bp[ch])
            if let rp { residualReLUMask(xp.p, rp.p, dOutP.p, planes, affine, dy.p) }
            let (sg, sgx) = batchNormGradientSums(xp.p, dy.p, planes, affine, relu: relu, isa)
            dbP[ch] = Float(sg); dWP[ch] = Float(sgx)
            let meanG = training ? Float(sg / Double(m)) : 0, meanX = training ? Float(sgx / Double(m)) : 0
            batchNormInputGradient(xp.p, dy.p, planes, affine, relu: relu, meanG: meanG, meanX: meanX, dxP.p, isa)
        }
    }
    withExtendedLifetime((mean, invStd)) {}  // mp/sp borrow their storage
    return dResidual == nil ? [dx, dW, db] : [dx, dW, db, dResidual]
}

/// dy = dOut where relu(x·scale + shift + residual) passed, else 0, over one channel's planes.
/// The residual join's mask stays on this 256-bit loop on every path (an AVX-512 version
/// measured 0.92× on 32×32 maps: three streams in, one out).
@inline(__always) func residualReLUMask(_ x: UnsafePointer<Float>, _ residual: UnsafePointer<Float>, _ dOut: UnsafePointer<Float>,
                                        _ planes: ChannelPlanes, _ affine: BatchNormAffine, _ dy: UnsafeMutablePointer<Float>) {
    let scale = affine.scale, shift = affine.shift, hw = planes.hw
    for i in 0..<planes.n {
        let o = planes.offset + i * planes.stride
        let xRow = x + o, resRow = residual + o, dOutRow = dOut + o, dyRow = dy + o
        for q in 0..<hw { dyRow[q] = xRow[q] * scale + shift + resRow[q] > 0 ? dOutRow[q] : 0 }
    }
}

/// (Σ dy, Σ dy·x̂) over one channel (dy masked where the fused ReLU output was 0), per plane in
/// Float, over planes in Double: with few elements per channel the training-mode gradient is a
/// near-cancellation.
@inline(__always) func batchNormGradientSums(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ planes: ChannelPlanes,
                                             _ affine: BatchNormAffine, relu: Bool, _ isa: KernelISA) -> (Double, Double) {
    let mu = affine.mean, istd = affine.invStd, scale = affine.scale, shift = affine.shift
    var sg = 0.0, sgx = 0.0
    #if arch(x86_64)
    if isa == .avx512 {
        lk512_bn_sums(x + planes.offset, dy + planes.offset, planes.n, planes.stride, planes.hw, mu, istd, relu ? 1 : 0,
                      scale, shift, &sg, &sgx)
    }
    #endif
    if isa != .avx512 {
        for i in 0..<planes.n {
            let o = planes.offset + i * planes.stride
            let (a, b) = bnPlaneSums(x + o, dy + o, planes.hw, mu, istd, relu ? (scale, shift) : nil)
            sg += Double(a); sgx += Double(b)
        }
    }
    return (sg, sgx)
}

/// dx = scale·(dy − meanG − x̂·meanX) over one channel (dy masked as in the sums); meanG and
/// meanX are the batch means of dy and dy·x̂ in training, 0 in evaluation.
@inline(__always) func batchNormInputGradient(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ planes: ChannelPlanes,
                                              _ affine: BatchNormAffine, relu: Bool, meanG: Float, meanX: Float,
                                              _ dx: UnsafeMutablePointer<Float>, _ isa: KernelISA) {
    let mu = affine.mean, istd = affine.invStd, scale = affine.scale, shift = affine.shift, k = scale
    #if arch(x86_64)
    if isa == .avx512 {
        lk512_bn_grad(x + planes.offset, dy + planes.offset, dx + planes.offset, planes.n, planes.stride, planes.hw, mu, istd,
                      relu ? 1 : 0, scale, shift, k, meanG, meanX)
        return
    }
    #endif
    for i in 0..<planes.n {
        let o = planes.offset + i * planes.stride
        let xRow = x + o, dyRow = dy + o, dxRow = dx + o
        for q in 0..<planes.hw {
            let xh = (xRow[q] - mu) * istd
            let dym = relu && xRow[q] * scale + shift <= 0 ? 0 : dyRow[q]
            dxRow[q] = k * (dym - meanG - xh * meanX)
        }
    }
}

/// Σ over `planes` planes of `hw` floats, `stride` apart: per plane in Float SIMD lanes, over
/// planes in Double (on the AVX-512 path each plane's sixteen lanes are added in Double).
@inline(__always) func planeSums(_ p: UnsafePointer<Float>, _ planes: Int, _ stride: Int, _ hw: Int, _ isa: KernelISA) -> Double {
    #if arch(x86_64)
    if isa == .avx512 { return lk512_planes_sum(p, planes, stride, hw) }
    #endif
    var s = 0.0
    for i in 0..<planes { s += Double(rowSum(p + i * stride, hw)) }
    return s
}

/// Σ (p − mu)² over planes as `planeSums`.
@inline(__always) func planeCentredSquares(_ p: UnsafePointer<Float>, _ planes: Int, _ stride: Int, _ hw: Int, _ mu: Float,
                                           _ isa: KernelISA) -> Double {
    #if arch(x86_64)
    if isa == .avx512 { return lk512_planes_centred_squares(p, planes, stride, hw, mu) }
    #endif
    var v = 0.0
    for i in 0..<planes { v += Double(centredSquares(p + i * stride, hw, mu)) }
    return v
}

/// Σ (p[i] − mu)² over one plane in eight Float lanes.
@inline(__always) func centredSquares(_ p: UnsafePointer<Float>, _ n: Int, _ mu: Float) -> Float {
    var acc = SIMD8<Float>(repeating: 0)
    let m8 = SIMD8<Float>(repeating: mu), raw = UnsafeRawPointer(p)
    var i = 0
    while i + 8 <= n { let t = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) - m8; acc += t * t; i += 8 }
    var s = acc.sum()
    while i < n { let t = p[i] - mu; s += t * t; i += 1 }
    return s
}

/// (Σ dy, Σ dy·x̂) over one plane, x̂ = (x − mu)·istd; with `affine` (scale, shift), dy counts
/// only where the fused ReLU passed (x·scale + shift > 0, as the forward pass computed it).
@inline(__always) func bnPlaneSums(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ n: Int, _ mu: Float, _ istd: Float,
                                   _ affine: (Float, Float)?) -> (Float, Float) {
    var a8 = SIMD8<Float>(repeating: 0), b8 = SIMD8<Float>(repeating: 0)
    let m8 = SIMD8<Float>(repeating: mu), s8 = SIMD8<Float>(repeating: istd)
    let rx = UnsafeRawPointer(x), rdy = UnsafeRawPointer(dy)
    var i = 0
    if let (scale, shift) = affine {
        let sc8 = SIMD8<Float>(repeating: scale), sh8 = SIMD8<Float>(repeating: shift), z = SIMD8<Float>(repeating: 0)
        while i + 8 <= n {
            let xv = rx.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            let xh = (xv - m8) * s8
            let dyv = rdy.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            let dym = z.replacing(with: dyv, where: xv * sc8 + sh8 .> z)
            a8 += dym; b8 += dym * xh
            i += 8
        }
    } else {
        while i + 8 <= n {
            let xh = (rx.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) - m8) * s8
            let dyv = rdy.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            a8 += dyv; b8 += dyv * xh
            i += 8
        }
    }
    var a = a8.sum(), b = b8.sum()
    while i < n {
        let xh = (x[i] - mu) * istd
        let dyv = affine.map { x[i] * $0.0 + $0.1 > 0 ? dy[i] : 0 } ?? dy[i]
        a += dyv; b += dyv * xh
        i += 1
    }
    return (a, b)
}

/// relu(a + b) for same-shape tensors in one pass and one op (the residual join).
public func addReLU(_ a: Tensor, _ b: Tensor) -> Tensor {
    precondition(a.shape == b.shape, "addReLU: shapes \(a.shape) and \(b.shape) differ")
    let out = Tensor(uninitialized: a.shape)
    let op = SendPtr(out.ptr), ap = SendPtr(a.ptr), bp = SendPtr(b.ptr)
    parallelFor(a.count, costPerItem: 2) { lo, hi in
        for i in lo..<hi { let s = ap[i] + bp[i]; op[i] = s > 0 ? s : 0 }
    }
    return out.recorded([a, b]) { dOut in
        let dSum = Tensor(uninitialized: a.shape)
        let dOutP = SendPtr(dOut.ptr), dSumP = SendPtr(dSum.ptr)
        parallelFor(a.count, costPerItem: 2) { lo, hi in
            for i in lo..<hi { dSumP[i] = ap[i] + bp[i] > 0 ? dOutP[i] : 0 }
        }
        return [dSum, dSum]
    }
}

/// Layer normalisation over the last dimension with affine weight and bias.
///
/// Keeps only each row's mean and 1/σ for the backward pass (x̂ is recomputed), which runs
/// rows in parallel for dx and column blocks in parallel for dW and db.
public func layerNorm(_ x: Tensor, weight: Tensor, bias: Tensor, eps: Float = 1e-6) -> Tensor {
    let d = x.dim(-1), rows = x.count / d
    precondition(weight.count == d && bias.count == d, "layerNorm: input \(x.shape) vs weight \(weight.shape)")
    let out = Tensor(uninitialized: x.shape)
    let recording = Autograd.recording && (x.requiresGrad || weight.requiresGrad || bias.requiresGrad)
    let stats = Tensor(uninitialized: [recording ? 2 * rows : 0])  // mean, 1/σ per row
    let xp = SendPtr(x.ptr), op = SendPtr(out.ptr), sp = SendPtr(stats.ptr)
    let wp = SendPtr(weight.ptr), bp = SendPtr(bias.ptr)
    let isa = KernelISA.current
    parallelFor(rows, costPerItem: d * 4) { lo, hi in
        for r in lo..<hi {
            let s = xp.p + r * d
            #if arch(x86_64)
            if isa == .avx512 {
                var mu: Float = 0, istd: Float = 0
                lk512_layernorm_row(s, op.p + r * d, wp.p, bp.p, d, eps, &mu, &istd)
                if recording { sp[2 * r] = mu; sp[2 * r + 1] = istd }
                continue
            }
            #endif
            let mu = rowSum(s, d) / Float(d)
            var acc = SIMD8<Float>(repeating: 0)
            var i = 0
            let m8 = SIMD8<Float>(repeating: mu)
            while i + 8 <= d {
                let t = UnsafeRawPointer(s).loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) - m8
                acc += t * t
                i += 8
            }
            var v = acc.sum()
            while i < d { let t = s[i] - mu; v += t * t; i += 1 }
            let istd = 1 / (v / Float(d) + eps).squareRoot()
            if recording { sp[2 * r] = mu; sp[2 * r + 1] = istd }
            let o = op.p + r * d
            for i in 0..<d { o[i] = (s[i] - mu) * istd * wp[i] + bp[i] }
        }
    }
    guard recording else { return out }
    return out.recorded([x, weight, bias]) { dOut in
        let dx = Tensor(uninitialized: x.shape)
        let dOutP = SendPtr(dOut.ptr), dxP = SendPtr(dx.ptr)
        let inv = 1 / Float(d)
        parallelFor(rows, costPerItem: d * 8) { lo, hi in
            let buf = Storage(uninitialized: 2 * d)
            let xh = buf.ptr, dh = buf.ptr + d
            for r in lo..<hi {
                let s = xp.p + r * d, dy = dOutP.p + r * d, o = dxP.p + r * d
                let mu = sp[2 * r], istd = sp[2 * r + 1]
                #if arch(x86_64)
                if isa == .avx512 { lk512_layernorm_grad_row(s, dy, wp.p, o, d, mu, istd, xh, dh); continue }
                #endif
                for i in 0..<d { xh[i] = (s[i] - mu) * istd; dh[i] = dy[i] * wp[i] }
                let s1 = rowSum(dh, d) * inv, s2 = rowDot(dh, xh, d) * inv
                for i in 0..<d { o[i] = istd * (dh[i] - s1 - xh[i] * s2) }
            }
            withExtendedLifetime(buf) {}
        }
        // dW = Σ_rows dOut·x̂, db = Σ_rows dOut, by blocks of 64 columns (row order fixed).
        let dW = Tensor.zeros([d]), db = Tensor.zeros([d])
        let dWP = SendPtr(dW.ptr), dbP = SendPtr(db.ptr)
        let blocks = (d + 63) / 64
        parallelFor(blocks, costPerItem: rows * 64 * 3) { lo, hi in
            for blk in lo..<hi {
                let c0 = blk * 64, w = Swift.min(d, c0 + 64) - c0
                let aW = dWP.p + c0, ab = dbP.p + c0
                for r in 0..<rows {
                    let s = xp.p + r * d + c0, dy = dOutP.p + r * d + c0
                    let mu = sp[2 * r], istd = sp[2 * r + 1]
                    #if arch(x86_64)
                    if isa == .avx512 { lk512_layernorm_param_row(aW, ab, s, dy, w, mu, istd); continue }
                    #endif
                    for i in 0..<w { aW[i] += dy[i] * ((s[i] - mu) * istd); ab[i] += dy[i] }
                }
            }
        }
        withExtendedLifetime(stats) {}  // sp borrows its storage
        return [dx, dW.reshaped(weight.shape).detached(), db.reshaped(bias.shape).detached()]
    }
}
