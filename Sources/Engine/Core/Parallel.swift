// Parallel: the one thread setting (LOOM_THREADS) for OpenBLAS and the engine's own loops.
import CBLAS
import Dispatch
import Foundation

/// Thread configuration shared by OpenBLAS and the engine's parallel loops.
///
/// `LOOM_THREADS` (default: all cores) is read once at first use; `Threads.set(_:)`
/// changes it for the process. Work is split into a fixed number of chunks that
/// depends only on the thread count, so results are deterministic for a given setting.
///
/// OpenBLAS itself always runs single-threaded: the engine splits large GEMMs over its own
/// threads (`parallelGemm`) and runs many small ones side by side, so OpenBLAS's worker
/// threads never spin (`sched_yield`) while the engine's loops need the cores.
public enum Threads {
    nonisolated(unsafe) private static var _count: Int = {
        let env = Knobs.read("LOOM_THREADS") { Knobs.wholeNumber($0, $1, minimum: 1) }
        let n = max(1, env ?? ProcessInfo.processInfo.activeProcessorCount)
        openblas_set_num_threads(1)
        return n
    }()

    /// A thread count for the current scope (`with(_:_:)`; 1 inside `parallelShards`).
    @TaskLocal static var scoped: Int? = nil
    @TaskLocal static var shard = false

    /// The number of threads the engine uses (its loops and its GEMM splits): the scope's
    /// (`with(_:_:)`), 1 inside a shard of `parallelShards`, else the process's setting.
    public static var count: Int { scoped ?? _count }

    /// Whether the caller is inside a shard of `parallelShards`.
    public static var inShard: Bool { shard }

    /// Runs `body` with the engine using `n` threads, for the calling thread's scope only (the
    /// process's setting is untouched, so concurrent callers do not disturb each other).
    public static func with<T>(_ n: Int, _ body: () throws -> T) rethrows -> T {
        try $scoped.withValue(max(1, n)) { try body() }
    }

    /// Set the engine's thread count (process-wide).
    public static func set(_ n: Int) {
        _count = max(1, n)
        openblas_set_num_threads(1)
    }

    /// OpenBLAS's own description of its build (version, kernel, threading).
    public static var blasConfig: String {
        guard let c = openblas_get_config() else { return "OpenBLAS" }
        return String(cString: c)
    }
}

/// A pointer that may cross into concurrent closures; the caller guarantees disjoint writes.
public struct SendPtr<T>: @unchecked Sendable {
    public let p: UnsafeMutablePointer<T>
    public init(_ p: UnsafeMutablePointer<T>) { self.p = p }
    @inline(__always) public subscript(i: Int) -> T {
        get { p[i] }
        nonmutating set { p[i] = newValue }
    }
}

/// Runs `body(start, end)` over `0..<n` split into contiguous chunks, in parallel when the
/// work is large enough (`n * costPerItem` above ~64K operations) and threads > 1.
@inline(__always)
public func parallelFor(_ n: Int, costPerItem: Int = 1, _ body: (Int, Int) -> Void) {
    let threads = Threads.count
    if threads <= 1 || n < 2 || n &* costPerItem < 65_536 {
        body(0, n)
        return
    }
    let chunks = min(threads, n)
    withoutActuallyEscaping(body) { b in
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            let s = n * c / chunks, e = n * (c + 1) / chunks
            if s < e { b(s, e) }
        }
    }
}

/// Runs `body(chunk, range)` over `0..<n` split into min(`threads`, n) contiguous chunks, side by
/// side (one chunk: on the calling thread). Chunk bounds depend only on `n` and `threads`, so
/// results are deterministic for a given setting. Returns the number of chunks.
@discardableResult
public func parallelChunks(_ n: Int, threads: Int, _ body: (Int, Range<Int>) -> Void) -> Int {
    let chunks = min(threads, n)
    if chunks <= 1 {
        body(0, 0..<n)
        return 1
    }
    withoutActuallyEscaping(body) { b in
        DispatchQueue.concurrentPerform(iterations: chunks) { c in b(c, n * c / chunks..<n * (c + 1) / chunks) }
    }
    return chunks
}

/// `parallelChunks` over the engine's threads, each chunk calling (single-threaded) `gemm`:
/// many small GEMMs (one per attention head, per image) without a thread hand-off inside each.
/// With little work (`n * costPerItem` below ~64K operations) the body runs once on the calling thread.
public func parallelChunksSerialBLAS(_ n: Int, costPerItem: Int = 1 << 16, _ body: (Int, Range<Int>) -> Void) {
    parallelChunks(n, threads: n &* costPerItem < 65_536 ? 1 : Threads.count, body)
}

/// Runs `body(shard)` for each of `n` shards at once, one per thread, with the engine single-
/// threaded inside each (its ops run serially on the shard's thread: no hand-offs, no idle
/// waits at each op's end). The caller's gradient recording, FLOP counter, gradient sink and
/// kernel path (`KernelISA.with`) carry into every shard. Use it for work whose pieces are independent, such as the images
/// of an inference batch; returns when every shard is done. A single shard runs on the calling
/// thread with the engine's threads as they are.
public func parallelShards(_ n: Int, _ body: (Int) -> Void) {
    if n == 1 { return body(0) }
    let recording = Autograd.recording, counter = FLOPCounter.current, isa = KernelISA.scoped
    withoutActuallyEscaping(body) { b in
        DispatchQueue.concurrentPerform(iterations: n) { i in
            Threads.$scoped.withValue(1) {
                Threads.$shard.withValue(true) {
                    Autograd.$recording.withValue(recording) {
                        FLOPCounter.$current.withValue(counter) { KernelISA.$scoped.withValue(isa) { b(i) } }
                    }
                }
            }
        }
    }
}

/// The engine's numerics version: part of every cached result's key. Bump it whenever a
/// change alters computed values (an op's arithmetic, an initialiser, a default). With
/// `LOOM_CONV=im2col` (Winograd off) the convolutions round differently, and the version says so;
/// likewise the AVX-512 kernels (`KernelISA`), whose sums run in sixteen lanes instead of eight.
/// The AVX2 and portable paths compute the same values and share the plain version.
public let engineNumericsVersion = "loom-engine-5" + (ConvPlan.winogradAllowed ? "" : "-im2col")
    + (KernelISA.active == .avx512 ? "-avx512" : "")
