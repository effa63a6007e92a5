// ConvPlan: which algorithm (im2col + GEMM or Winograd) runs each of a convolution's three passes.

/// The algorithm of one pass (forward, backward-data or backward-weights) of a convolution.
enum ConvAlgorithm: Equatable, Sendable {
    /// im2col + GEMM: any geometry, the reference path.
    case im2col
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
    /// paths with one build); `auto` or unset keeps the automatic plan. Read once.
    static let winogradAllowed: Bool = Knobs.read("LOOM_CONV") { Knobs.choice($0, $1, ["auto", "im2col"]) } != "im2col"

    /// The plan `conv2d` uses for `batch` images: F(4×4, 3×3) where it applies, both maps have at
    /// least 16 channels and each thread gets enough tiles (the α² GEMMs have one column per tile;
    /// the kernel gradient's GEMMs sum over them), im2col otherwise.
    static func automatic(_ geo: ConvGeometry, outChannels o: Int, batch: Int) -> ConvPlan {
        guard winogradAllowed && winogradApplies(geo) && geo.c >= 16 && o >= 16 else { return ConvPlan(.im2col) }
        // Measured (2 threads, Zen3, `loom bench`): F(4,3) beats F(2,3) and im2col from 8×8 maps
        // up; at 4×4 with batch 32 (16 tiles per thread) im2col wins, at batch 128 F(4,3) does.
        // The kernel gradient needs more tiles: its GEMMs sum over them.
        let tilesPerThread = batch * ((geo.oh + 3) / 4) * ((geo.ow + 3) / 4) / Threads.count
        let data: ConvAlgorithm = tilesPerThread >= 32 ? .winograd4 : .im2col
        return ConvPlan(forward: data, backwardData: data, backwardWeights: tilesPerThread >= 128 ? .winograd4 : .im2col)
    }
}
