// ConvSchedule: the one chunk scheduler of the conv passes — work split over threads, each chunk
// with its own scratch buffers and its own partial sum, the sums added in chunk order.
import Foundation

/// One chunk of a split pass: the scratch buffers the pass asked for (uninitialised, alive until
/// the chunk's body returns), the accumulator its sums go to, and how its own work may run.
struct Chunk {
    private let buffers: [Storage]
    /// Where the chunk's sums go: the caller's accumulator for chunk 0, a zeroed partial of its
    /// own for every other chunk; nil when the pass sums nothing.
    let sum: UnsafeMutablePointer<Float>?
    /// Whether the chunk runs alone on the calling thread, so its GEMMs and loops may use the
    /// engine's threads; chunks that run side by side keep to their own thread.
    let parallel: Bool

    init(scratch sizes: [Int], sum: UnsafeMutablePointer<Float>?, parallel: Bool) {
        buffers = sizes.map { Storage(uninitialized: $0) }
        self.sum = sum
        self.parallel = parallel
    }

    /// Scratch buffer `i`: the i-th size the pass asked for.
    subscript(i: Int) -> UnsafeMutablePointer<Float> { buffers[i].ptr }

    /// The thread count of the chunk's GEMMs.
    var blasThreads: Int { parallel ? Threads.count : 1 }

    /// `parallelFor` when the chunk runs alone, else the body once on the calling thread.
    @inline(__always) func loop(_ n: Int, costPerItem: Int, _ body: (Int, Int) -> Void) {
        if parallel { parallelFor(n, costPerItem: costPerItem, body) } else { body(0, n) }
    }
}

/// Runs `body(chunk, range, work)` over `0..<n` split into min(`threads`, n) contiguous chunks side
/// by side (`parallelChunks`), each with fresh scratch buffers of `sizes` floats. With a `sum` of
/// `sumCount` floats (zeroed by the caller), chunk 0 accumulates into it and every other chunk into
/// a zeroed partial of its own; the partials are then added to `sum` in chunk order, so the result
/// depends only on `n` and `threads`.
func parallelChunks(_ n: Int, threads: Int, scratch sizes: [Int], sum: UnsafeMutablePointer<Float>? = nil,
                    sumCount: Int = 0, _ body: (Int, Range<Int>, Chunk) -> Void) {
    let chunks = Swift.min(threads, n)
    let partials = sum == nil ? [] : (0..<Swift.max(0, chunks - 1)).map { _ in Storage(zeros: sumCount) }
    parallelChunks(n, threads: threads) { c, range in
        let work = Chunk(scratch: sizes, sum: c == 0 || sum == nil ? sum : partials[c - 1].ptr, parallel: false)
        withExtendedLifetime(work) { body(c, range, work) }  // the buffers outlive their raw pointers' last use
    }
    guard let sum else { return }
    let total = SendPtr(sum)
    for part in partials {
        let pp = SendPtr(part.ptr)
        parallelFor(sumCount, costPerItem: 1) { lo, hi in for j in lo..<hi { total.p[j] += pp.p[j] } }
    }
}

/// Runs `body(start, count, work)` for each group of up to `groupSize` consecutive images of
/// `0..<n`, in order. With more than one thread and image, the images are split into one
/// contiguous chunk per engine thread (`parallelChunks` above: own scratch, own partial sum), each
/// with single-threaded GEMMs instead of one multi-threaded GEMM per image: no thread hand-off per
/// GEMM. Otherwise all groups run on the calling thread, their GEMMs and loops on the engine's
/// threads. Measured at 2 threads, 64@32 and 128@16: forward 76-108 -> 88-124 GFLOP/s, backward
/// 77-105 -> 88-124.
func forEachImageGroup(_ n: Int, groupSize: Int, scratch sizes: [Int], sum: UnsafeMutablePointer<Float>? = nil,
                       sumCount: Int = 0, _ body: (Int, Int, Chunk) -> Void) {
    func groups(_ images: Range<Int>, _ work: Chunk) {
        var start = images.lowerBound
        while start < images.upperBound {
            let count = Swift.min(groupSize, images.upperBound - start)
            body(start, count, work)
            start += count
        }
    }
    if Threads.count > 1 && n > 1 {
        parallelChunks(n, threads: Threads.count, scratch: sizes, sum: sum, sumCount: sumCount) { _, images, work in
            groups(images, work)
        }
    } else {
        let work = Chunk(scratch: sizes, sum: sum, parallel: true)
        withExtendedLifetime(work) { groups(0..<n, work) }
    }
}
