// Winograd convolution for stride-1 3×3 convs: F(2×2,3×3) and F(4×4,3×3) forward, backward-data
// (the forward run on dOut with the rotated, transposed kernel) and backward-weights (F(3×3,m×m)).
import CBLAS
import Dispatch
import Foundation

/// The algorithm of one pass (forward, backward-data or backward-weights) of a convolution.
enum ConvAlgorithm: Equatable, Sendable {
    /// im2col + GEMM: any geometry, the reference path.
    case im2col
    /// Winograd F(2×2, 3×3): 4×4 input tiles, exact ±1/±½ transforms, 2.25× fewer multiplies.
    case winograd2
    /// Winograd F(4×4, 3×3): 6×6 input tiles (points 0, ±1, ±2, ∞), 4× fewer multiplies.
    case winograd4
}

/// The algorithms of a convolution's three passes.
struct ConvPlan: Equatable, Sendable {
    var forward, backwardData, backwardWeights: ConvAlgorithm
    /// Threads of the Winograd passes (nil: `Threads.count`); tests fix it instead of the global setting.
    var threads: Int?

    init(forward: ConvAlgorithm, backwardData: ConvAlgorithm, backwardWeights: ConvAlgorithm, threads: Int? = nil) {
        self.forward = forward; self.backwardData = backwardData; self.backwardWeights = backwardWeights
        self.threads = threads
    }

    /// The same algorithm for all three passes.
    init(_ all: ConvAlgorithm, threads: Int? = nil) {
        self.init(forward: all, backwardData: all, backwardWeights: all, threads: threads)
    }

    /// The Winograd passes' thread count.
    var winogradThreads: Int { Swift.max(1, threads ?? Threads.count) }

    /// Whether Winograd can compute this convolution: a 3×3 kernel, stride 1, padding ≤ 2 per side
    /// (backward-data pads dOut by 2 − p).
    static func winogradApplies(_ geo: ConvGeometry) -> Bool {
        geo.kh == 3 && geo.kw == 3 && geo.sh == 1 && geo.sw == 1
            && Swift.max(geo.pad.top, geo.pad.bottom, geo.pad.left, geo.pad.right) <= 2
    }

    /// `LOOM_CONV=im2col` in the environment turns Winograd off for the process (to time both
    /// paths with one build); read once.
    static let winogradAllowed: Bool = ProcessInfo.processInfo.environment["LOOM_CONV"] != "im2col"

    /// The plan `conv2d` uses: Winograd where it applies and measured faster, im2col otherwise.
    static func automatic(_ geo: ConvGeometry, outChannels o: Int) -> ConvPlan {
        guard winogradAllowed && winogradApplies(geo) && geo.c >= 16 && o >= 16 else { return ConvPlan(.im2col) }
        return ConvPlan(.winograd4)
    }
}

// MARK: - Transforms

/// One Winograd variant F(m×m, 3×3) with α = m + 2, as 1-D transforms applied separably
/// (along rows, then along columns). Each reads 3, m or α values at a stride and writes its
/// result at a stride.
protocol WinogradTransform {
    /// Output tile side.
    static var m: Int { get }
    /// o = Bᵀ d (α → α): the input tile transform.
    static func input(_ d: UnsafePointer<Float>, _ sd: Int, _ o: UnsafeMutablePointer<Float>, _ so: Int)
    /// y = Aᵀ v (α → m): the inverse transform of the products.
    static func output(_ v: UnsafePointer<Float>, _ sv: Int, _ y: UnsafeMutablePointer<Float>, _ sy: Int)
    /// o = G g (3 → α): the kernel transform.
    static func kernel(_ g: UnsafePointer<Float>, _ sg: Int, _ o: UnsafeMutablePointer<Float>, _ so: Int)
    /// o = A y (m → α): the dOut tile transform of the backward-weights pass.
    static func gradOutput(_ y: UnsafePointer<Float>, _ sy: Int, _ o: UnsafeMutablePointer<Float>, _ so: Int)
    /// g = Gᵀ z (α → 3): maps accumulated backward-weights products back to the kernel.
    static func kernelAdjoint(_ z: UnsafePointer<Float>, _ sz: Int, _ g: UnsafeMutablePointer<Float>, _ sg: Int)
}

extension WinogradTransform {
    /// Input tile side m + 2.
    @inline(__always) static var alpha: Int { m + 2 }
}

