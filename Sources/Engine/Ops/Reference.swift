// Reference kernels: the definitions in Double (convolution and its gradients, matmul, softmax, GELU,
// layer and batch norm, optimizer updates), kept to test the fast kernels of every ISA path.
import Foundation

public enum Reference {
    /// Direct convolution, the definition: out[n,o,i,j] = b[o] + Σ_c,u,v w[o,c,u,v]·x[n,c,i·s−pt+u,j·s−pl+v].
    public static func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor?, stride: (Int, Int), padding: Padding) -> Tensor {
        let n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3)
        let o = weight.dim(0), kh = weight.dim(2), kw = weight.dim(3)
        let oh = (h + padding.top + padding.bottom - kh) / stride.0 + 1
        let ow = (w + padding.left + padding.right - kw) / stride.1 + 1
        let out = Tensor.zeros([n, o, oh, ow])
        for b in 0..<n { for oc in 0..<o { for i in 0..<oh { for j in 0..<ow {
            var acc = Double(bias?.ptr[oc] ?? 0)
            for ic in 0..<c { for u in 0..<kh { for v in 0..<kw {
                let y = i * stride.0 - padding.top + u, xx = j * stride.1 - padding.left + v
                if y < 0 || y >= h || xx < 0 || xx >= w { continue }
                acc += Double(weight.ptr[((oc * c + ic) * kh + u) * kw + v]) * Double(x.ptr[((b * c + ic) * h + y) * w + xx])
            } } }
            out.ptr[((b * o + oc) * oh + i) * ow + j] = Float(acc)
        } } } }
        return out
    }

    /// Triple-loop product of (M, K) and (K, N) matrices.
    public static func matmul(_ a: Tensor, _ b: Tensor) -> Tensor {
        let m = a.dim(0), k = a.dim(1), n = b.dim(1)
        let out = Tensor.zeros([m, n])
        for i in 0..<m { for j in 0..<n {
            var acc = 0.0
            for p in 0..<k { acc += Double(a.ptr[i * k + p]) * Double(b.ptr[p * n + j]) }
            out.ptr[i * n + j] = Float(acc)
        } }
        return out
    }

    /// The gradients of `conv2d` for `dOut` (N, O, OH, OW), by the definition: dx (N, C, H, W)
    /// and dW (O, C, KH, KW), summed in Double.
    public static func conv2dBackward(_ x: Tensor, weight: Tensor, dOut: Tensor, stride: (Int, Int),
                                      padding: Padding) -> (dx: Tensor, dW: Tensor) {
        let n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3)
        let o = weight.dim(0), kh = weight.dim(2), kw = weight.dim(3), oh = dOut.dim(2), ow = dOut.dim(3)
        var dx = [Double](repeating: 0, count: x.count), dW = [Double](repeating: 0, count: weight.count)
        for b in 0..<n { for oc in 0..<o { for i in 0..<oh { for j in 0..<ow {
            let dy = Double(dOut.ptr[((b * o + oc) * oh + i) * ow + j])
            for ic in 0..<c { for u in 0..<kh { for v in 0..<kw {
                let y = i * stride.0 - padding.top + u, xx = j * stride.1 - padding.left + v
                if y < 0 || y >= h || xx < 0 || xx >= w { continue }
                let xi = ((b * c + ic) * h + y) * w + xx, wi = ((oc * c + ic) * kh + u) * kw + v
                dx[xi] += dy * Double(weight.ptr[wi]); dW[wi] += dy * Double(x.ptr[xi])
            } } }
        } } } }
        return (Tensor(shape: x.shape, data: dx.map(Float.init)), Tensor(shape: weight.shape, data: dW.map(Float.init)))
    }

    /// Softmax over the last dimension and its gradient for `dOut`: y = e^(x − max) / Σ,
    /// dx = y ⊙ (dOut − Σ dOut·y).
    public static func softmax(_ x: Tensor, dOut: Tensor) -> (y: Tensor, dx: Tensor) {
        let n = x.dim(-1), rows = x.count / n
        var y = [Float](), dx = [Float]()
        for r in 0..<rows {
            let xs = (0..<n).map { Double(x.ptr[r * n + $0]) }, m = xs.max()!
            let e = xs.map { Foundation.exp($0 - m) }, s = e.reduce(0, +)
            let p = e.map { $0 / s }, dys = (0..<n).map { Double(dOut.ptr[r * n + $0]) }
            let dot = zip(p, dys).map { $0 * $1 }.reduce(0, +)
            y += p.map(Float.init); dx += (0..<n).map { Float(p[$0] * (dys[$0] - dot)) }
        }
        return (Tensor(shape: x.shape, data: y), Tensor(shape: x.shape, data: dx))
    }

    /// GELU, x·Φ(x) with libm's erf, and its derivative Φ(x) + x·φ(x), elementwise.
    public static func gelu(_ x: Tensor) -> (y: Tensor, derivative: Tensor) {
        let xs = x.scalars.map(Double.init)
        let cdf = xs.map { 0.5 * (1 + Foundation.erf($0 / 2.0.squareRoot())) }
        let y = zip(xs, cdf).map { Float($0 * $1) }
        let d = zip(xs, cdf).map { Float($1 + $0 * Foundation.exp(-0.5 * $0 * $0) / (2 * Double.pi).squareRoot()) }
        return (Tensor(shape: x.shape, data: y), Tensor(shape: x.shape, data: d))
    }

    /// Layer norm over the last dimension and its gradients for `dOut`: (out, dx, dW, db).
    public static func layerNorm(_ x: Tensor, weight: Tensor, bias: Tensor, eps: Double, dOut: Tensor)
        -> (out: Tensor, dx: Tensor, dW: Tensor, db: Tensor) {
        let d = x.dim(-1), rows = x.count / d
        var out = [Float](), dx = [Float](), dW = [Double](repeating: 0, count: d), db = [Double](repeating: 0, count: d)
        for r in 0..<rows {
            let xs = (0..<d).map { Double(x.ptr[r * d + $0]) }, dys = (0..<d).map { Double(dOut.ptr[r * d + $0]) }
            let mu = xs.reduce(0, +) / Double(d)
            let istd = 1 / (xs.map { ($0 - mu) * ($0 - mu) }.reduce(0, +) / Double(d) + eps).squareRoot()
            let xh = xs.map { ($0 - mu) * istd }, dh = (0..<d).map { dys[$0] * Double(weight.ptr[$0]) }
            let m1 = dh.reduce(0, +) / Double(d), m2 = zip(dh, xh).map { $0 * $1 }.reduce(0, +) / Double(d)
            for i in 0..<d {
                out.append(Float(xh[i] * Double(weight.ptr[i]) + Double(bias.ptr[i])))
                dx.append(Float(istd * (dh[i] - m1 - xh[i] * m2)))
                dW[i] += dys[i] * xh[i]; db[i] += dys[i]
            }
        }
        return (Tensor(shape: x.shape, data: out), Tensor(shape: x.shape, data: dx),
                Tensor(shape: weight.shape, data: dW.map(Float.init)), Tensor(shape: bias.shape, data: db.map(Float.init)))
    }

    /// Batch norm of x (N, C, H, W) with batch statistics (`mean`/`variance` nil) or given ones,
    /// then + `residual` and ReLU as asked, and its gradients for `dOut`: (out, dx, dW, db,
    /// dResidual). With batch statistics dx carries the statistics' own gradient.
    public static func batchNorm2d(_ x: Tensor, weight: Tensor, bias: Tensor, mean: Tensor?, variance: Tensor?, eps: Double,
                                   relu: Bool, residual: Tensor?, dOut: Tensor)
        -> (out: Tensor, dx: Tensor, dW: Tensor, db: Tensor, dResidual: Tensor?) {
        let n = x.dim(0), c = x.dim(1), hw = x.dim(2) * x.dim(3), m = Double(n * hw)
        var out = [Float](repeating: 0, count: x.count), dx = out, dResidual = out
        var dW = [Float](repeating: 0, count: c), db = dW
        for ch in 0..<c {
            let idx = (0..<n).flatMap { i in (0..<hw).map { (i * c + ch) * hw + $0 } }
            let xs = idx.map { Double(x.ptr[$0]) }
            let mu = mean.map { Double($0.ptr[ch]) } ?? xs.reduce(0, +) / m
            let v = variance.map { Double($0.ptr[ch]) } ?? xs.map { ($0 - mu) * ($0 - mu) }.reduce(0, +) / m
            let istd = 1 / (v + eps).squareRoot(), gamma = Double(weight.ptr[ch]), beta = Double(bias.ptr[ch])
            var dym = [Double](), xh = [Double]()
            for (k, q) in idx.enumerated() {
                let h = (xs[k] - mu) * istd, y = gamma * h + beta + (residual.map { Double($0.ptr[q]) } ?? 0)
                let pass = !relu || y > 0
                out[q] = Float(pass ? y : 0)
                let dyq = pass ? Double(dOut.ptr[q]) : 0
                dResidual[q] = Float(dyq); dym.append(dyq); xh.append(h)
            }
            let sg = dym.reduce(0, +), sgx = zip(dym, xh).map { $0 * $1 }.reduce(0, +)
            db[ch] = Float(sg); dW[ch] = Float(sgx)
            for (k, q) in idx.enumerated() {
                dx[q] = Float(mean == nil ? gamma * istd * (dym[k] - sg / m - xh[k] * sgx / m) : gamma * istd * dym[k])
            }
        }
        return (Tensor(shape: x.shape, data: out), Tensor(shape: x.shape, data: dx), Tensor(shape: weight.shape, data: dW),
                Tensor(shape: bias.shape, data: db), residual == nil ? nil : Tensor(shape: x.shape, data: dResidual))
    }

    /// `steps` optimizer updates of parameters x with the gradients `grads[step]`, learning rate
    /// `lr` and weight decay as `kind` says (PyTorch's SGD and AdamW, timm's Lion), in Double.
    public static func optimizerSteps(_ kind: OptimizerKind, lr: Double, x: [Float], grads: [[Float]]) -> [Float] {
        var p = x.map(Double.init), m = [Double](repeating: 0, count: x.count), v = m
        for (t, gf) in grads.enumerated() {
            let g = gf.map(Double.init)
            for j in 0..<p.count {
                switch kind {
                case let .sgd(mu, wd, nesterov):
                    let d = g[j] + Double(wd) * p[j]
                    m[j] = t == 0 ? d : Double(mu) * m[j] + d
                    p[j] -= lr * (mu == 0 ? d : (nesterov ? d + Double(mu) * m[j] : m[j]))
                case let .adamw(b1, b2, eps, wd):
                    p[j] *= 1 - lr * Double(wd)
                    m[j] = Double(b1) * m[j] + (1 - Double(b1)) * g[j]
                    v[j] = Double(b2) * v[j] + (1 - Double(b2)) * g[j] * g[j]
                    let mh = m[j] / (1 - pow(Double(b1), Double(t + 1))), vh = v[j] / (1 - pow(Double(b2), Double(t + 1)))
                    p[j] -= lr * mh / (vh.squareRoot() + Double(eps))
                case let .lion(b1, b2, wd):
                    p[j] *= 1 - lr * Double(wd)
                    let c = Double(b1) * m[j] + (1 - Double(b1)) * g[j]
                    p[j] -= lr * (c > 0 ? 1 : (c < 0 ? -1 : 0))
                    m[j] = Double(b2) * m[j] + (1 - Double(b2)) * g[j]
                }
            }
        }
        return p.map(Float.init)
    }

    /// Multi-head self-attention composed from primitive ops (linear, permute, slice, batched
    /// matmul, softmax): the definition the fused kernel (`multiHeadSelfAttention`) is tested against.
    public static func multiHeadSelfAttention(_ x: Tensor, heads: Int, qkvWeight: Tensor, qkvBias: Tensor?,
                                              projWeight: Tensor, projBias: Tensor?) -> Tensor {
        let b = x.dim(0), n = x.dim(1), d = x.dim(2)
        precondition(d % heads == 0, "attention: dim \(d) not divisible by \(heads) heads")
        let hd = d / heads
        let qkv = linear(x, weight: qkvWeight, bias: qkvBias)           // (B, N, 3D)
            .reshaped([b, n, 3, heads, hd]).permuted([2, 0, 3, 1, 4])  // (3, B, H, N, hd)
        let q = qkv.sliced(axis: 0, 0..<1).reshaped([b * heads, n, hd])
        let k = qkv.sliced(axis: 0, 1..<2).reshaped([b * heads, n, hd])
        let v = qkv.sliced(axis: 0, 2..<3).reshaped([b * heads, n, hd])
        let scores = Engine.matmul(q, k, transposeB: true) * (1 / Float(hd).squareRoot())  // (BH, N, N)
        let attn = Engine.softmax(scores)
        let ctx = Engine.matmul(attn, v)                                                    // (BH, N, hd)
            .reshaped([b, heads, n, hd]).permuted([0, 2, 1, 3]).reshaped([b, n, d])
        return linear(ctx, weight: projWeight, bias: projBias)
    }
}
