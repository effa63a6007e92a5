// Normalisation: batchnorm2d (train/eval, PyTorch running statistics) and layernorm.
import Foundation

/// Batch normalisation over (N, H, W) per channel of x (N, C, H, W).
///
/// Training uses batch statistics and updates `runningMean`/`runningVar` in place exactly as
/// PyTorch: `r ← (1−momentum)·r + momentum·stat`, with the unbiased variance for `runningVar`.
/// Evaluation normalises with the running statistics.
public func batchNorm2d(_ x: Tensor, weight: Tensor, bias: Tensor, runningMean: Tensor, runningVar: Tensor,
                        training: Bool, momentum: Float = 0.1, eps: Float = 1e-5) -> Tensor {
    precondition(x.rank == 4 && x.dim(1) == weight.count, "batchNorm2d: input \(x.shape) vs \(weight.count) channels")
    let n = x.dim(0), c = x.dim(1), hw = x.dim(2) * x.dim(3), m = n * hw
    let out = Tensor(uninitialized: x.shape)
    let mean = Tensor(uninitialized: [c]), invStd = Tensor(uninitialized: [c])
    let xp = SendPtr(x.ptr), op = SendPtr(out.ptr), mp = SendPtr(mean.ptr), sp = SendPtr(invStd.ptr)
    let wp = SendPtr(weight.ptr), bp = SendPtr(bias.ptr), rmp = SendPtr(runningMean.ptr), rvp = SendPtr(runningVar.ptr)
    parallelFor(c, costPerItem: m * 3) { lo, hi in
        for ch in lo..<hi {
            var mu: Float, istd: Float
            if training {
                var s = 0.0
                for i in 0..<n { let p = xp.p + (i * c + ch) * hw; for q in 0..<hw { s += Double(p[q]) } }
                let md = s / Double(m)
                var v = 0.0
                for i in 0..<n { let p = xp.p + (i * c + ch) * hw; for q in 0..<hw { let d = Double(p[q]) - md; v += d * d } }
                let varB = v / Double(m)
                mu = Float(md)
                istd = Float(1 / (varB + Double(eps)).squareRoot())
                let unbiased = m > 1 ? v / Double(m - 1) : varB
                rmp[ch] = (1 - momentum) * rmp[ch] + momentum * mu
                rvp[ch] = (1 - momentum) * rvp[ch] + momentum * Float(unbiased)
            } else {
                mu = rmp[ch]
                istd = 1 / (rvp[ch] + eps).squareRoot()
            }
            mp[ch] = mu; sp[ch] = istd
            let scale = wp[ch] * istd, shift = bp[ch] - mu * scale
            for i in 0..<n {
                let s = xp.p + (i * c + ch) * hw, d = op.p + (i * c + ch) * hw
                for q in 0..<hw { d[q] = s[q] * scale + shift }
            }
        }
    }
    return out.recorded([x, weight, bias]) { g in
        let dx = Tensor(uninitialized: x.shape), dw = Tensor(uninitialized: [c]), db = Tensor(uninitialized: [c])
        let gp = SendPtr(g.ptr), dxp = SendPtr(dx.ptr), dwp = SendPtr(dw.ptr), dbp = SendPtr(db.ptr)
        parallelFor(c, costPerItem: m * 3) { lo, hi in
            for ch in lo..<hi {
                let mu = mp[ch], istd = sp[ch]
                // Double sums: with few elements per channel the training-mode gradient is a
                // near-cancellation (exactly zero for two elements), so float sums would
                // inject noise that every earlier layer inherits.
                var sg = 0.0, sgx = 0.0
                for i in 0..<n {
                    let s = xp.p + (i * c + ch) * hw, gg = gp.p + (i * c + ch) * hw
                    for q in 0..<hw { sg += Double(gg[q]); sgx += Double(gg[q]) * Double((s[q] - mu) * istd) }
                }
                dbp[ch] = Float(sg); dwp[ch] = Float(sgx)
                let gamma = wp[ch]
                if training {
                    let k = Double(gamma * istd) / Double(m), mean = sg / Double(m), meanX = sgx / Double(m)
                    for i in 0..<n {
                        let s = xp.p + (i * c + ch) * hw, gg = gp.p + (i * c + ch) * hw, d = dxp.p + (i * c + ch) * hw
                        for q in 0..<hw {
                            let xh = Double((s[q] - mu) * istd)
                            d[q] = Float(k * Double(m) * (Double(gg[q]) - mean - xh * meanX))
                        }
                    }
                } else {
                    let k = gamma * istd
                    for i in 0..<n {
                        let gg = gp.p + (i * c + ch) * hw, d = dxp.p + (i * c + ch) * hw
                        for q in 0..<hw { d[q] = k * gg[q] }
                    }
                }
            }
        }
        withExtendedLifetime((mean, invStd)) {}  // mp/sp borrow their storage
        return [dx, dw, db]
    }
}

/// Layer normalisation over the last dimension with affine weight and bias.
public func layerNorm(_ x: Tensor, weight: Tensor, bias: Tensor, eps: Float = 1e-6) -> Tensor {
    let d = x.dim(-1), rows = x.count / d
    precondition(weight.count == d && bias.count == d, "layerNorm: input \(x.shape) vs weight \(weight.shape)")
    let out = Tensor(uninitialized: x.shape)
    let xhat = Tensor(uninitialized: x.shape), invStd = Tensor(uninitialized: [rows])
    let xp = SendPtr(x.ptr), op = SendPtr(out.ptr), hp = SendPtr(xhat.ptr), sp = SendPtr(invStd.ptr)
    let wp = SendPtr(weight.ptr), bp = SendPtr(bias.ptr)
    parallelFor(rows, costPerItem: d * 4) { lo, hi in
        for r in lo..<hi {
            let s = xp.p + r * d
            var mu: Float = 0
            for i in 0..<d { mu += s[i] }
            mu /= Float(d)
            var v: Float = 0
            for i in 0..<d { let t = s[i] - mu; v += t * t }
            let istd = 1 / (v / Float(d) + eps).squareRoot()
            sp[r] = istd
            let h = hp.p + r * d, o = op.p + r * d
            for i in 0..<d { let t = (s[i] - mu) * istd; h[i] = t; o[i] = t * wp[i] + bp[i] }
        }
    }
    return out.recorded([x, weight, bias]) { g in
        let dx = Tensor(uninitialized: x.shape), dw = Tensor.zeros([d]), db = Tensor.zeros([d])
        for r in 0..<rows {
            let gg = g.ptr + r * d, h = xhat.ptr + r * d, o = dx.ptr + r * d
            var s1: Float = 0, s2: Float = 0
            for i in 0..<d {
                let dh = gg[i] * weight.ptr[i]
                s1 += dh; s2 += dh * h[i]
                dw.ptr[i] += gg[i] * h[i]; db.ptr[i] += gg[i]
            }
            let istd = invStd.ptr[r], inv = 1 / Float(d)
            for i in 0..<d {
                let dh = gg[i] * weight.ptr[i]
                o[i] = istd * (dh - inv * s1 - h[i] * inv * s2)
            }
        }
        return [dx, dw, db]
    }
}
