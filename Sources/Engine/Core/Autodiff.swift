// Autodiff: reverse-mode differentiation over the graph recorded by ops.
import Foundation

/// How a tensor was produced: its inputs and a function from the output's gradient to
/// the inputs' gradients (nil where an input needs none).
final class GradNode {
    let inputs: [Tensor]
    let backward: (Tensor) -> [Tensor?]
    init(_ inputs: [Tensor], _ backward: @escaping (Tensor) -> [Tensor?]) {
        self.inputs = inputs
        self.backward = backward
    }
}

/// Global switches for gradient recording.
public enum Autograd {
    @TaskLocal static var recording = true

    /// Whether ops currently record the graph.
    public static var isRecording: Bool { recording }

    /// Where leaf gradients go instead of the leaves' `grad` (see `GradientSink`).
    @TaskLocal static var sink: GradientSink? = nil

    /// Runs `body` with every leaf gradient its backward passes produce collected in `sink`
    /// rather than added to the leaves' `grad`: concurrent backward passes over shared
    /// parameters then never write the same tensor. `GradientSink.commit()` adds them in.
    public static func collectingGradients<T>(into sink: GradientSink, _ body: () throws -> T) rethrows -> T {
        try $sink.withValue(sink) { try body() }
    }

    /// Runs `body` without recording gradients (evaluation, optimizer updates).
    public static func noGrad<T>(_ body: () throws -> T) rethrows -> T {
        try $recording.withValue(false) { try body() }
    }
}

extension Tensor {
    /// Attaches a backward function to `self` (the output of an op on `inputs`) when any
    /// input requires a gradient and recording is on. Returns `self`.
    @discardableResult
    func recorded(_ inputs: [Tensor], _ backward: @escaping (Tensor) -> [Tensor?]) -> Tensor {
        guard Autograd.recording, inputs.contains(where: { $0.requiresGrad }) else { return self }
        requiresGrad = true
        node = GradNode(inputs, backward)
        return self
    }

    /// Whether this tensor is a leaf that collects gradients (a parameter or input).
    public var isLeaf: Bool { node == nil }

    /// Adds `g` into `grad`, taking ownership lazily so shared gradient tensors stay intact.
    func accumulateGrad(_ g: Tensor) {
        precondition(g.count == count, "gradient \(g.shape) for tensor \(shape)")
        (grad, gradOwned) = Tensor.accumulating(g, into: grad, owned: gradOwned, shape: shape)
    }

    /// A running gradient sum plus `g`: `g` itself (in `shape`, not owned) when there is no sum
    /// yet, the sum added to in place when its buffer is `owned`, else a new owned tensor.
    static func accumulating(_ g: Tensor, into sum: Tensor?, owned: Bool, shape: [Int]) -> (Tensor, Bool) {
        guard let sum else { return (g.shape == shape ? g : g.reshaped(shape), false) }
        let n = g.count
        if owned {
            let d = sum.ptr, s = g.ptr
            for i in 0..<n { d[i] += s[i] }
            return (sum, true)
        }
        let out = Tensor(uninitialized: shape)
        let d = out.ptr, a = sum.ptr, b = g.ptr
        for i in 0..<n { d[i] = a[i] + b[i] }
        return (out, true)
    }

    /// Clears the gradient.
    public func zeroGrad() {
        grad = nil
        gradOwned = false
    }

    /// Back-propagates from this tensor. A scalar starts from 1; otherwise pass `gradient`
    /// of the same shape. Leaf tensors with `requiresGrad` accumulate into `grad`; the
    /// graph is released afterwards.
    public func backward(_ gradient: Tensor? = nil) {
        precondition(gradient != nil || count == 1, "backward() without a gradient needs a scalar, shape is \(shape)")
        guard requiresGrad else { return }
        // Topological order by iterative depth-first search.
        var order: [Tensor] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(Tensor, Bool)] = [(self, false)]
        while let (t, expanded) = stack.popLast() {
            if expanded { order.append(t); continue }
            let id = ObjectIdentifier(t)
            if visited.contains(id) { continue }
            visited.insert(id)
            stack.append((t, true))
            if let n = t.node {
                for input in n.inputs where input.requiresGrad && !visited.contains(ObjectIdentifier(input)) {
                    stack.append((input, false))
                }
            }
        }
        let sink = Autograd.sink
        accumulateGrad(gradient ?? Tensor.full(shape, 1))
        // Pop from the end so each intermediate tensor (and the activations its node captured)
        // is released as soon as its gradient has been passed on, not when the pass ends.
        while let t = order.popLast() {
            guard let n = t.node else { continue }
            guard let g = t.grad else { continue }
            let grads = n.backward(g)
            for (input, gi) in zip(n.inputs, grads) {
                guard let gi, input.requiresGrad else { continue }
                if input.node == nil, let sink { sink.add(gi, for: input) } else { input.accumulateGrad(gi) }
            }
            // Release intermediate state: non-leaf gradients and the graph.
            t.grad = nil
            t.node = nil
        }
    }
}

/// Leaf gradients held aside during a backward pass (`Autograd.collectingGradients`), summed
/// per leaf in the order they arrive, for adding into the leaves' `grad` later, on one thread.
public final class GradientSink: @unchecked Sendable {
    private var index: [ObjectIdentifier: Int] = [:]
    private var entries: [(leaf: Tensor, sum: Tensor, owned: Bool)] = []

    public init() {}

    func add(_ g: Tensor, for leaf: Tensor) {
        precondition(g.count == leaf.count, "gradient \(g.shape) for tensor \(leaf.shape)")
        let id = ObjectIdentifier(leaf)
        guard let i = index[id] else {
            index[id] = entries.count
            let (sum, owned) = Tensor.accumulating(g, into: nil, owned: false, shape: leaf.shape)
            entries.append((leaf, sum, owned))
            return
        }
        (entries[i].sum, entries[i].owned) = Tensor.accumulating(g, into: entries[i].sum, owned: entries[i].owned, shape: leaf.shape)
    }

    /// Adds every collected gradient into its leaf's `grad`, in arrival order, and empties the sink.
    public func commit() {
        for e in entries { e.leaf.accumulateGrad(e.sum) }
        entries = []
        index = [:]
    }
}
