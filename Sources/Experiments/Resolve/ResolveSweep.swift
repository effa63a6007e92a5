// Sweeps and output runs: expanding `Sweep(base, lr: [...], ...)` into experiments, and listing an output's runs.
import Notebook

/// One grid point of a `Sweep`.
public struct SweepPoint: Equatable, Sendable {
    /// The axis values, e.g. "lr 0.05, batch 64" or "ResNet-18 +SE, lr 0.1".
    public var label: String
    /// The point as an `Experiment` value: the same canonical value as writing `base.with(...)` by hand, so both
    /// share a cache key.
    public var value: ResolvedValue
    public var spec: ExperimentSpec
}

/// One run an output shows: an experiment binding, a sweep point, or an inline experiment.
public struct RunReference: Equatable, Sendable {
    /// The binding name; `sweep[lr 0.05]` for a sweep point; `run k` for an inline `Experiment(...)`.
    public var name: String
    /// The `Experiment` value.
    public var value: ResolvedValue
}

extension Resolver {
    /// The axes of `Sweep` in grid order: the first axis is outermost, the last varies fastest.
    static let sweepAxes = ["model", "augment", "mix", "normalize", "optimizer", "lr", "weightDecay", "schedule", "epochs", "batchSize",
                            "labelSmoothing", "seed"]

    /// Every point of a `Sweep` value (or a reference to one): the grid of `base.with(...)` variants.
    /// `lr:` and `weightDecay:` replace those arguments of the point's optimiser (after any `optimizer:` axis).
    public func sweep(_ value: ResolvedValue) throws -> [SweepPoint] {
        let call = try dereference(value)
        guard case .call("Sweep", _) = call else { preconditionFailure("not a Sweep value: \(call)") }
        let a = Arguments(call, owner: "Sweep")
        let base = try dereference(a.value("base"))
        let axes = Self.sweepAxes.compactMap { label in a.optional(label).map { (label, Arguments($0, owner: label).items) } }
        guard !axes.isEmpty else {
            throw ResolveError("`Sweep` needs at least one axis, e.g. `lr: [0.05, 0.1, 0.2]`")
        }
        var grid: [[(String, ResolvedValue)]] = [[]]
        for (label, items) in axes {
            grid = grid.flatMap { prefix in items.map { prefix + [(label, $0)] } }
        }
        var points: [SweepPoint] = []
        for assignment in grid {
            var value = base
            for (label, item) in assignment { value = Self.assign(label, item, in: value) }
            // Enum cases show by name only: the full value would spell out every default.
            let point = assignment.map { "\($0.0) " + ($0.1.name.map { ".\($0)" } ?? "\($0.1)") }.joined(separator: ", ")
            let spec: ExperimentSpec
            do { spec = try experiment(value) } catch let error as ResolveError {
                throw ResolveError("`Sweep` point \(points.count + 1) (\(point)): \(error.message)")
            }
            if points.contains(where: { $0.value == value }) {
                throw ResolveError("`Sweep` repeats the point \(point)")
            }
            let label = assignment.map { Self.pointLabel($0.0, $0.1, spec: spec) }.joined(separator: ", ")
            points.append(SweepPoint(label: label, value: value, spec: spec))
        }
        return points
    }

    /// The runs an output call (`Table`, `Curves`, `Bars`: `runs`; `Samples`, `Confusion`: `run`) shows, sweeps expanded.
    public func runs(of output: ResolvedValue) throws -> [RunReference] {
        let a = Arguments(output, owner: output.name ?? "output")
        let items = a.optional("runs").map { Arguments($0, owner: "runs").items } ?? [a.value("run")]
        var runs: [RunReference] = []
        for (i, item) in items.enumerated() {
            var name = "run \(i + 1)"
            if case .reference(let binding, _) = item { name = binding }
            let value = try dereference(item)
            if case .call("Sweep", _) = value {
                runs += try sweep(value).map { RunReference(name: "\(name)[\($0.label)]", value: $0.value) }
            } else {
                runs.append(RunReference(name: name, value: value))
            }
        }
        return runs
    }

    /// `experiment` with the sweep axis `label` set to `item`.
    static func assign(_ label: String, _ item: ResolvedValue, in experiment: ResolvedValue) -> ResolvedValue {
        switch label {
        case "lr", "weightDecay": return experiment.replacing("optimizer", with: experiment["optimizer"]!.replacing(label, with: item))
        default: return experiment.replacing(label, with: item)
        }
    }

    static func pointLabel(_ label: String, _ item: ResolvedValue, spec: ExperimentSpec) -> String {
        switch label {
        case "model": return spec.modelLabel
        case "augment": return spec.augmentLabel
        case "mix": return spec.mixLabel
        case "normalize": return "normalize \(spec.normalizationLabel)"
        case "optimizer": return spec.optimizerLabel
        case "schedule": return spec.scheduleLabel
        case "weightDecay": return "wd \(item)"
        case "batchSize": return "batch \(item)"
        case "labelSmoothing": return "smoothing \(item)"
        default: return "\(label) \(item)"
        }
    }
}

extension Arguments {
    /// The elements of an array value.
    var items: [ResolvedValue] {
        guard case .array(let items) = value else { preconditionFailure("\(owner) is not an array: \(value)") }
        return items
    }
}

extension ResolvedValue {
    /// This call or case with argument `label` replaced by `value` (the argument must exist).
    func replacing(_ label: String, with value: ResolvedValue) -> ResolvedValue {
        func swap(_ args: [ResolvedArgument]) -> [ResolvedArgument] {
            precondition(args.contains { $0.label == label }, "no argument `\(label)` in \(self)")
            return args.map { $0.label == label ? ResolvedArgument(label, value) : $0 }
        }
        switch self {
        case .call(let name, let args): return .call(name, swap(args))
        case .enumCase(let name, let args): return .enumCase(name, swap(args))
        default: preconditionFailure("cannot replace `\(label)` in \(self)")
        }
    }
}
