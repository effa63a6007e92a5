// Module: the base of every layer — named parameters and buffers, train/eval, state dicts.
import Foundation

/// A layer or model: owns parameters (trainable tensors), buffers (running statistics) and
/// child modules, each under a name; full names join with dots as in PyTorch/timm
/// (`layer1.0.bn1.running_mean`).
open class Module {
    public private(set) var parameterSlots: [(String, Tensor)] = []
    public private(set) var bufferSlots: [(String, Tensor)] = []
    public private(set) var childSlots: [(String, Module)] = []
    /// Training mode (batch statistics, dropout) vs evaluation mode.
    public private(set) var training = true

    public init() {}

    /// Registers a trainable tensor under `name` and returns it.
    @discardableResult
    public func addParameter(_ name: String, _ t: Tensor) -> Tensor {
        t.requiresGrad = true
        parameterSlots.append((name, t))
        return t
    }

    /// Registers a non-trainable tensor saved in the state dict (e.g. running statistics).
    @discardableResult
    public func addBuffer(_ name: String, _ t: Tensor) -> Tensor {
        bufferSlots.append((name, t))
        return t
    }

    /// Registers a child module under `name` and returns it.
    @discardableResult
    public func addChild<M: Module>(_ name: String, _ m: M) -> M {
        childSlots.append((name, m))
        return m
    }

    /// All parameters with their full dotted names, in registration order.
    public func namedParameters(prefix: String = "") -> [(String, Tensor)] {
        var out = parameterSlots.map { (prefix + $0.0, $0.1) }
        for (n, c) in childSlots { out += c.namedParameters(prefix: prefix + n + ".") }
        return out
    }

    /// All buffers with their full dotted names.
    public func namedBuffers(prefix: String = "") -> [(String, Tensor)] {
        var out = bufferSlots.map { (prefix + $0.0, $0.1) }
        for (n, c) in childSlots { out += c.namedBuffers(prefix: prefix + n + ".") }
        return out
    }

    /// All descendant modules with their dotted names (self first, as "").
    public func namedModules(prefix: String = "") -> [(String, Module)] {
        var out: [(String, Module)] = [(prefix.isEmpty ? "" : String(prefix.dropLast()), self)]
        for (n, c) in childSlots { out += c.namedModules(prefix: prefix + n + ".") }
        return out
    }

    public var parameters: [Tensor] { namedParameters().map(\.1) }

    /// Number of trainable scalars.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }

    /// Switches this module and its children to training (`true`) or evaluation mode.
    public func train(_ on: Bool = true) {
        training = on
        for (_, c) in childSlots { c.train(on) }
    }

    /// Evaluation mode.
    public func eval() { train(false) }

    /// Clears all parameter gradients.
    public func zeroGrad() { for p in parameters { p.zeroGrad() } }

    /// Parameters and buffers by full name (shared storage, not copies).
    public func stateDict() -> [String: Tensor] {
        var d: [String: Tensor] = [:]
        for (n, t) in namedParameters() { d[n] = t }
        for (n, t) in namedBuffers() { d[n] = t }
        return d
    }

    /// Copies values from `state` into this module's parameters and buffers.
    /// With `strict`, every name must be present and no extra names allowed
    /// (buffers such as `num_batches_tracked` are ignored).
    public func load(stateDict state: [String: Tensor], strict: Bool = true) throws {
        let mine = stateDict()
        var missing: [String] = []
        for (name, t) in mine.sorted(by: { $0.key < $1.key }) {
            guard let src = state[name] else { missing.append(name); continue }
            guard src.shape == t.shape || (src.count == t.count && src.count == 1) else {
                throw StateDictError.shapeMismatch(name: name, expected: t.shape, found: src.shape)
            }
            t.assign(src)
        }
        if strict {
            let unexpected = state.keys.filter { mine[$0] == nil && !$0.hasSuffix("num_batches_tracked") }.sorted()
            if !missing.isEmpty || !unexpected.isEmpty {
                throw StateDictError.keys(missing: missing, unexpected: unexpected)
            }
        }
    }
}

/// A state dict that does not fit a model.
public enum StateDictError: Error, CustomStringConvertible, Equatable {
    case shapeMismatch(name: String, expected: [Int], found: [Int])
    case keys(missing: [String], unexpected: [String])
    /// A value that cannot be what the entry holds (e.g. a NaN or negative optimizer step count).
    case badValue(name: String, found: String, expected: String)

    public var description: String {
        switch self {
        case let .badValue(name, found, expected):
            return "state '\(name)' holds \(found), expected \(expected) (the file is corrupt or not written by Loom)"
        case let .shapeMismatch(name, expected, found):
            return "weight '\(name)' has shape \(found), the model expects \(expected)"
        case let .keys(missing, unexpected):
            var parts: [String] = []
            if !missing.isEmpty { parts.append("missing \(missing.count): \(missing.prefix(5).joined(separator: ", "))\(missing.count > 5 ? ", …" : "")") }
            if !unexpected.isEmpty { parts.append("unexpected \(unexpected.count): \(unexpected.prefix(5).joined(separator: ", "))\(unexpected.count > 5 ? ", …" : "")") }
            return "weights do not match the model (" + parts.joined(separator: "; ") + "); check the model expression (depth, width, classes) and that names have no prefix such as 'module.'"
        }
    }
}
