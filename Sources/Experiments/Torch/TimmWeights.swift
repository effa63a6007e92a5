// timm's pretrained weights for `weights: .timm(...)`: converted once by the torch backend's Python, cached under
// `output/weights/` with a sidecar (sha256, pretrained_cfg), checked against the experiment's model.
import Engine
import Foundation
import Notebook
import Vision

/// timm's `pretrained_cfg` for a set of weights: the evaluation settings they were trained for.
public struct PretrainedConfig: Codable, Equatable, Sendable {
    public var mean: [Double]
    public var std: [Double]
    /// (channels, height, width).
    public var inputSize: [Int]
    public var interpolation: String?
    public var cropPct: Double?
    /// timm's `crop_mode` (`center`, `squash`, `border`); nil in sidecars written before it was recorded, and for timm's
    /// default, `center`.
    public var cropMode: String? = nil

    enum CodingKeys: String, CodingKey {
        case mean, std, inputSize = "input_size", interpolation, cropPct = "crop_pct", cropMode = "crop_mode"
    }

    /// The mean/std as the `normalize:` an experiment without one evaluates with.
    public var normalize: NormalizeSpec { .custom(mean: mean, std: std) }

    /// timm's evaluation transform for `spec` (`create_transform(**resolve_data_config(model=…))`): the crop fraction,
    /// crop mode and interpolation of this cfg, at the size of `spec`'s sized `.randomResizedCrop` (timm's `--img-size`)
    /// or else the cfg's square `input_size`.
    /// - Throws: ``ExecuteError`` naming the value Loom does not reproduce and the `augment:` that sidesteps it.
    func evalTransform(for spec: ExperimentSpec, weights: String) throws -> TimmEvalTransform {
        let side = spec.randomResizedCropSize ?? (inputSize.count == 3 && inputSize[1] == inputSize[2] ? inputSize[1] : nil)
        do {
            guard let side else { throw TimmEvalTransformError("input_size \(inputSize) is not square") }
            return try TimmEvalTransform(size: side, cropPct: cropPct, cropMode: cropMode, interpolation: interpolation)
        } catch let error as TimmEvalTransformError {
            throw ExecuteError("`weights: \(weights)`: the pretrained_cfg's evaluation transform: \(error); write "
                               + "`augment: [.resize(size: N)]` to evaluate with a plain square resize instead")
        }
    }
}

/// The sidecar JSON beside converted weights: where they came from, their bytes' hash and timm's settings for them.
public struct TimmWeightsRecord: Codable, Equatable, Sendable {
    /// timm's name with its tag.
    public var name: String
    /// The local checkpoint as written in `file:` and the SHA-256 of its bytes; nil when timm downloaded them.
    public var file: String?
    public var fileSHA256: String?
    /// The SHA-256 of the converted safetensors (a cache hit is only taken when the file still has it).
    public var sha256: String
    public var tensors: Int
    public var pretrainedCfg: PretrainedConfig

    /// Writes the record as sorted, indented JSON, atomically (the cache's sidecar and a run's `pretrained.json`).
    func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(self).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}

/// Converting and caching timm's pretrained weights (docs/methods.md §6.6).
enum TimmWeights {
    /// The converted file and its sidecar: `<output>/weights/<name>.safetensors`, with the checkpoint's hash prefix in
    /// the name when it came from `file:` (two local files for one name are two caches).
    static func paths(_ p: PretrainedWeights, fileHash: String?, workspace: Workspace) -> (weights: String, sidecar: String) {
        let safe = String(p.name.map { $0.isLetter || $0.isNumber || "._-".contains($0) ? $0 : "_" })
        let base = (workspace.outputDirectory as NSString).appendingPathComponent("weights/" + safe)
            + (fileHash.map { "-file-" + $0.prefix(16) } ?? "")
        return (base + ".safetensors", base + ".json")
    }

    /// The converted weights for `model`: from the cache when its sidecar matches and the file still has its hash,
    /// else converted now by `python` (`python/loom_weights.py`'s timm mode).
    static func prepare(_ p: PretrainedWeights, model: ModelSpec, workspace: Workspace, python: String,
                        environment: [String: String]) throws -> (path: String, record: TimmWeightsRecord) {
        var fileHash: String?
        if let file = p.file {
            let path = DataSpec.path(file, root: workspace.dataRoot)
            guard FileManager.default.isReadableFile(atPath: path) else {
                throw DataMissing(message: "`weights: \(p.label)`: \(path) is no readable file (give a .pth, .pth.tar, .bin "
                                  + "or .safetensors checkpoint of `\(p.architecture)`). " + fetchHint(p))
            }
            fileHash = try ContentHash.sha256Hex(fileAt: path)
        }
        let (weights, sidecar) = paths(p, fileHash: fileHash, workspace: workspace)
        if let record = cached(p, fileHash: fileHash, weights: weights, sidecar: sidecar) {
            try checkFits(weights, p, model: model)
            return (weights, record)
        }
        let record = try convert(p, fileHash: fileHash, model: model, out: weights, root: workspace.dataRoot,
                                 python: python, environment: environment)
        try record.write(to: sidecar)
        return (weights, record)
    }

