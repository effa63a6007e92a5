// FLOP counting: conv and matmul report 2·MACs to the counter active in the current task.
import Foundation

/// Counts floating-point operations (2 per multiply-accumulate) of conv2d and matmul calls
/// made inside `measure`, as PyTorch's flop counter does (elementwise work not counted).
public final class FLOPCounter: @unchecked Sendable {
    @TaskLocal static var current: FLOPCounter?
    private let lock = NSLock()
    private var total = 0

    /// Runs `body` and returns its result with the FLOPs it performed.
    public static func measure<T>(_ body: () throws -> T) rethrows -> (T, Int) {
        let c = FLOPCounter()
        let r = try $current.withValue(c) { try body() }
        return (r, c.total)
    }

    @inline(__always) static func add(_ flops: Int) {
        guard let c = current else { return }
        c.lock.lock(); c.total += flops; c.lock.unlock()
    }
}
