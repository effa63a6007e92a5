// Winograd F(4×4,3×3) convolution for stride-1 3×3 convs: forward, backward-data (the forward run
// on dOut with the rotated, transposed kernel) and backward-weights (F(3×3,4×4)).
import CBLAS
import Dispatch
import Foundation

// MARK: - Transforms

/// The values a transform computes with: one float, or eight neighbouring floats at once.
protocol WinogradLane {
    static func load(_ p: UnsafePointer<Float>) -> Self
    func store(_ p: UnsafeMutablePointer<Float>)
    static func + (a: Self, b: Self) -> Self
    static func - (a: Self, b: Self) -> Self
    static func * (a: Float, b: Self) -> Self
    static prefix func - (a: Self) -> Self
}

extension Float: WinogradLane {
    @inline(__always) static func load(_ p: UnsafePointer<Float>) -> Float { p.pointee }
    @inline(__always) func store(_ p: UnsafeMutablePointer<Float>) { p.pointee = self }
}

extension SIMD4: WinogradLane where Scalar == Float {
    @inline(__always) static func load(_ p: UnsafePointer<Float>) -> SIMD4<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Float>.self)
    }
    @inline(__always) func store(_ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: self, as: SIMD4<Float>.self)
    }
}

extension SIMD8: WinogradLane where Scalar == Float {
    @inline(__always) static func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }
    @inline(__always) func store(_ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: self, as: SIMD8<Float>.self)
    }
}

/// Runs `wide(i)` for i = 0, 8, 16, … while eight elements remain, `half(i)` if four remain, then
/// `one(i)` for the rest.
@inline(__always)
func winogradLanes(_ n: Int, _ wide: (Int) -> Void, _ half: (Int) -> Void, _ one: (Int) -> Void) {
    var i = 0
    while i &+ 8 <= n { wide(i); i &+= 8 }
    if i &+ 4 <= n { half(i); i &+= 4 }
    while i < n { one(i); i &+= 1 }
}

/// One Winograd variant F(m×m, 3×3) with α = m + 2, as 1-D transforms applied separably
/// (along rows, then along columns). Each reads 3, m or α lanes at a stride (in floats) and writes
/// its result at a stride; a lane is one float or eight neighbouring ones. The tiling and the
/// passes below are written for any m; the engine runs F(4×4, 3×3) (`WinogradF4`).
protocol WinogradTransform {
    /// Output tile side.
    static var m: Int { get }
    /// o = Bᵀ d (α → α): the input tile transform.
    static func input<L: WinogradLane>(_ d: UnsafePointer<Float>, _ sd: Int, _ o: UnsafeMutablePointer<Float>, _ so: Int, _: L.Type)
    /// y = Aᵀ v (α → m): the inverse transform of the products.
    static func output<L: WinogradLane>(_ v: UnsafePointer<Float>, _ sv: Int, _ y: UnsafeMutablePointer<Float>, _ sy: Int, _: L.Type)
    /// o = G g (3 → α): the kernel transform.
    static func kernel<L: WinogradLane>(_ g: UnsafePointer<Float>, _ sg: Int, _ o: UnsafeMutablePointer<Float>, _ so: Int, _: L.Type)
    /// o = A y (m → α): the dOut tile transform of the backward-weights pass.
    static func gradOutput<L: WinogradLane>(_ y: UnsafePointer<Float>, _ sy: Int, _ o: UnsafeMutablePointer<Float>, _ so: Int, _: L.Type)
    /// g = Gᵀ z (α → 3): maps accumulated backward-weights products back to the kernel.
    static func kernelAdjoint<L: WinogradLane>(_ z: UnsafePointer<Float>, _ sz: Int, _ g: UnsafeMutablePointer<Float>, _ sg: Int,
                                               _: L.Type)
}

/// One of a `WinogradTransform`'s 1-D transforms, named so `columns` can run any of them.
enum WinogradStep { case input, output, kernel, gradOutput, kernelAdjoint }

extension WinogradTransform {
    /// Input tile side m + 2.
    @inline(__always) static var alpha: Int { m + 2 }

