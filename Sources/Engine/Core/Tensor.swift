// Tensor: a Float32 N-dimensional array over contiguous storage, with autodiff hooks.
import Foundation

/// A contiguous, row-major Float32 tensor (NCHW for images).
///
/// Tensors are values in the graph sense: ops never mutate their inputs. Only optimizers
/// and explicit `*InPlace` helpers write into a tensor's storage (parameters, buffers).
public final class Tensor: CustomStringConvertible {
    /// Dimensions, outermost first.
    public let shape: [Int]
    /// The memory; shared by reshaped views of the same tensor.
    public let storage: Storage
    /// Whether gradients flow to this tensor (parameters, and results of ops on them).
    public var requiresGrad: Bool
    /// Accumulated gradient (leaf tensors keep it after `backward()`).
    public var grad: Tensor?
    /// True once `grad` is a buffer this tensor owns and may add into in place.
    var gradOwned = false
    /// How this tensor was computed, when recorded for autodiff.
    var node: GradNode?

    public init(shape: [Int], storage: Storage, requiresGrad: Bool = false) {
        precondition(shape.reduce(1, *) == storage.count,
                     "shape \(shape) needs \(shape.reduce(1, *)) elements, storage has \(storage.count)")
        self.shape = shape
        self.storage = storage
        self.requiresGrad = requiresGrad
    }

    /// Uninitialised tensor (contents undefined until written).
    public convenience init(uninitialized shape: [Int]) {
        self.init(shape: shape, storage: Storage(uninitialized: shape.reduce(1, *)))
    }

    /// A tensor holding `data` (row-major) with `shape`.
    public convenience init(shape: [Int], data: [Float], requiresGrad: Bool = false) {
        precondition(data.count == shape.reduce(1, *), "data has \(data.count) elements, shape \(shape) needs \(shape.reduce(1, *))")
        let s = Storage(uninitialized: data.count)
        data.withUnsafeBufferPointer { s.ptr.update(from: $0.baseAddress!, count: data.count) }
        self.init(shape: shape, storage: s, requiresGrad: requiresGrad)
    }

    /// A scalar (shape `[]`).
    public convenience init(scalar: Float) { self.init(shape: [], data: [scalar]) }

    public static func zeros(_ shape: [Int], requiresGrad: Bool = false) -> Tensor {
        Tensor(shape: shape, storage: Storage(zeros: shape.reduce(1, *)), requiresGrad: requiresGrad)
    }

    public static func full(_ shape: [Int], _ value: Float, requiresGrad: Bool = false) -> Tensor {
        let t = Tensor(uninitialized: shape)
        t.ptr.initialize(repeating: value, count: t.count)
        t.requiresGrad = requiresGrad
        return t
    }

    public static func ones(_ shape: [Int], requiresGrad: Bool = false) -> Tensor {
        full(shape, 1, requiresGrad: requiresGrad)
    }

    /// `[start, start+step, ...)` below `end`.
    public static func arange(_ start: Float, _ end: Float, step: Float = 1) -> Tensor {
        let n = Swift.max(0, Int(((end - start) / step).rounded(.up)))
        return Tensor(shape: [n], data: (0..<n).map { start + Float($0) * step })
    }

    /// Normal(mean, std) samples from a seeded generator.
    public static func randn(_ shape: [Int], mean: Float = 0, std: Float = 1, rng: inout RandomGenerator) -> Tensor {
        let t = Tensor(uninitialized: shape)
        for i in 0..<t.count { t.ptr[i] = mean + std * rng.normal() }
        return t
    }

    /// Uniform[low, high) samples from a seeded generator.
    public static func uniform(_ shape: [Int], low: Float = 0, high: Float = 1, rng: inout RandomGenerator) -> Tensor {
        let t = Tensor(uninitialized: shape)
        for i in 0..<t.count { t.ptr[i] = low + (high - low) * rng.uniform() }
        return t
    }

    // MARK: - Shape facts

    public var count: Int { storage.count }
    public var rank: Int { shape.count }
    @inline(__always) public var ptr: UnsafeMutablePointer<Float> { storage.ptr }
    public var buffer: UnsafeMutableBufferPointer<Float> { storage.buffer }

    /// The size of dimension `i` (negative counts from the end).
    public func dim(_ i: Int) -> Int { shape[i < 0 ? rank + i : i] }

    /// A copy of the elements, row-major.
    public var scalars: [Float] { Array(buffer) }

    /// The single element of a one-element tensor.
    public var item: Float {
        precondition(count == 1, "item needs one element, shape is \(shape)")
        return ptr[0]
    }

    /// A tensor sharing this one's storage but cut off from the graph.
    public func detached() -> Tensor { Tensor(shape: shape, storage: storage) }

    /// A deep copy (new storage), cut off from the graph.
    public func copy() -> Tensor {
        let t = Tensor(uninitialized: shape)
        t.ptr.update(from: ptr, count: count)
        return t
    }

    /// Overwrites this tensor's elements with `other`'s (same element count).
    public func assign(_ other: Tensor) {
        precondition(other.count == count, "assign: \(other.shape) into \(shape)")
        ptr.update(from: other.ptr, count: count)
    }

    /// Sets every element to `value`.
    public func fill(_ value: Float) { ptr.update(repeating: value, count: count) }

    public var description: String {
        let head = scalars.prefix(8).map { String(format: "%.4g", $0) }.joined(separator: ", ")
        return "Tensor(\(shape), [\(head)\(count > 8 ? ", …" : "")])"
    }
}

/// Row-major strides for a shape.
@inline(__always) func contiguousStrides(_ shape: [Int]) -> [Int] {
    var s = [Int](repeating: 1, count: shape.count)
    var acc = 1
    for i in stride(from: shape.count - 1, through: 0, by: -1) { s[i] = acc; acc *= shape[i] }
    return s
}