/// F(2×2, 3×3): Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1], G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1],
/// Aᵀ = [1 1 1 0; 0 1 −1 −1].
enum WinogradF2: WinogradTransform {
    @inline(__always) static var m: Int { 2 }

    @inline(__always)
    static func input(_ d: UnsafePointer<Float>, _ sd: Int, _ o: UnsafeMutablePointer<Float>, _ so: Int) {
        let d0 = d[0], d1 = d[sd], d2 = d[2 * sd], d3 = d[3 * sd]
        o[0] = d0 - d2; o[so] = d1 + d2; o[2 * so] = d2 - d1; o[3 * so] = d1 - d3
    }

    @inline(__always)
    static func output(_ v: UnsafePointer<Float>, _ sv: Int, _ y: UnsafeMutablePointer<Float>, _ sy: Int) {
        let v0 = v[0], v1 = v[sv], v2 = v[2 * sv], v3 = v[3 * sv]
        y[0] = v0 + v1 + v2; y[sy] = v1 - v2 - v3
    }

    @inline(__always)
    static func kernel(_ g: UnsafePointer<Float>, _ sg: Int, _ o: UnsafeMutablePointer<Float>, _ so: Int) {
        let g0 = g[0], g1 = g[sg], g2 = g[2 * sg]
        o[0] = g0; o[so] = 0.5 * (g0 + g1 + g2); o[2 * so] = 0.5 * (g0 - g1 + g2); o[3 * so] = g2
    }

    @inline(__always)
    static func gradOutput(_ y: UnsafePointer<Float>, _ sy: Int, _ o: UnsafeMutablePointer<Float>, _ so: Int) {
        let y0 = y[0], y1 = y[sy]
        o[0] = y0; o[so] = y0 + y1; o[2 * so] = y0 - y1; o[3 * so] = -y1
    }

    @inline(__always)
    static func kernelAdjoint(_ z: UnsafePointer<Float>, _ sz: Int, _ g: UnsafeMutablePointer<Float>, _ sg: Int) {
        let z0 = z[0], z1 = z[sz], z2 = z[2 * sz], z3 = z[3 * sz]
        let s = 0.5 * (z1 + z2)
        g[0] = z0 + s; g[sg] = 0.5 * (z1 - z2); g[2 * sg] = s + z3
    }
}

/// F(4×4, 3×3) at the points 0, ±1, ±2, ∞:
/// Bᵀ = [4 0 −5 0 1 0; 0 −4 −4 1 1 0; 0 4 −4 −1 1 0; 0 −2 −1 2 1 0; 0 2 −1 −2 1 0; 0 4 0 −5 0 1],
/// G = [¼ 0 0; −⅙ −⅙ −⅙; −⅙ ⅙ −⅙; 1⁄24 1⁄12 ⅙; 1⁄24 −1⁄12 ⅙; 0 0 1],
/// Aᵀ = [1 1 1 1 1 0; 0 1 −1 2 −2 0; 0 1 1 4 4 0; 0 1 −1 8 −8 1].
enum WinogradF4: WinogradTransform {
    @inline(__always) static var m: Int { 4 }

    @inline(__always)
    static func input(_ d: UnsafePointer<Float>, _ sd: Int, _ o: UnsafeMutablePointer<Float>, _ so: Int) {
        let d0 = d[0], d1 = d[sd], d2 = d[2 * sd], d3 = d[3 * sd], d4 = d[4 * sd], d5 = d[5 * sd]
        let a = d4 - 4 * d2, b = d3 - 4 * d1, c = d4 - d2, e = 2 * (d3 - d1)
        o[0] = 4 * d0 - 5 * d2 + d4
        o[so] = a + b
        o[2 * so] = a - b
        o[3 * so] = c + e
        o[4 * so] = c - e
        o[5 * so] = 4 * d1 - 5 * d3 + d5
    }

    @inline(__always)
    static func output(_ v: UnsafePointer<Float>, _ sv: Int, _ y: UnsafeMutablePointer<Float>, _ sy: Int) {
        let v0 = v[0], v1 = v[sv], v2 = v[2 * sv], v3 = v[3 * sv], v4 = v[4 * sv], v5 = v[5 * sv]
        let p12 = v1 + v2, m12 = v1 - v2, p34 = v3 + v4, m34 = v3 - v4
        y[0] = v0 + p12 + p34
        y[sy] = m12 + 2 * m34
        y[2 * sy] = p12 + 4 * p34
        y[3 * sy] = m12 + 8 * m34 + v5
    }