    /// `step` on one lane (a constant `step` folds the switch away once inlined).
    @inline(__always)
    static func apply<L: WinogradLane>(_ step: WinogradStep, _ s: UnsafePointer<Float>, _ ss: Int,
                                       _ d: UnsafeMutablePointer<Float>, _ ds: Int, _: L.Type) {
        switch step {
        case .input: input(s, ss, d, ds, L.self)
        case .output: output(s, ss, d, ds, L.self)
        case .kernel: kernel(s, ss, d, ds, L.self)
        case .gradOutput: gradOutput(s, ss, d, ds, L.self)
        case .kernelAdjoint: kernelAdjoint(s, ss, d, ds, L.self)
        }
    }

    /// `step` on `n` neighbouring columns read at stride `ss` from `s` and written at stride `ds`
    /// to `d`: eight columns at a time, then four, then one (`winogradLanes`).
    ///
    /// The same 256-bit code on every kernel path (`KernelISA`): a sixteen-lane AVX-512 version of
    /// the F(4×4, 3×3) transforms measured no faster in whole convolutions (0.98–1.03×, forward
    /// and both gradients, 16 to 256 channels, Zen 4, scripts/kernel-timings); the tile gathers
    /// and the GEMMs set the pace.
    @inline(__always)
    static func columns(_ step: WinogradStep, _ n: Int, _ s: UnsafePointer<Float>, _ ss: Int,
                        _ d: UnsafeMutablePointer<Float>, _ ds: Int) {
        winogradLanes(n,
                      { q in apply(step, s + q, ss, d + q, ds, SIMD8<Float>.self) },
                      { q in apply(step, s + q, ss, d + q, ds, SIMD4<Float>.self) },
                      { q in apply(step, s + q, ss, d + q, ds, Float.self) })
    }
}

/// F(4×4, 3×3) at the points 0, ±1, ±2, ∞:
/// Bᵀ = [4 0 −5 0 1 0; 0 −4 −4 1 1 0; 0 4 −4 −1 1 0; 0 −2 −1 2 1 0; 0 2 −1 −2 1 0; 0 4 0 −5 0 1],
/// G = [¼ 0 0; −⅙ −⅙ −⅙; −⅙ ⅙ −⅙; 1⁄24 1⁄12 ⅙; 1⁄24 −1⁄12 ⅙; 0 0 1],
/// Aᵀ = [1 1 1 1 1 0; 0 1 −1 2 −2 0; 0 1 1 4 4 0; 0 1 −1 8 −8 1].
enum WinogradF4: WinogradTransform {
    @inline(__always) static var m: Int { 4 }
    // Reciprocals as constants: a multiply instead of a division in the kernel transforms.
    @inline(__always) static var sixth: Float { 0.16666667 }
    @inline(__always) static var twelfth: Float { 0.083333336 }
    @inline(__always) static var twentyFourth: Float { 0.041666668 }

    @inline(__always)
    static func input<L: WinogradLane>(_ d: UnsafePointer<Float>, _ sd: Int, _ o: UnsafeMutablePointer<Float>, _ so: Int, _: L.Type) {
        let d0 = L.load(d), d1 = L.load(d + sd), d2 = L.load(d + 2 &* sd)
        let d3 = L.load(d + 3 &* sd), d4 = L.load(d + 4 &* sd), d5 = L.load(d + 5 &* sd)
        let a = d4 - 4 * d2, b = d3 - 4 * d1, c = d4 - d2, e = 2 * (d3 - d1)
        (4 * d0 - 5 * d2 + d4).store(o)
        (a + b).store(o + so)
        (a - b).store(o + 2 &* so)
        (c + e).store(o + 3 &* so)
        (c - e).store(o + 4 &* so)
        (4 * d1 - 5 * d3 + d5).store(o + 5 &* so)
    }

