// Storage: reference-counted Float buffers recycled through a size-keyed pool.
import Foundation

/// A pool of freed buffers keyed by element count, so a training step that repeats the
/// same shapes allocates nothing in steady state. Bounded by `capacityBytes`.
final class BufferPool: @unchecked Sendable {
    static let shared = BufferPool()
    private var free: [Int: [UnsafeMutablePointer<Float>]] = [:]
    private var cachedBytes = 0
    private let lock = NSLock()
    /// Upper bound on bytes held while unused (default 1 GiB; `LOOM_POOL_MB` overrides).
    let capacityBytes: Int = {
        let mb = Knobs.read("LOOM_POOL_MB") { Knobs.wholeNumber($0, $1, minimum: 0) } ?? 1024
        return mb << 20
    }()

    func take(_ count: Int) -> UnsafeMutablePointer<Float> {
        lock.lock()
        if var list = free[count], let p = list.popLast() {
            free[count] = list
            cachedBytes -= count * 4
            lock.unlock()
            return p
        }
        lock.unlock()
        return UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
    }

    func give(_ p: UnsafeMutablePointer<Float>, _ count: Int) {
        lock.lock()
        if cachedBytes + count * 4 <= capacityBytes {
            free[count, default: []].append(p)
            cachedBytes += count * 4
            lock.unlock()
        } else {
            lock.unlock()
            p.deallocate()
        }
    }

    /// Releases every cached buffer.
    func drain() {
        lock.lock()
        for (_, list) in free { for p in list { p.deallocate() } }
        free = [:]
        cachedBytes = 0
        lock.unlock()
    }
}

/// Contiguous Float32 memory shared by a tensor and its reshaped views.
public final class Storage: @unchecked Sendable {
    public let ptr: UnsafeMutablePointer<Float>
    public let count: Int

    /// Uninitialised storage of `count` floats (from the pool).
    public init(uninitialized count: Int) {
        self.count = count
        self.ptr = BufferPool.shared.take(count)
    }

    /// Zero-filled storage.
    public convenience init(zeros count: Int) {
        self.init(uninitialized: count)
        ptr.initialize(repeating: 0, count: count)
    }

    deinit { BufferPool.shared.give(ptr, count) }

    public var buffer: UnsafeMutableBufferPointer<Float> { .init(start: ptr, count: count) }
}