    @inline(__always)
    static func kernel(_ g: UnsafePointer<Float>, _ sg: Int, _ o: UnsafeMutablePointer<Float>, _ so: Int) {
        let g0 = g[0], g1 = g[sg], g2 = g[2 * sg]
        let s = g0 + g2
        o[0] = 0.25 * g0
        o[so] = -(s + g1) / 6
        o[2 * so] = -(s - g1) / 6
        let t = g0 + 4 * g2
        o[3 * so] = (t + 2 * g1) / 24
        o[4 * so] = (t - 2 * g1) / 24
        o[5 * so] = g2
    }

    @inline(__always)
    static func gradOutput(_ y: UnsafePointer<Float>, _ sy: Int, _ o: UnsafeMutablePointer<Float>, _ so: Int) {
        let y0 = y[0], y1 = y[sy], y2 = y[2 * sy], y3 = y[3 * sy]
        let e = y0 + y2, f = y1 + y3, e4 = y0 + 4 * y2, f4 = 2 * y1 + 8 * y3
        o[0] = y0
        o[so] = e + f
        o[2 * so] = e - f
        o[3 * so] = e4 + f4
        o[4 * so] = e4 - f4
        o[5 * so] = y3
    }

    @inline(__always)
    static func kernelAdjoint(_ z: UnsafePointer<Float>, _ sz: Int, _ g: UnsafeMutablePointer<Float>, _ sg: Int) {
        let z0 = z[0], z1 = z[sz], z2 = z[2 * sz], z3 = z[3 * sz], z4 = z[4 * sz], z5 = z[5 * sz]
        let p12 = z1 + z2, m12 = z2 - z1, p34 = z3 + z4, m34 = z3 - z4
        g[0] = 0.25 * z0 - p12 / 6 + p34 / 24
        g[sg] = m12 / 6 + m34 / 12
        g[2 * sg] = (p34 - p12) / 6 + z5
    }
}

// MARK: - Tiling

/// Tiling of one Winograd convolution: m×m output tiles over (OH, OW), tile (ty, tx) reading the
/// α×α input window from (ty·m − top, tx·m − left), zero outside the image. Tile rows are numbered
/// across the batch (image·tilesY + ty) and processed in blocks of whole tile rows.
struct WinogradTiling {
    let n, c, h, w, top, left, oh, ow, m, tilesY, tilesX: Int
    /// Width of one row of the vertically transformed input: tilesX·m + 2 columns.
    let rowWidth: Int

    init(n: Int, c: Int, h: Int, w: Int, pad: Padding, m: Int) {
        self.n = n; self.c = c; self.h = h; self.w = w; self.m = m
        top = pad.top; left = pad.left
        oh = h + pad.top + pad.bottom - 2; ow = w + pad.left + pad.right - 2
        tilesY = (oh + m - 1) / m; tilesX = (ow + m - 1) / m
        rowWidth = tilesX * m + 2
    }

    var tileRows: Int { n * tilesY }

    /// Tile rows per block: about `targetTiles` tiles, and at least one block per thread.
    func rowsPerBlock(targetTiles: Int, threads: Int) -> Int {
        let wanted = Swift.max(1, targetTiles / tilesX)
        let perThread = (tileRows + threads - 1) / threads
        return Swift.max(1, Swift.min(wanted, perThread))
    }
}

/// Tiles per block: the block's transformed input and products stay near L2 while each of the
/// α² GEMMs still has enough columns.
let winogradBlockTiles = 128

/// Runs `body(chunk, blocks)` over `0..<n` blocks split into one contiguous chunk per engine
/// thread (each with single-threaded OpenBLAS); chunk bounds depend only on n and the thread count.
func winogradChunks(_ n: Int, threads: Int, _ body: (Int, Range<Int>) -> Void) -> Int {
    let chunks = Swift.min(threads, n)
    if chunks <= 1 {
        body(0, 0..<n)
        return 1
    }
    withoutActuallyEscaping(body) { b in
        DispatchQueue.concurrentPerform(iterations: chunks) { c in b(c, n * c / chunks..<n * (c + 1) / chunks) }
    }
    return chunks
}