    @inline(__always)
    static func output<L: WinogradLane>(_ v: UnsafePointer<Float>, _ sv: Int, _ y: UnsafeMutablePointer<Float>, _ sy: Int, _: L.Type) {
        let v0 = L.load(v), v1 = L.load(v + sv), v2 = L.load(v + 2 &* sv)
        let v3 = L.load(v + 3 &* sv), v4 = L.load(v + 4 &* sv), v5 = L.load(v + 5 &* sv)
        let p12 = v1 + v2, m12 = v1 - v2, p34 = v3 + v4, m34 = v3 - v4
        (v0 + p12 + p34).store(y)
        (m12 + 2 * m34).store(y + sy)
        (p12 + 4 * p34).store(y + 2 &* sy)
        (m12 + 8 * m34 + v5).store(y + 3 &* sy)
    }

    @inline(__always)
    static func kernel<L: WinogradLane>(_ g: UnsafePointer<Float>, _ sg: Int, _ o: UnsafeMutablePointer<Float>, _ so: Int, _: L.Type) {
        let g0 = L.load(g), g1 = L.load(g + sg), g2 = L.load(g + 2 &* sg)
        let s = g0 + g2, t = g0 + 4 * g2
        (0.25 * g0).store(o)
        (-sixth * (s + g1)).store(o + so)
        (-sixth * (s - g1)).store(o + 2 &* so)
        (twentyFourth * (t + 2 * g1)).store(o + 3 &* so)
        (twentyFourth * (t - 2 * g1)).store(o + 4 &* so)
        g2.store(o + 5 &* so)
    }

    @inline(__always)
    static func gradOutput<L: WinogradLane>(_ y: UnsafePointer<Float>, _ sy: Int, _ o: UnsafeMutablePointer<Float>, _ so: Int,
                                            _: L.Type) {
        let y0 = L.load(y), y1 = L.load(y + sy), y2 = L.load(y + 2 &* sy), y3 = L.load(y + 3 &* sy)
        let e = y0 + y2, f = y1 + y3, e4 = y0 + 4 * y2, f4 = 2 * y1 + 8 * y3
        y0.store(o)
        (e + f).store(o + so)
        (e - f).store(o + 2 &* so)
        (e4 + f4).store(o + 3 &* so)
        (e4 - f4).store(o + 4 &* so)
        y3.store(o + 5 &* so)
    }

    @inline(__always)
    static func kernelAdjoint<L: WinogradLane>(_ z: UnsafePointer<Float>, _ sz: Int, _ g: UnsafeMutablePointer<Float>, _ sg: Int,
                                               _: L.Type) {
        let z0 = L.load(z), z1 = L.load(z + sz), z2 = L.load(z + 2 &* sz)
        let z3 = L.load(z + 3 &* sz), z4 = L.load(z + 4 &* sz), z5 = L.load(z + 5 &* sz)
        let p12 = z1 + z2, m12 = z2 - z1, p34 = z3 + z4, m34 = z3 - z4
        (0.25 * z0 - sixth * p12 + twentyFourth * p34).store(g)
        (sixth * m12 + twelfth * m34).store(g + sg)
        (sixth * (p34 - p12) + z5).store(g + 2 &* sg)
    }
}

// MARK: - Tiling

/// Tiling of one Winograd convolution: m×m output tiles over (OH, OW), tile (ty, tx) reading the
/// α×α input window from (ty·m − top, tx·m − left), zero outside the image. Tile rows are numbered
/// across the batch (image·tilesY + ty) and processed in blocks of whole tile rows; within a tile
/// row the transforms run over all tiles at once (element-major, tile index innermost), so they
/// vectorise.
struct WinogradTiling {
    let n, c, h, w, top, left, oh, ow, m, tilesY, tilesX: Int

    init(n: Int, c: Int, h: Int, w: Int, pad: Padding, m: Int) {
        self.n = n; self.c = c; self.h = h; self.w = w; self.m = m
        top = pad.top; left = pad.left
        oh = h + pad.top + pad.bottom - 2; ow = w + pad.left + pad.right - 2
        tilesY = (oh + m - 1) / m; tilesX = (ow + m - 1) / m
    }

    var tileRows: Int { n * tilesY }

