// Losses: cross-entropy (label smoothing), soft-target cross-entropy, distillation (KL, T²).
import Foundation

/// Mean cross-entropy of `logits` (N, K) against integer `labels`, with PyTorch's label
/// smoothing: target = (1−ε)·onehot + ε/K.
public func crossEntropy(_ logits: Tensor, labels: [Int], labelSmoothing eps: Float = 0) -> Tensor {
    let n = logits.dim(0), k = logits.dim(1)
    precondition(labels.count == n, "crossEntropy: \(labels.count) labels for \(n) rows")
    let targets = Tensor.full([n, k], eps / Float(k))
    for (i, l) in labels.enumerated() {
        precondition(l >= 0 && l < k, "crossEntropy: label \(l) outside 0..<\(k)")
        targets.ptr[i * k + l] += 1 - eps
    }
    return softTargetCrossEntropy(logits, targets: targets)
}

/// Mean over rows of −Σ_k t_k·log softmax(z)_k, for soft targets t (N, K) such as Mixup's.
public func softTargetCrossEntropy(_ logits: Tensor, targets: Tensor) -> Tensor {
    let n = logits.dim(0), k = logits.dim(1)
    precondition(targets.shape == logits.shape, "softTargetCrossEntropy: targets \(targets.shape) vs logits \(logits.shape)")
    let logp = Tensor(uninitialized: logits.shape)
    var total = 0.0
    for r in 0..<n {
        logSoftmaxRow(logits.ptr + r * k, logp.ptr + r * k, k)
        for j in 0..<k { total -= Double(targets.ptr[r * k + j] * logp.ptr[r * k + j]) }
    }
    let out = Tensor(scalar: Float(total / Double(n)))
    return out.recorded([logits]) { dOut in
        let scale = dOut.item / Float(n)
        let dLogits = Tensor(uninitialized: logits.shape)
        for r in 0..<n {
            var tsum: Float = 0
            for j in 0..<k { tsum += targets.ptr[r * k + j] }
            for j in 0..<k {
                let idx = r * k + j
                dLogits.ptr[idx] = scale * (Foundation.exp(logp.ptr[idx]) * tsum - targets.ptr[idx])
            }
        }
        return [dLogits]
    }
}

/// Knowledge distillation (Hinton et al.): T²·KL(softmax(t/T) ‖ softmax(s/T)), summed over
/// classes and averaged over the batch. The teacher gets no gradient.
public func distillationLoss(student: Tensor, teacher: Tensor, temperature t: Float) -> Tensor {
    precondition(student.shape == teacher.shape, "distillationLoss: student \(student.shape) vs teacher \(teacher.shape)")
    let n = student.dim(0), k = student.dim(1)
    let ps = Tensor(uninitialized: student.shape), pt = Tensor(uninitialized: student.shape)
    let zs = Tensor(uninitialized: [k]), zt = Tensor(uninitialized: [k])
    let lps = Tensor(uninitialized: [k]), lpt = Tensor(uninitialized: [k])
    var total = 0.0
    for r in 0..<n {
        for j in 0..<k { zs.ptr[j] = student.ptr[r * k + j] / t; zt.ptr[j] = teacher.ptr[r * k + j] / t }
        logSoftmaxRow(zs.ptr, lps.ptr, k)
        logSoftmaxRow(zt.ptr, lpt.ptr, k)
        for j in 0..<k {
            let p = Foundation.exp(lpt.ptr[j])
            pt.ptr[r * k + j] = p
            ps.ptr[r * k + j] = Foundation.exp(lps.ptr[j])
            total += Double(p) * Double(lpt.ptr[j] - lps.ptr[j])
        }
    }
    let out = Tensor(scalar: Float(total / Double(n)) * t * t)
    return out.recorded([student]) { dOut in
        let scale = dOut.item * t / Float(n)
        let dStudent = Tensor(uninitialized: student.shape)
        for i in 0..<dStudent.count { dStudent.ptr[i] = scale * (ps.ptr[i] - pt.ptr[i]) }
        return [dStudent]
    }
}