/// Writes the transformed input tiles of tile rows `rows` into v, laid out [α²][C][T] with
/// T = rows.count·tilesX (tile index (row − rows.lowerBound)·tilesX + tx). `scratch` holds 2·α·rowWidth floats.
@inline(__always)
func winogradInputTiles<K: WinogradTransform>(_: K.Type, _ x: UnsafePointer<Float>, _ g: WinogradTiling, rows: Range<Int>,
                                              _ v: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
    let a = K.alpha, m = K.m, rw = g.rowWidth, tx = g.tilesX
    let t = rows.count * tx, ct = g.c * t, plane = g.h * g.w
    let padded = scratch, vert = scratch + a * rw
    let end = g.left + g.w
    for ci in 0..<g.c {
        for r in rows {
            let img = r / g.tilesY, ty = r % g.tilesY
            let src = x + (img * g.c + ci) * plane
            // α input rows, zero-padded to rowWidth columns.
            for j in 0..<a {
                let y = ty * m - g.top + j, dst = padded + j * rw
                if y < 0 || y >= g.h {
                    dst.update(repeating: 0, count: rw)
                    continue
                }
                if g.left > 0 { dst.update(repeating: 0, count: g.left) }
                (dst + g.left).update(from: src + y * g.w, count: g.w)
                if end < rw { (dst + end).update(repeating: 0, count: rw - end) }
            }
            // Bᵀ down the columns (all tiles of the row at once), then B along each tile's rows.
            for q in 0..<rw { K.input(padded + q, rw, vert + q, rw) }
            let base = v + ci * t + (r - rows.lowerBound) * tx
            for tc in 0..<tx {
                let col = vert + tc * m, dst = base + tc
                for i in 0..<a { K.input(col + i * rw, 1, dst + i * a * ct, ct) }
            }
        }
    }
}

/// Inverse-transforms the products `mo` ([α²][O][T], T as in `winogradInputTiles`) of tile rows
/// `rows` into the NCHW output (N, O, OH, OW), adding the bias and applying ReLU; tiles past the
/// output edge are cut. `scratch` holds α·m + m·m floats.
@inline(__always)
func winogradOutputTiles<K: WinogradTransform>(_: K.Type, _ mo: UnsafePointer<Float>, _ g: WinogradTiling, outChannels o: Int,
                                               rows: Range<Int>, bias: UnsafePointer<Float>?, relu: Bool,
                                               _ out: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
    let a = K.alpha, m = K.m, tx = g.tilesX
    let t = rows.count * tx, ot = o * t, plane = g.oh * g.ow
    let half = scratch, y = scratch + a * m
    for oc in 0..<o {
        let bv = bias?[oc] ?? 0
        for r in rows {
            let img = r / g.tilesY, ty = r % g.tilesY
            let dstPlane = out + (img * o + oc) * plane + ty * m * g.ow
            let rowsValid = Swift.min(m, g.oh - ty * m)
            let src = mo + oc * t + (r - rows.lowerBound) * tx
            for tc in 0..<tx {
                let s = src + tc
                for i in 0..<a { K.output(s + i * a * ot, ot, half + i * m, 1) }
                for j in 0..<m { K.output(half + j, m, y + j, m) }
                let colsValid = Swift.min(m, g.ow - tc * m)
                for i in 0..<rowsValid {
                    let d = dstPlane + i * g.ow + tc * m, yr = y + i * m
                    if relu {
                        for j in 0..<colsValid { let v = yr[j] + bv; d[j] = v > 0 ? v : 0 }
                    } else {
                        for j in 0..<colsValid { d[j] = yr[j] + bv }
                    }
                }
            }
        }
    }
}