    /// The sidecar's record when it is for these weights and the converted file is intact.
    static func cached(_ p: PretrainedWeights, fileHash: String?, weights: String, sidecar: String) -> TimmWeightsRecord? {
        guard let data = FileManager.default.contents(atPath: sidecar),
              let record = try? JSONDecoder().decode(TimmWeightsRecord.self, from: data),
              record.name == p.name, record.fileSHA256 == fileHash,
              (try? ContentHash.sha256Hex(fileAt: weights)) == record.sha256 else { return nil }
        return record
    }

    /// A cached file (converted for some experiment) against this experiment's model: every name and shape, listed as
    /// the converter lists them.
    static func checkFits(_ weights: String, _ p: PretrainedWeights, model: ModelSpec) throws {
        let file = try SafeTensors.read(weights)
        let expected = model.build(seed: 0).stateDict().mapValues(\.shape)
        let given = file.entries.mapValues(\.shape)
        let wrong = given.keys.sorted().compactMap { name -> (String, [Int], [Int])? in
            guard let want = expected[name], let got = given[name], got != want else { return nil }
            return (name, got, want)
        }
        let mismatch = WeightsMismatch(missing: expected.keys.filter { given[$0] == nil }.sorted(),
                                       unexpected: given.keys.filter { expected[$0] == nil }.sorted(), wrong: wrong,
                                       headClasses: Predictor.headClasses(file), tensors: given.count)
        guard mismatch.missing.isEmpty, mismatch.unexpected.isEmpty, mismatch.wrong.isEmpty else {
            throw ExecuteError(mismatch.message(file: "timm's `\(p.name)` weights (\(weights))", model: model.expression,
                                                classesWritten: true))
        }
    }

    /// How to get weights that are not here, as commands to copy: `loom run` with a Python that has torch and timm
    /// fetches and converts them once; offline, save them with timm on a machine that has internet and give the file.
    static func fetchHint(_ p: PretrainedWeights) -> String {
        let file = p.file ?? (p.name + ".pth")
        return "To fetch them: `loom run` on this notebook with LOOM_TORCH_PYTHON set to a Python that has torch and timm "
            + "downloads timm's `\(p.name)` from the Hugging Face hub and converts it once (output/weights/); without internet, run "
            + "`python -c \"import timm, torch; torch.save(timm.create_model('\(p.name)', pretrained=True).state_dict(), "
            + "'\(file)')\"` where there is, copy \(file) under the data root and write "
            + "`weights: .timm(\"\(p.name)\", file: \"\(file)\")`."
    }

    /// Runs the converter: the job as JSON in a temporary folder, the Python as an argv array (no shell).
    static func convert(_ p: PretrainedWeights, fileHash: String?, model: ModelSpec, out: String, root: String,
                        python: String, environment: [String: String]) throws -> TimmWeightsRecord {
        let job: [String: Any] = ["mode": "timm", "name": p.name, "file": p.file.map { DataSpec.path($0, root: root) } ?? NSNull(),
                                  "out": out, "model": TorchConfig.model(model)]
        let (status, stdout, stderr) = try TorchLaunch.runWeightsConverter(job: job, python: python, environment: environment)
        if let line = stdout.split(separator: "\n").last,
           let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
           object["status"] as? String == "error", object["missing"] is String {
            throw DataMissing(message: "`weights: \(p.label)`: \(object["message"] as? String ?? "not available"). " + fetchHint(p))
        }
        do {
            if case .mismatch(let m) = try WeightsImport.decode(stdout: stdout, stderr: stderr, status: status, python: python) {
                throw ExecuteError(m.message(file: "timm's `\(p.name)` weights", model: model.expression, classesWritten: true))
            }
        } catch let error as ToolError {
            throw ExecuteError("`weights: \(p.label)`: \(error)")
        }
        struct Reply: Decodable { var sha256: String; var tensors: Int; var pretrained_cfg: PretrainedConfig }
        guard let line = stdout.split(separator: "\n").last,
              let reply = try? JSONDecoder().decode(Reply.self, from: Data(line.utf8)) else {
            throw ExecuteError("`weights: \(p.label)`: the converter reported success without the weights' sha256 and pretrained_cfg")
        }
        return TimmWeightsRecord(name: p.name, file: p.file, fileSHA256: fileHash, sha256: reply.sha256,
                                 tensors: reply.tensors, pretrainedCfg: reply.pretrained_cfg)
    }
}

