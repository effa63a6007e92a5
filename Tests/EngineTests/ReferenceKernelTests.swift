// Fast kernels (im2col+GEMM conv, BLAS matmul) against the naive reference kernels.
import Engine
import Testing

@Suite struct ReferenceKernelTests {
    @Test(arguments: [
        // (n, c, h, w, o, k, stride, top, bottom, left, right)
        [1, 3, 7, 5, 4, 3, 1, 1, 1, 1, 1], [2, 2, 9, 9, 3, 3, 2, 1, 1, 1, 1], [1, 4, 8, 6, 2, 1, 1, 0, 0, 0, 0],
        [3, 1, 11, 7, 2, 5, 2, 2, 0, 1, 3], [1, 2, 6, 6, 3, 2, 3, 0, 1, 1, 0], [2, 3, 5, 5, 1, 7, 1, 3, 3, 3, 3],
    ])
    func convMatchesDirect(cfg: [Int]) {
        var rng = RandomGenerator(seed: 7)
        let x = Tensor.randn([cfg[0], cfg[1], cfg[2], cfg[3]], rng: &rng)
        let w = Tensor.randn([cfg[4], cfg[1], cfg[5], cfg[5]], rng: &rng)
        let b = Tensor.randn([cfg[4]], rng: &rng)
        let pad = Padding(top: cfg[7], bottom: cfg[8], left: cfg[9], right: cfg[10])
        let fast = conv2d(x, weight: w, bias: b, stride: (cfg[6], cfg[6]), padding: pad)
        let slow = Reference.conv2d(x, weight: w, bias: b, stride: (cfg[6], cfg[6]), padding: pad)
        #expect(fast.shape == slow.shape)
        expectClose(fast, slow, rtol: 1e-4, atol: 1e-4, "conv \(cfg)")
    }

    @Test(arguments: [(1, 1, 1), (3, 5, 7), (17, 33, 9), (64, 70, 65)])
    func matmulMatchesTripleLoop(m: Int, k: Int, n: Int) {
        var rng = RandomGenerator(seed: UInt64(m * 1000 + k))
        let a = Tensor.randn([m, k], rng: &rng), b = Tensor.randn([k, n], rng: &rng)
        expectClose(matmul(a, b), Reference.matmul(a, b), rtol: 1e-4, atol: 1e-4, "matmul \(m)×\(k)×\(n)")
    }

    @Test func convLargeBatchGroupsMatchDirect() {
        // A batch big enough to be split into several GEMM groups.
        var rng = RandomGenerator(seed: 3)
        let x = Tensor.randn([40, 3, 12, 12], rng: &rng), w = Tensor.randn([4, 3, 3, 3], rng: &rng)
        let fast = conv2d(x, weight: w, stride: (1, 1), padding: Padding(1))
        let slow = Reference.conv2d(x, weight: w, bias: nil, stride: (1, 1), padding: Padding(1))
        expectClose(fast, slow, rtol: 1e-4, atol: 1e-4, "grouped conv")
    }
}