/// Transformed kernels U[ξ][row][col] = (G g Gᵀ)[ξ], [α²][O][C] from weight (O, C, 3, 3); with
/// `rotated`, [α²][C][O] of the kernel rotated by 180° with C and O swapped (backward-data).
func winogradKernels<K: WinogradTransform>(_: K.Type, _ weight: UnsafePointer<Float>, o: Int, c: Int, rotated: Bool) -> Storage {
    let a = K.alpha, oc = o * c
    let u = Storage(uninitialized: a * a * oc)
    let uP = SendPtr(u.ptr), wP = SendPtr(UnsafeMutablePointer(mutating: weight))
    parallelFor(o, costPerItem: c * 12 * a * a) { lo, hi in
        var g = (Float(0), Float(0), Float(0), Float(0), Float(0), Float(0), Float(0), Float(0), Float(0))
        var half = (Float(0), Float(0), Float(0), Float(0), Float(0), Float(0), Float(0), Float(0), Float(0),
                    Float(0), Float(0), Float(0), Float(0), Float(0), Float(0), Float(0), Float(0), Float(0))
        withUnsafeMutableBytes(of: &g) { gb in
            withUnsafeMutableBytes(of: &half) { hb in
                let gp = gb.baseAddress!.assumingMemoryBound(to: Float.self)
                let hp = hb.baseAddress!.assumingMemoryBound(to: Float.self)
                for oi in lo..<hi {
                    for ci in 0..<c {
                        let src = wP.p + (oi * c + ci) * 9
                        if rotated { for q in 0..<9 { gp[q] = src[8 - q] } } else { for q in 0..<9 { gp[q] = src[q] } }
                        // G down the kernel's columns (α × 3), then along the rows.
                        for j in 0..<3 { K.kernel(gp + j, 3, hp + j, 3) }
                        let dst = uP.p + (rotated ? ci * o + oi : oi * c + ci)
                        for i in 0..<a { K.kernel(hp + i * 3, 1, dst + i * a * oc, oc) }
                    }
                }
            }
        }
    }
    return u
}

/// A stride-1 3×3 convolution by Winograd: x (N, C, H, W), transformed kernels `u` [α²][O][C]
/// (`winogradKernels`), optional bias (O) and ReLU → out (N, O, OH, OW), OH = H + top + bottom − 2.
func winogradConv<K: WinogradTransform>(_: K.Type, _ x: UnsafePointer<Float>, n: Int, c: Int, h: Int, w: Int, pad: Padding,
                                        kernels u: UnsafePointer<Float>, o: Int, bias: UnsafePointer<Float>?, relu: Bool,
                                        _ out: UnsafeMutablePointer<Float>, threads: Int) {
    let g = WinogradTiling(n: n, c: c, h: h, w: w, pad: pad, m: K.m)
    let a = K.alpha, a2 = a * a
    let rpb = g.rowsPerBlock(targetTiles: winogradBlockTiles, threads: threads)
    let blocks = (g.tileRows + rpb - 1) / rpb, maxT = rpb * g.tilesX
    let xP = SendPtr(UnsafeMutablePointer(mutating: x)), uP = SendPtr(UnsafeMutablePointer(mutating: u))
    let outP = SendPtr(out), biasP = bias.map { SendPtr(UnsafeMutablePointer(mutating: $0)) }
    _ = winogradChunks(blocks, threads: threads) { _, range in
        let vBuf = Storage(uninitialized: a2 * c * maxT), mBuf = Storage(uninitialized: a2 * o * maxT)
        let scratch = Storage(uninitialized: 2 * a * g.rowWidth + a * K.m + K.m * K.m)
        for b in range {
            let rows = b * rpb..<Swift.min(g.tileRows, (b + 1) * rpb), t = rows.count * g.tilesX
            winogradInputTiles(K.self, xP.p, g, rows: rows, vBuf.ptr, scratch: scratch.ptr)
            for xi in 0..<a2 {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(o), Int32(t), Int32(c), 1,
                            uP.p + xi * o * c, Int32(c), vBuf.ptr + xi * c * t, Int32(t), 0, mBuf.ptr + xi * o * t, Int32(t))
            }
            winogradOutputTiles(K.self, mBuf.ptr, g, outChannels: o, rows: rows, bias: biasP?.p, relu: relu, outP.p,
                                scratch: scratch.ptr)
        }
    }
}

