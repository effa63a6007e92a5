// Run keys: the hash of everything that determines a result (docs/design.md §4).
import Engine
import Foundation
import Notebook

/// Computes result keys: the canonical resolved value (defaults filled, formatting ignored)
/// with references replaced by the referenced results' keys, the engine's numerics version,
/// and the dataset manifest.
public struct RunKeys {
    /// Keys of already-keyed bindings (experiments), by binding name.
    public private(set) var experimentKeys: [String: String] = [:]
    let manifest: (ExperimentSpec) -> String

    public init(manifest: @escaping (ExperimentSpec) -> String) { self.manifest = manifest }

    /// The value with every reference replaced by the referenced binding's key.
    func substituted(_ v: ResolvedValue) -> ResolvedValue {
        switch v {
        case let .reference(name, path):
            return .string("result:" + (experimentKeys[name] ?? "unresolved:\(name)") + (path.isEmpty ? "" : "." + path.joined(separator: ".")))
        case let .array(items): return .array(items.map(substituted))
        case let .call(n, args): return .call(n, args.map { ResolvedArgument($0.label, substituted($0.value)) })
        case let .enumCase(n, args): return .enumCase(n, args.map { ResolvedArgument($0.label, substituted($0.value)) })
        default: return v
        }
    }

    /// The experiment's key (all seeds), recorded for later references.
    public mutating func experimentKey(binding: String, value: ResolvedValue, spec: ExperimentSpec) -> String {
        let k = hash(substituted(value).canonicalJSON, spec)
        experimentKeys[binding] = k
        return k
    }

    /// The key of one seed's run: the experiment with `seed` set and `seeds` removed, so adding
    /// seeds keeps the runs already done.
    public func runKey(value: ResolvedValue, spec: ExperimentSpec, seed: Int) -> String {
        var v = substituted(value)
        if case let .call(n, args) = v {
            v = .call(n, args.filter { $0.label != "seeds" }.map { $0.label == "seed" ? ResolvedArgument("seed", .int(seed)) : $0 })
        }
        return hash(v.canonicalJSON, spec)
    }

    /// Key of any other result (an output that computes something, e.g. a confusion matrix).
    public func resultKey(value: ResolvedValue) -> String {
        ContentHash.sha256Hex(Data((substituted(value).canonicalJSON + "|" + engineNumericsVersion).utf8))
    }

    private func hash(_ canonical: String, _ spec: ExperimentSpec) -> String {
        ContentHash.sha256Hex(Data((canonical + "|" + engineNumericsVersion + "|" + manifest(spec)).utf8))
    }
}

/// The experiment value as the run key sees its normalisation (docs/design.md §4). `normalize:` is left out when the
/// inputs keep the dataset's own statistics (``ExperimentSpec/keyedNormalization`` is nil: omitted, `.dataset`, or equal
/// to the dataset's fixed statistics), so experiments that do not write it keep the keys they had before it existed;
/// any other choice enters as `.custom(mean:, std:)` with its values, so `.half` and
/// `.custom(mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5])` compute, and share, one result.
public func normalizationKeyValue(_ value: ResolvedValue, spec: ExperimentSpec) -> ResolvedValue {
    guard case let .call(name, args) = value else { return value }
    var kept = args.filter { $0.label != "normalize" }
    if let n = spec.keyedNormalization?.statistics {
        func numbers(_ xs: [Double]) -> ResolvedValue { .array(xs.map(ResolvedValue.number)) }
        kept.append(ResolvedArgument("normalize", .enumCase("custom", [ResolvedArgument("mean", numbers(n.mean)),
                                                                       ResolvedArgument("std", numbers(n.std))])))
    }
    return .call(name, kept)
}

/// A description of a dataset's files that changes when their contents do: each file's path within the dataset
/// folder and the SHA-256 of its bytes (sizes and times are not enough: a file rewritten within the same second with
/// the same size kept its old results). `.shapes` is generated, keyed by its generator's version.
public func dataManifest(_ spec: DataSpec, root: String) -> String {
    switch spec {
    case .shapes: return "shapes-generator-1"
    default:
        guard let dir = dataDirectory(spec, root: root) else { return "none" }
        var manifest = "content:" + folderManifest(dir)
        // A separate test folder (`.imageFolder(path:, test:)`) is read too.
        if case let .imageFolder(_, test?) = spec { manifest += "|test:" + folderManifest(DataSpec.path(test, root: root)) }
        return manifest
    }
}

/// "relative/path:sha256;…" for every file under `dir`, sorted by path.
func folderManifest(_ dir: String) -> String {
    let fm = FileManager.default
    let files = ((try? fm.subpathsOfDirectory(atPath: dir)) ?? []).sorted()
    return files.compactMap { f -> String? in
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: dir + "/" + f, isDirectory: &isDirectory), !isDirectory.boolValue else { return nil }
        let hash = (try? ContentHash.sha256Hex(fileAt: dir + "/" + f)) ?? "unreadable"
        return "\(f):\(hash)"
    }.joined(separator: ";")
}

/// Everything else a run reads from files, by content: the `weights:` file it starts from, or the local checkpoint of
/// `weights: .timm(name, file:)` (the name is in the cell's value; with the file's sha256 the two fix the weights and so
/// their `pretrained_cfg`, whose mean/std the run normalises with). (A teacher enters through its own key, which holds
/// its weights' and data's contents; the torch trainer script through ``Backend/keyValue(_:trainer:)``.) Empty when the
/// run reads nothing else, so such keys are unchanged.
public func inputsManifest(_ spec: ExperimentSpec, root: String) -> String {
    if let p = spec.pretrained {
        // `normalize: .dataset` with pretrained weights computes something else than the omitted (pretrained_cfg) default.
        var statistics = spec.normalize == nil && !spec.normalizeFromPretrained ? "|dataset-statistics" : ""
        // Evaluated with the pretrained_cfg's resize, crop and interpolation (fixed by the name, as its mean/std are)
        // instead of the resize `augment:` implies: other numbers than such runs computed before.
        if spec.evaluatesWithPretrainedCfg { statistics += "|eval:pretrained_cfg" }
        guard let file = p.file else { return statistics }
        return statistics + "|timm-file:" + ((try? ContentHash.sha256Hex(fileAt: DataSpec.path(file, root: root))) ?? "missing")
    }
    guard let w = spec.weights else { return "" }
    let path = DataSpec.path(w, root: root)
    return "|weights:" + ((try? ContentHash.sha256Hex(fileAt: path)) ?? "missing")
}

/// The folder a file-backed dataset reads, resolved against the data root.
func dataDirectory(_ spec: DataSpec, root: String) -> String? {
    let path: String
    switch spec {
    case .shapes: return nil
    case let .cifar10(p), let .cifar100(p): path = p
    case let .imageFolder(p, _): path = p
    }
    return path.hasPrefix("/") ? path : (root as NSString).appendingPathComponent(path)
}