extension RunJob {
    /// The job with `weights: .timm(...)` made concrete: the converted file as `weights`, when the experiment does
    /// not write `normalize:` the weights' `pretrained_cfg` mean/std as its normalisation, and when it does not resize
    /// its own way (``ExperimentSpec/evaluatesWithPretrainedCfg``) the cfg's evaluation transform. The sidecar is copied to
    /// `checkpoints/<key>/pretrained.json`, the run's record of what it started from. Other jobs come back unchanged.
    /// The converter's Python: the experiment's `.torch(python:)`, else `$LOOM_TORCH_PYTHON`, else `python3`.
    func preparingPretrained(in context: RunContext) throws -> RunJob {
        guard let p = spec.pretrained else { return self }
        let environment = context.torch.environment
        var python = TorchLaunch.defaultPython(environment: environment)
        if case .torch(let torch) = backend { python = torch.python }
        let ws = context.workspace
        try checkDataPresent(p, workspace: ws)
        let executable = try TorchLaunch.executable(python, environment: environment)
        let (path, record) = try TimmWeights.prepare(p, model: spec.model, workspace: ws, python: executable,
                                                     environment: environment)
        var spec = self.spec
        spec.weights = path
        if spec.normalizeFromPretrained { spec.normalize = record.pretrainedCfg.normalize }
        if spec.evaluatesWithPretrainedCfg { spec.pretrainedEval = try record.pretrainedCfg.evalTransform(for: spec, weights: p.label) }
        let folder = ws.checkpointDirectory(key)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try record.write(to: folder + "/pretrained.json")
        return RunJob(key: key, binding: binding, notebook: notebook, config: config, spec: spec, seed: seed,
                      teacherWeights: teacherWeights, backend: backend)
    }
}

extension RunJob {
    /// An image folder that is not there stops the run before any weights are fetched: one "missing" note that names
    /// the folder, what belongs in it and, when the weights are not converted yet either, how to fetch them.
    /// - Throws: ``DataMissing``.
    func checkDataPresent(_ p: PretrainedWeights, workspace ws: Workspace) throws {
        guard case let .imageFolder(path, test) = spec.data else { return }
        let (train, val) = DataSpec.folders(path: path, test: test, root: ws.dataRoot)
        let absent = [train, val].filter { dir in  // both are opened, also by an evaluation-only run
            var isDirectory: ObjCBool = false
            return !(FileManager.default.fileExists(atPath: dir, isDirectory: &isDirectory) && isDirectory.boolValue)
        }
        guard let dir = absent.first else { return }
        var message = "image folder \(dir) is missing: it holds one sub-folder of JPEG or PNG images per class"
        if spec.classes == 1_000 {
            message += "; for a 1,000-class ImageNet model, ImageNet's 1,000 synset folders (n01440764 … n15075141), whose "
                + "sorted order is the model's class order — e.g. ILSVRC2012's validation images (ILSVRC2012_img_val.tar "
                + "from https://image-net.org, after registration) sorted into class folders"
        }
        message += ". Put the images there and run `loom run` again."
        let fileHash = p.file.flatMap { try? ContentHash.sha256Hex(fileAt: DataSpec.path($0, root: ws.dataRoot)) }
        let (weights, sidecar) = TimmWeights.paths(p, fileHash: fileHash, workspace: ws)
        if (p.file != nil && fileHash == nil) || TimmWeights.cached(p, fileHash: fileHash, weights: weights, sidecar: sidecar) == nil {
            message += " The weights are not here either. " + TimmWeights.fetchHint(p)
        }
        throw DataMissing(message: message)
    }
}

extension ExperimentSpec {
    /// The spec as run `key` executed it: with `weights: .timm(...)`, the `pretrained_cfg` its run recorded in
    /// `checkpoints/<key>/pretrained.json` — its mean/std without `normalize:`, its evaluation transform when
    /// ``evaluatesWithPretrainedCfg`` — so analyses and confusion matrices of its weights see the images its evaluation
    /// saw. Other specs come back unchanged.
    /// - Throws: ``ExecuteError`` when that record is missing or unreadable.
    func asRun(_ key: String, in ws: Workspace) throws -> ExperimentSpec {
        let normalizes = normalizeFromPretrained && normalize == nil
        guard let p = pretrained, normalizes || evaluatesWithPretrainedCfg else { return self }
        let path = ws.checkpointDirectory(key) + "/pretrained.json"
        guard let data = FileManager.default.contents(atPath: path),
              let record = try? JSONDecoder().decode(TimmWeightsRecord.self, from: data) else {
            throw ExecuteError("\(path) is missing or unreadable: the run's pretrained_cfg normalisation and evaluation "
                               + "transform are unknown; run it again with `loom run --force`")
        }
        var spec = self
        if normalizes { spec.normalize = record.pretrainedCfg.normalize }
        if evaluatesWithPretrainedCfg { spec.pretrainedEval = try record.pretrainedCfg.evalTransform(for: self, weights: p.label) }
        return spec
    }
}