/// The kernel gradient of a stride-1 3×3 convolution by Winograd F(3×3, m×m): for every output tile,
/// the input tile Bᵀ d B and the dOut tile A y Aᵀ (zero past the output edge); their channel
/// products summed over all tiles by α² GEMMs M[ξ] (O, C) += Ŷ[ξ] (O, T) · V[ξ]ᵀ (T, C), then
/// dW = Gᵀ M G, written into dw (O, C, 3, 3). Per-thread sums are added in chunk order.
func winogradKernelGradient<K: WinogradTransform>(_: K.Type, x: UnsafePointer<Float>, gOut: UnsafePointer<Float>, n: Int,
                                                  c: Int, h: Int, w: Int, pad: Padding, o: Int,
                                                  _ dw: UnsafeMutablePointer<Float>, threads: Int) {
    let g = WinogradTiling(n: n, c: c, h: h, w: w, pad: pad, m: K.m)
    let a = K.alpha, a2 = a * a, m = K.m, oc = o * c
    let rpb = g.rowsPerBlock(targetTiles: winogradBlockTiles, threads: threads)
    let blocks = (g.tileRows + rpb - 1) / rpb, maxT = rpb * g.tilesX
    let xP = SendPtr(UnsafeMutablePointer(mutating: x)), gP = SendPtr(UnsafeMutablePointer(mutating: gOut))
    let chunks = Swift.min(threads, blocks)
    let sums = (0..<chunks).map { _ in Storage(zeros: a2 * oc) }
    let plane = g.oh * g.ow
    _ = winogradChunks(blocks, threads: threads) { chunk, range in
        let acc = sums[chunk].ptr
        let vBuf = Storage(uninitialized: a2 * c * maxT), yBuf = Storage(uninitialized: a2 * o * maxT)
        let scratch = Storage(uninitialized: 2 * a * g.rowWidth + a * m + m * m)
        let tileBuf = scratch.ptr + 2 * a * g.rowWidth, half = tileBuf + m * m
        for b in range {
            let rows = b * rpb..<Swift.min(g.tileRows, (b + 1) * rpb), t = rows.count * g.tilesX, ot = o * t
            winogradInputTiles(K.self, xP.p, g, rows: rows, vBuf.ptr, scratch: scratch.ptr)
            for oi in 0..<o {
                for r in rows {
                    let img = r / g.tilesY, ty = r % g.tilesY
                    let srcPlane = gP.p + (img * o + oi) * plane + ty * m * g.ow
                    let rowsValid = Swift.min(m, g.oh - ty * m)
                    let dst = yBuf.ptr + oi * t + (r - rows.lowerBound) * g.tilesX
                    for tc in 0..<g.tilesX {
                        let colsValid = Swift.min(m, g.ow - tc * m)
                        if rowsValid < m || colsValid < m { tileBuf.update(repeating: 0, count: m * m) }
                        for i in 0..<rowsValid {
                            (tileBuf + i * m).update(from: srcPlane + i * g.ow + tc * m, count: colsValid)
                        }
                        // A down the columns (α × m), then along the rows.
                        for j in 0..<m { K.gradOutput(tileBuf + j, m, half + j, m) }
                        for i in 0..<a { K.gradOutput(half + i * m, 1, dst + tc + i * a * ot, ot) }
                    }
                }
            }
            for xi in 0..<a2 {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(o), Int32(c), Int32(t), 1,
                            yBuf.ptr + xi * o * t, Int32(t), vBuf.ptr + xi * c * t, Int32(t), 1, acc + xi * oc, Int32(c))
            }
        }
    }
    let total = sums[0].ptr
    for s in sums.dropFirst() {
        let sp = SendPtr(s.ptr), tp = SendPtr(total)
        parallelFor(a2 * oc, costPerItem: 1) { lo, hi in for j in lo..<hi { tp.p[j] += sp.p[j] } }
    }
    let totalP = SendPtr(total), dwP = SendPtr(dw)
    parallelFor(o, costPerItem: c * 8 * a2) { lo, hi in
        let half = UnsafeMutablePointer<Float>.allocate(capacity: a * 3)
        defer { half.deallocate() }
        for oi in lo..<hi {
            for ci in 0..<c {
                let z = totalP.p + oi * c + ci
                // Gᵀ along each row ξ-row (α × 3), then down the columns.
                for i in 0..<a { K.kernelAdjoint(z + i * a * oc, oc, half + i * 3, 1) }
                let d = dwP.p + (oi * c + ci) * 9
                for j in 0..<3 { K.kernelAdjoint(half + j, 3, d + j, 3) }
            }
        }
    }
}

/// Runs `body` with the transform type of a Winograd algorithm.
@inline(__always)
func withWinograd<R>(_ alg: ConvAlgorithm, _ body2: () -> R, _ body4: () -> R) -> R {
    switch alg {
    case .winograd2: return body2()
    case .winograd4: return body4()
    case .im2col: preconditionFailure("withWinograd: im2col is not a Winograd algorithm")
    }
}
