// Fast conv2d (span and generic im2col paths, grouped GEMMs) against direct loops, forward and backward.
import Engine
import Testing

/// Direct-loop gradients of conv2d: (dx, dW, db) for upstream gradient g (N, O, OH, OW).
func referenceConvBackward(x: Tensor, weight: Tensor, g: Tensor, stride: (Int, Int), padding: Padding)
    -> (dx: [Float], dw: [Float], db: [Float]) {
    let n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3)
    let o = weight.dim(0), kh = weight.dim(2), kw = weight.dim(3), oh = g.dim(2), ow = g.dim(3)
    var dx = [Double](repeating: 0, count: x.count), dw = [Double](repeating: 0, count: weight.count)
    var db = [Double](repeating: 0, count: o)
    for b in 0..<n { for oc in 0..<o { for i in 0..<oh { for j in 0..<ow {
        let gv = Double(g.ptr[((b * o + oc) * oh + i) * ow + j])
        db[oc] += gv
        for ic in 0..<c { for u in 0..<kh { for v in 0..<kw {
            let y = i * stride.0 - padding.top + u, xx = j * stride.1 - padding.left + v
            if y < 0 || y >= h || xx < 0 || xx >= w { continue }
            let xi = ((b * c + ic) * h + y) * w + xx, wi = ((oc * c + ic) * kh + u) * kw + v
            dx[xi] += Double(weight.ptr[wi]) * gv
            dw[wi] += Double(x.ptr[xi]) * gv
        } } }
    } } } }
    return (dx.map { Float($0) }, dw.map { Float($0) }, db.map { Float($0) })
}

@Suite struct ConvTests {
    @Test(arguments: [
        // (n, c, h, w, o, k, stride, top, bottom, left, right)
        [1, 3, 7, 5, 4, 3, 1, 1, 1, 1, 1],     // odd sizes, "same" conv: span path with covering tap, batch 1
        [2, 5, 4, 4, 6, 3, 1, 1, 1, 1, 1],     // 4×4 maps (the ResNet-18 last stage)
        [2, 3, 6, 9, 2, 3, 1, 2, 0, 1, 1],     // span path, asymmetric top/bottom: oh ≠ h, no covering tap
        [2, 3, 6, 7, 2, 3, 1, 1, 1, 2, 0],     // span path, asymmetric left/right: the covering tap is off-centre
        [2, 2, 9, 9, 3, 3, 2, 1, 1, 1, 1],     // stride 2: generic path
        [3, 1, 11, 7, 2, 5, 2, 2, 0, 1, 3],    // 5×5, stride 2, asymmetric
        [1, 4, 8, 6, 2, 1, 1, 0, 0, 0, 0],     // 1×1
        [2, 4, 8, 8, 3, 1, 2, 0, 0, 0, 0],     // 1×1 stride 2 (ResNet downsample)
        [2, 3, 5, 5, 2, 3, 1, 0, 0, 0, 0],     // "valid" conv: stride 1, ow ≠ w, generic path
        [1, 2, 2, 2, 2, 5, 1, 2, 2, 2, 2],     // kernel larger than the image: taps with no valid pixel
        [40, 3, 12, 12, 4, 3, 1, 1, 1, 1, 1],  // several GEMM groups, last one partial
        [80, 2, 12, 12, 3, 3, 1, 1, 1, 1, 1],  // several groups per thread when images are split over threads
        [3, 3, 17, 16, 5, 3, 1, 1, 1, 1, 1],   // ≥ 256 output pixels: one GEMM per image, in place
        [2, 4, 16, 16, 3, 1, 1, 0, 0, 0, 0],   // pointwise per image: x is the column matrix
        [2, 2, 33, 32, 3, 3, 2, 1, 0, 1, 1],   // per image, stride 2, asymmetric
    ])
    func convForwardBackwardMatchDirect(cfg: [Int]) {
        var rng = RandomGenerator(seed: UInt64(cfg.reduce(0, { $0 * 7 + $1 })))
        let stride = (cfg[6], cfg[6]), pad = Padding(top: cfg[7], bottom: cfg[8], left: cfg[9], right: cfg[10])
        let x = Tensor.randn([cfg[0], cfg[1], cfg[2], cfg[3]], rng: &rng)
        let w = Tensor.randn([cfg[4], cfg[1], cfg[5], cfg[5]], rng: &rng)
        let b = Tensor.randn([cfg[4]], rng: &rng)
        x.requiresGrad = true; w.requiresGrad = true; b.requiresGrad = true
        let y = conv2d(x, weight: w, bias: b, stride: stride, padding: pad)
        let ref = Reference.conv2d(x, weight: w, bias: b, stride: stride, padding: pad)
        #expect(y.shape == ref.shape)
        expectClose(y, ref, rtol: 1e-4, atol: 1e-4, "conv forward \(cfg)")
        let g = Tensor.randn(y.shape, rng: &rng)
        y.backward(g)
        let (dx, dw, db) = referenceConvBackward(x: x, weight: w, g: g, stride: stride, padding: pad)
        expectClose(x.grad, Tensor(shape: x.shape, data: dx), rtol: 1e-4, atol: 1e-4, "conv dx \(cfg)")
        expectClose(w.grad, Tensor(shape: w.shape, data: dw), rtol: 1e-4, atol: 1e-3, "conv dW \(cfg)")
        expectClose(b.grad, Tensor(shape: b.shape, data: db), rtol: 1e-4, atol: 1e-3, "conv db \(cfg)")
    }

    @Test func convWithoutInputGradient() {
        // dW only (the stem's input needs no gradient): the dx GEMM and col2im are skipped.
        var rng = RandomGenerator(seed: 11)
        let x = Tensor.randn([3, 2, 6, 6], rng: &rng), w = Tensor.randn([4, 2, 3, 3], rng: &rng)
        w.requiresGrad = true
        let y = conv2d(x, weight: w, padding: Padding(1))
        let g = Tensor.randn(y.shape, rng: &rng)
        y.backward(g)
        let ref = referenceConvBackward(x: x, weight: w, g: g, stride: (1, 1), padding: Padding(1))
        #expect(x.grad == nil)
        expectClose(w.grad, Tensor(shape: w.shape, data: ref.dw), rtol: 1e-4, atol: 1e-3, "conv dW only")
    }
}