    /// Tile rows per block: about `targetTiles` tiles, and at least one block per thread.
    func rowsPerBlock(targetTiles: Int, threads: Int) -> Int {
        let wanted = Swift.max(1, targetTiles / tilesX)
        let perThread = (tileRows + threads - 1) / threads
        return Swift.max(1, Swift.min(wanted, perThread))
    }

    /// Scratch floats of the transforms of a block of `rows` tile rows: tiles and their vertical
    /// transform (α² per tile each, also enough for the output transforms) and zero-padded copies
    /// of the input rows they read.
    func scratchCount(rows: Int) -> Int {
        let a = m + 2
        return 2 * a * a * rows * tilesX + ((rows - 1) * m + a) * (tilesX * m + 2)
    }
}

/// Tiles per block of the forward pass: the block's transformed input and products stay near L2
/// while each of the α² GEMMs still has enough columns.
let winogradBlockTiles = 32  // measured: 32 and 64 beat 128 and 256 (blocks fit L2)

/// Tiles per block of the kernel gradient: the sum over a block's tiles is the GEMMs' inner
/// dimension, and each block reads and writes the α²·O·C accumulator once.
let winogradGradientBlockTiles = 512

/// Writes the transformed input tiles of tile rows `rows` into v, laid out [α²][C][T] with
/// T = rows.count·tilesX (tile index (row − rows.lowerBound)·tilesX + tx). Per channel the tiles
/// are gathered element-major (tiles[j·α + l][t], from zero-padded copies of the rows they read),
/// then both transforms run over all T tiles at once. `scratch` holds `tiling.scratchCount(rows:)` floats.
@inline(__always)
func winogradInputTiles<K: WinogradTransform>(_: K.Type, _ x: UnsafePointer<Float>, _ tiling: WinogradTiling, rows: Range<Int>,
                                              _ v: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
    let a = K.alpha, m = K.m, tx = tiling.tilesX, pw = tx * m + 2
    let t = rows.count * tx, ct = tiling.c * t, plane = tiling.h * tiling.w, at = a * t
    let tiles = scratch, vert = scratch + a * at, padded = vert + a * at
    for ci in 0..<tiling.c {
        var r = rows.lowerBound
        while r < rows.upperBound {
            // The block's tile rows of one image: ty0..<ty1.
            let (img, ty0) = r.quotientAndRemainder(dividingBy: tiling.tilesY)
            let ty1 = Swift.min(tiling.tilesY, ty0 + rows.upperBound - r)
            let src = x + (img * tiling.c + ci) * plane
            for pr in 0..<((ty1 - 1 - ty0) * m + a) {
                let y = ty0 * m - tiling.top + pr, d = padded + pr * pw
                if y < 0 || y >= tiling.h {
                    d.update(repeating: 0, count: pw)
                    continue
                }
                if tiling.left > 0 { d.update(repeating: 0, count: tiling.left) }
                (d + tiling.left).update(from: src + y * tiling.w, count: tiling.w)
                let end = tiling.left + tiling.w
                if end < pw { (d + end).update(repeating: 0, count: pw - end) }
            }
            let first = (r - rows.lowerBound) * tx
            for ty in ty0..<ty1 {
                let prow = padded + (ty - ty0) * m * pw, t0 = first + (ty - ty0) * tx
                for tc in 0..<tx {
                    let s = prow + tc &* m, d = tiles + t0 + tc
                    for j in 0..<a {
                        let sj = s + j &* pw, dj = d + j &* at
                        for l in 0..<a { dj[l &* t] = sj[l] }
                    }
                }
            }
            r += ty1 - ty0
        }
        // Bᵀ down the tile columns (vert[i·α + l][t]), then along the rows into V[i·α + k][ci][t].
        for l in 0..<a {
            let s = tiles + l * t, d = vert + l * t
            K.columns(.input, t, s, at, d, at)
        }
        for i in 0..<a {
            let s = vert + i * at, d = v + i * a * ct + ci * t
            K.columns(.input, t, s, t, d, ct)
        }
    }
}

/// Inverse-transforms the products `mo` ([α²][O][T], T as in `winogradInputTiles`) of tile rows
/// `rows` into the NCHW output (N, O, OH, OW), adding the bias and applying ReLU; tiles past the
/// output edge are cut. Both transforms run over all T tiles at once. `scratch` holds
/// `tiling.scratchCount(rows:)` floats.
@inline(__always)
func winogradOutputTiles<K: WinogradTransform>(_: K.Type, _ mo: UnsafePointer<Float>, _ tiling: WinogradTiling, outChannels o: Int,
                                               rows: Range<Int>, bias: UnsafePointer<Float>?, relu: Bool,
                                               _ out: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
    let a = K.alpha, m = K.m, tx = tiling.tilesX
    let t = rows.count * tx, ot = o * t, plane = tiling.oh * tiling.ow, mtt = m * t
    let half = scratch, y = scratch + a * mtt
    for oc in 0..<o {
        let bv = bias?[oc] ?? 0
        let src = mo + oc * t
        // Aᵀ along each row of products (half[i·m + j][t]), then down the columns (y[i·m + j][t]).
        for i in 0..<a {
            let s = src + i * a * ot, d = half + i * mtt
            K.columns(.output, t, s, ot, d, t)
        }
        for j in 0..<m {
            let s = half + j * t, d = y + j * t
            K.columns(.output, t, s, mtt, d, mtt)
        }
        for r in rows {
            let (img, ty) = r.quotientAndRemainder(dividingBy: tiling.tilesY)
            let dstPlane = out + (img * o + oc) * plane + ty * m * tiling.ow
            let rowsValid = Swift.min(m, tiling.oh - ty * m), t0 = (r - rows.lowerBound) * tx
            for tc in 0..<tx {
                let colsValid = Swift.min(m, tiling.ow - tc * m), ys = y + t0 + tc
                for i in 0..<rowsValid {
                    let d = dstPlane + (i &* tiling.ow &+ tc &* m), yi = ys + i &* m &* t
                    if relu {
                        for j in 0..<colsValid { let v = yi[j &* t] + bv; d[j] = v > 0 ? v : 0 }
                    } else {
                        for j in 0..<colsValid { d[j] = yi[j &* t] + bv }
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
    let rowCount = rotated ? c : o, cols = rotated ? o : c
    let rowStride = rotated ? 9 : 9 * c, colStride = rotated ? 9 * c : 9
    let u = Storage(uninitialized: a * a * oc)
    let uP = SendPtr(u.ptr), wP = SendPtr(UnsafeMutablePointer(mutating: weight))
    parallelFor(rowCount, costPerItem: cols * 8 * a * a) { lo, hi in
        let taps = UnsafeMutablePointer<Float>.allocate(capacity: (9 + 3 * a) * cols)
        defer { taps.deallocate() }
        let half = taps + 9 * cols
        for row in lo..<hi {
            // The row's kernels tap-major, taps[q][col] (rotated: tap 8 − q).
            let src = wP.p + row * rowStride
            for q in 0..<9 {
                let s = src + (rotated ? 8 - q : q), d = taps + q * cols
                for col in 0..<cols { d[col] = s[col &* colStride] }
            }
            // G down each kernel column (half[ξ·3 + j][col]), then along the rows.
            for j in 0..<3 {
                K.columns(.kernel, cols, taps + j * cols, 3 * cols, half + j * cols, 3 * cols)
            }
            for i in 0..<a {
                let s = half + i * 3 * cols, d = uP.p + i * a * oc + row * cols
                K.columns(.kernel, cols, s, cols, d, oc)
            }
        }
    }
    return u
}

// MARK: - Passes

/// Forward by Winograd F(4×4, 3×3): out (N, O, OH, OW) = conv of x (N, C, H, W) with weight
/// (O, C, 3, 3) transformed into U [α²][O][C], + bias (O), ReLU if asked.
func winogradConvForward(_ x: Tensor, weight: Tensor, bias: Tensor?, geo: ConvGeometry, relu: Bool, out: Tensor, threads: Int) {
    let o = weight.dim(0)
    let u = winogradKernels(WinogradF4.self, weight.ptr, o: o, c: geo.c, rotated: false)
    withExtendedLifetime(u) {  // u.ptr is read by the whole call, not just where it is passed
        winogradConv(WinogradF4.self, x.ptr, n: x.dim(0), c: geo.c, h: geo.h, w: geo.w, pad: geo.pad, kernels: u.ptr, o: o,
                     bias: bias.map { UnsafePointer($0.ptr) }, relu: relu, out.ptr, threads: threads)
    }
}

/// Backward-data by Winograd F(4×4, 3×3): dx (N, C, H, W) = the stride-1 3×3 conv of dOut
/// (N, O, OH, OW) padded by 2 − p with the kernel rotated by 180° and C, O swapped, U [α²][C][O].
func winogradConvBackwardData(_ dOut: Tensor, weight: Tensor, geo: ConvGeometry, threads: Int) -> Tensor {
    let n = dOut.dim(0), o = weight.dim(0)
    let dx = Tensor(uninitialized: [n, geo.c, geo.h, geo.w])
    let pad = Padding(top: 2 - geo.pad.top, bottom: 2 - geo.pad.bottom, left: 2 - geo.pad.left, right: 2 - geo.pad.right)
    let u = winogradKernels(WinogradF4.self, weight.ptr, o: o, c: geo.c, rotated: true)
    withExtendedLifetime(u) {
        winogradConv(WinogradF4.self, dOut.ptr, n: n, c: o, h: geo.oh, w: geo.ow, pad: pad, kernels: u.ptr, o: geo.c,
                     bias: nil, relu: false, dx.ptr, threads: threads)
    }
    return dx
}

/// Backward-weights by Winograd F(3×3, 4×4): dW (O, C, 3, 3) from x (N, C, H, W) and dOut
/// (N, O, OH, OW) (`winogradKernelGradient`).
func winogradConvBackwardWeights(_ x: Tensor, dOut: Tensor, geo: ConvGeometry, outChannels o: Int, threads: Int) -> Tensor {
    let dW = Tensor(uninitialized: [o, geo.c, 3, 3])
    winogradKernelGradient(WinogradF4.self, x: x.ptr, dOut: dOut.ptr, n: x.dim(0), c: geo.c, h: geo.h, w: geo.w, pad: geo.pad,
                           o: o, dW.ptr, threads: threads)
    return dW
}

/// A stride-1 3×3 convolution by Winograd: x (N, C, H, W), transformed kernels `u` [α²][O][C]
/// (`winogradKernels`), optional bias (O) and ReLU → out (N, O, OH, OW), OH = H + top + bottom − 2.
/// Blocks of tile rows are split over `threads` (`parallelChunks`, each chunk with its own
/// buffers); each block is transformed, multiplied by α² single-threaded GEMMs (O, C)·(C, T) and
/// inverse-transformed into its own output tiles.
func winogradConv<K: WinogradTransform>(_: K.Type, _ x: UnsafePointer<Float>, n: Int, c: Int, h: Int, w: Int, pad: Padding,
                                        kernels u: UnsafePointer<Float>, o: Int, bias: UnsafePointer<Float>?, relu: Bool,
                                        _ out: UnsafeMutablePointer<Float>, threads: Int) {
    let tiling = WinogradTiling(n: n, c: c, h: h, w: w, pad: pad, m: K.m)
    let a2 = K.alpha * K.alpha
    let rpb = tiling.rowsPerBlock(targetTiles: winogradBlockTiles, threads: threads)
    let blocks = (tiling.tileRows + rpb - 1) / rpb, maxT = rpb * tiling.tilesX
    let xP = SendPtr(UnsafeMutablePointer(mutating: x)), uP = SendPtr(UnsafeMutablePointer(mutating: u))
    let outP = SendPtr(out), biasP = bias.map { SendPtr(UnsafeMutablePointer(mutating: $0)) }
    let buffers = [a2 * c * maxT, a2 * o * maxT, tiling.scratchCount(rows: rpb)]  // V, M, transform scratch
    parallelChunks(blocks, threads: threads, scratch: buffers) { _, range, work in
        let v = work[0], products = work[1], scratch = work[2]
        for b in range {
            let rows = b * rpb..<Swift.min(tiling.tileRows, (b + 1) * rpb), t = rows.count * tiling.tilesX
            // V [α²][C][T] = Bᵀ d B of the block's T input tiles
            winogradInputTiles(K.self, xP.p, tiling, rows: rows, v, scratch: scratch)
            // M[ξ] (O, T) = U[ξ] (O, C) · V[ξ] (C, T), for each of the α² points ξ
            for xi in 0..<a2 {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(o), Int32(t), Int32(c), 1,
                            uP.p + xi * o * c, Int32(c), v + xi * c * t, Int32(t), 0, products + xi * o * t, Int32(t))
            }
            // out tiles (m×m) = Aᵀ M A, + bias, ReLU
            winogradOutputTiles(K.self, products, tiling, outChannels: o, rows: rows, bias: biasP?.p, relu: relu, outP.p,
                                scratch: scratch)
        }
    }
}

/// The kernel gradient of a stride-1 3×3 convolution by Winograd F(3×3, m×m): for every output tile,
/// the input tile Bᵀ d B and the dOut tile A y Aᵀ (zero past the output edge); their channel
/// products summed over all tiles by α² GEMMs M[ξ] (O, C) += Ŷ[ξ] (O, T) · V[ξ]ᵀ (T, C), then
/// dW = Gᵀ M G, written into dW (O, C, 3, 3). Per-chunk sums are added in chunk order
/// (`parallelChunks`).
func winogradKernelGradient<K: WinogradTransform>(_: K.Type, x: UnsafePointer<Float>, dOut: UnsafePointer<Float>, n: Int,
                                                  c: Int, h: Int, w: Int, pad: Padding, o: Int,
                                                  _ dW: UnsafeMutablePointer<Float>, threads: Int) {
    let tiling = WinogradTiling(n: n, c: c, h: h, w: w, pad: pad, m: K.m)
    let a = K.alpha, a2 = a * a, m = K.m, oc = o * c, tx = tiling.tilesX
    let rpb = tiling.rowsPerBlock(targetTiles: winogradGradientBlockTiles, threads: threads)
    let blocks = (tiling.tileRows + rpb - 1) / rpb, maxT = rpb * tx
    let xP = SendPtr(UnsafeMutablePointer(mutating: x)), dOutP = SendPtr(UnsafeMutablePointer(mutating: dOut))
    let total = Storage(zeros: a2 * oc)  // M [α²][O][C]
    // V, Ŷ, the input transforms' scratch, and the dOut tiles' gather and half-transformed copies
    let buffers = [a2 * c * maxT, a2 * o * maxT, tiling.scratchCount(rows: rpb), m * m * maxT, a * m * maxT]
    parallelChunks(blocks, threads: threads, scratch: buffers, sum: total.ptr, sumCount: a2 * oc) { _, range, work in
        let v = work[0], yHat = work[1], scratch = work[2], sum = work.sum!
        for b in range {
            let rows = b * rpb..<Swift.min(tiling.tileRows, (b + 1) * rpb), t = rows.count * tx
            // Ŷ [α²][O][T] = A y Aᵀ of the block's T dOut tiles
            winogradGradOutputTiles(K.self, dOutP.p, tiling, outChannels: o, rows: rows, yHat, gathered: work[3], half: work[4])
            // V [α²][C][T] = Bᵀ d B of the block's T input tiles
            winogradInputTiles(K.self, xP.p, tiling, rows: rows, v, scratch: scratch)
            // M[ξ] (O, C) += Ŷ[ξ] (O, T) · V[ξ]ᵀ (T, C), for each of the α² points ξ
            for xi in 0..<a2 {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(o), Int32(c), Int32(t), 1,
                            yHat + xi * o * t, Int32(t), v + xi * c * t, Int32(t), 1, sum + xi * oc, Int32(c))
            }
        }
    }
    // dW (O, C, 3, 3) = Gᵀ M G
    withExtendedLifetime(total) { winogradKernelAdjoint(K.self, total.ptr, o: o, c: c, dW) }
}

/// Writes the transformed dOut tiles of tile rows `rows` into yHat, laid out [α²][O][T] (T as in
/// `winogradInputTiles`): per output channel, the tiles' m×m dOut elements gathered element-major
/// (`gathered` [m²][T], zero past the output edge), then A down the columns into `half` [α·m][T]
/// and along the rows.
@inline(__always)
func winogradGradOutputTiles<K: WinogradTransform>(_: K.Type, _ dOut: UnsafePointer<Float>, _ tiling: WinogradTiling,
                                                   outChannels o: Int, rows: Range<Int>, _ yHat: UnsafeMutablePointer<Float>,
                                                   gathered gy: UnsafeMutablePointer<Float>, half: UnsafeMutablePointer<Float>) {
    let a = K.alpha, m = K.m, tx = tiling.tilesX, plane = tiling.oh * tiling.ow
    let t = rows.count * tx, ot = o * t, mtt = m * t
    for oi in 0..<o {
        // gy[i·m + j][t]: dOut element (i, j) of every tile in the block, zero past the edge.
        for r in rows {
            let (img, ty) = r.quotientAndRemainder(dividingBy: tiling.tilesY)
            let srcPlane = dOut + (img * o + oi) * plane + ty * m * tiling.ow
            let rowsValid = Swift.min(m, tiling.oh - ty * m), t0 = (r - rows.lowerBound) * tx
            for tc in 0..<tx {
                let colsValid = Swift.min(m, tiling.ow - tc * m), d = gy + t0 + tc, s = srcPlane + tc * m
                for i in 0..<m {
                    let di = d + i &* m &* t, si = s + i &* tiling.ow
                    for j in 0..<m { di[j &* t] = i < rowsValid && j < colsValid ? si[j] : 0 }
                }
            }
        }
        // A down the columns (half[ξ·m + j][t]), then along the rows into Ŷ[ξ·α + k][oi][t].
        for j in 0..<m {
            let s = gy + j * t, d = half + j * t
            K.columns(.gradOutput, t, s, mtt, d, mtt)
        }
        for i in 0..<a {
            let s = half + i * mtt, d = yHat + i * a * ot + oi * t
            K.columns(.gradOutput, t, s, t, d, ot)
        }
    }
}

/// dW (O, C, 3, 3) = Gᵀ M G of the summed products M [α²][O][C], output channels split over the
/// threads.
func winogradKernelAdjoint<K: WinogradTransform>(_: K.Type, _ total: UnsafePointer<Float>, o: Int, c: Int,
                                                 _ dW: UnsafeMutablePointer<Float>) {
    let a = K.alpha, a2 = a * a, oc = o * c
    let totalP = SendPtr(UnsafeMutablePointer(mutating: total)), dWP = SendPtr(dW)
    parallelFor(o, costPerItem: c * 8 * a2) { lo, hi in
        let half = UnsafeMutablePointer<Float>.allocate(capacity: (3 * a + 9) * c)
        defer { half.deallocate() }
        let taps = half + 3 * a * c
        for oi in lo..<hi {
            // Gᵀ along each row (half[i·3 + v][ci]), then down the columns (taps[u·3 + v][ci]).
            for i in 0..<a {
                let s = totalP.p + i * a * oc + oi * c, d = half + i * 3 * c
                K.columns(.kernelAdjoint, c, s, oc, d, c)
            }
            for v in 0..<3 {
                K.columns(.kernelAdjoint, c, half + v * c, 3 * c, taps + v * c, 3 * c)
            }
            let d = dWP.p + oi * c * 9
            for q in 0..<9 {
                let s = taps + q * c
                for ci in 0..<c { d[ci &* 9 &+ q] = s[ci] }
            }
        }
    }
}
