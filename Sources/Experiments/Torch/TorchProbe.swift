// The torch backend's timing probe: a few training steps of a run's model through python/loom_probe.py, measured once
// per (model, batch, image size, processes, Python, machine) and cached under `<output>/probes/`, for `loom plan`.
import Engine
import Foundation
import Notebook
import Vision

/// What decides how fast a torch run's training steps are. Runs that share it (seeds, recipes that differ only in
/// learning rate or augmentation) share one probe.
public struct TorchProbeKey: Codable, Equatable, Sendable {
    /// The model as the trainer builds it (`config.json`'s `model`), canonical JSON.
    public var model: String
    /// The global batch, split over `processes × nodes`.
    public var batchSize: Int
    /// The side of the training images after augmentation.
    public var imageSize: Int
    public var processes: Int
    public var nodes: Int
    /// The Python that runs the trainer (another environment may have another torch).
    public var python: String
    /// This machine: host name and CPU (the GPUs are the host's).
    public var machine: String

    /// The probe's file name: the first 16 hex digits of the SHA-256 of the key's canonical JSON.
    public var id: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(self)) ?? Data()
        return String(ContentHash.sha256Hex(data).prefix(16))
    }

    /// The key of `spec` on `backend`, or nil when the image size is unknown before reading the data.
    public static func of(_ spec: ExperimentSpec, backend: TorchBackend, machine: String = TorchProbe.machine) -> TorchProbeKey? {
        guard let size = spec.imageSize,
              let model = try? JSONSerialization.data(withJSONObject: TorchConfig.model(spec.model), options: [.sortedKeys])
        else { return nil }
        return TorchProbeKey(model: String(decoding: model, as: UTF8.self), batchSize: spec.batchSize, imageSize: size,
                             processes: backend.processes, nodes: backend.nodes, python: backend.python, machine: machine)
    }
}

/// One probe's measurement, as cached in `<output>/probes/<id>.json`.
public struct TorchProbeResult: Codable, Equatable, Sendable {
    public var key: TorchProbeKey
    /// Mean seconds per timed training step, of the slowest process.
    public var secondsPerStep: Double
    public var warmupSteps: Int
    public var timedSteps: Int
    /// Each process's device (a GPU's name, or "cpu").
    public var devices: [String]
    public var torch: String
    public var timm: String
    /// ISO 8601, when it was measured.
    public var measuredAt: String

    public init(key: TorchProbeKey, secondsPerStep: Double, warmupSteps: Int, timedSteps: Int, devices: [String],
                torch: String, timm: String, measuredAt: String) {
        self.key = key; self.secondsPerStep = secondsPerStep; self.warmupSteps = warmupSteps; self.timedSteps = timedSteps
        self.devices = devices; self.torch = torch; self.timm = timm; self.measuredAt = measuredAt
    }
}

/// A probe that could not measure: no Python, no torch, a crash. The message says which and what to do.
public struct TorchProbeError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// Runs and caches timing probes, and turns a probe into a run's estimate.
public enum TorchProbe {
    /// Untimed steps first (CUDA context, cuDNN autotuning, allocator growth), then timed ones.
    public static let defaultWarmupSteps = 3
    public static let defaultTimedSteps = 5
    /// A probe that has not finished after this long is stopped.
    public static let timeLimit: TimeInterval = 30 * 60

    /// This machine as the key names it: host name and CPU brand.
    public static var machine: String {
        ProcessInfo.processInfo.hostName + " / " + MachineFacts.current.cpu
    }

    public static func directory(outputDirectory: String) -> String {
        (outputDirectory as NSString).appendingPathComponent("probes")
    }

    /// The cached result for `key`, read from disk only (no Python); nil when none or unreadable.
    public static func cached(_ key: TorchProbeKey, outputDirectory: String) -> TorchProbeResult? {
        let path = directory(outputDirectory: outputDirectory) + "/\(key.id).json"
        guard let data = FileManager.default.contents(atPath: path),
              let result = try? JSONDecoder().decode(TorchProbeResult.self, from: data), result.key == key else { return nil }
        return result
    }

    /// Training steps per epoch as the trainer takes them: DistributedSampler gives each of `world` processes
    /// ⌈images / world⌉ indices, cut into batches of `batch / world` (the last partial one dropped when mixing).
    public static func stepsPerEpoch(trainImages: Int, batchSize: Int, world: Int, dropLast: Bool) -> Int {
        let perProcess = (trainImages + world - 1) / world, perBatch = max(1, batchSize / world)
        return dropLast ? perProcess / perBatch : (perProcess + perBatch - 1) / perBatch
    }

    /// Seconds of training for `spec`: epochs × steps per epoch × the probe's seconds per step (evaluation excluded).
    public static func estimate(_ spec: ExperimentSpec, trainImages: Int, world: Int, secondsPerStep: Double) -> Double {
        Double(spec.epochs) * Double(stepsPerEpoch(trainImages: trainImages, batchSize: spec.batchSize, world: world,
                                                   dropLast: spec.mix != nil)) * secondsPerStep
    }

    /// The number of training images, known without loading them: CIFAR's 50 000, `.shapes`' count, or the files of
    /// an image folder's training split; nil when that folder is absent.
    public static func trainImages(_ data: DataSpec, dataRoot: String) -> Int? {
        switch data {
        case .cifar10, .cifar100: return 50_000
        case let .shapes(_, _, train, _, _, _): return train
        case let .imageFolder(path, test):
            let dir = DataSpec.path(test == nil ? path + "/train" : path, root: dataRoot)
            guard let walk = FileManager.default.enumerator(atPath: dir) else { return nil }
            let images = ["png", "jpg", "jpeg"]
            return walk.compactMap { $0 as? String }.filter { p in
                !p.split(separator: "/").contains { $0.hasPrefix(".") } && images.contains((p as NSString).pathExtension.lowercased())
            }.count
        }
    }
}

extension TorchProbe {
    /// Measures `spec` on `backend` with python/loom_probe.py under torchrun on this machine, caches the result and
    /// returns it. Its files (config.json, probe.log, result.json) stay in `<output>/probes/<id>/` for inspection.
    /// - Throws: ``TorchProbeError`` naming what is missing or what failed, with the end of the probe's log.
    public static func run(_ spec: ExperimentSpec, backend: TorchBackend, outputDirectory: String,
                           environment: [String: String] = ProcessInfo.processInfo.environment,
                           warmupSteps: Int = defaultWarmupSteps, timedSteps: Int = defaultTimedSteps) throws -> TorchProbeResult {
        guard case .local = backend.launcher else {
            throw TorchProbeError(message: "runs through Slurm on other machines; the probe times this machine only, so its time stays unknown")
        }
        guard let key = TorchProbeKey.of(spec, backend: backend) else {
            throw TorchProbeError(message: "the image size is unknown before reading the data; add `.resize(size:)` to time it")
        }
        let python: String, script: String
        do {
            python = try TorchLaunch.executable(backend.python, environment: environment)
            script = URL(fileURLWithPath: try TorchLaunch.trainerScript(environment: environment)).deletingLastPathComponent()
                .appendingPathComponent("loom_probe.py").path
        } catch { throw TorchProbeError(message: "\(error)") }
        guard FileManager.default.fileExists(atPath: script) else {
            throw TorchProbeError(message: "\(script) is missing: the probe lives beside the trainer (python/loom_probe.py of the Loom checkout)")
        }
        let dir = directory(outputDirectory: outputDirectory) + "/" + key.id
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let files = TorchRunFiles(directory: dir, finalWeights: dir + "/unused.safetensors")
        let data = TorchData(kind: "imageFolder", train: dir, test: dir,
                             normalization: spec.data.fixedNormalization ?? Normalization(mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5]))
        let config: Data
        do {
            config = try TorchConfig.json(spec: spec, key: "probe-" + key.id, binding: "probe", seed: spec.seeds.first ?? 0,
                                          backend: backend, data: data, files: files, weights: nil,
                                          teacherWeights: spec.distillation == nil ? nil : "not loaded by the probe")
        } catch { throw TorchProbeError(message: "\(error)") }
        try config.write(to: URL(fileURLWithPath: files.config), options: .atomic)
        let arguments = ["-m", "torch.distributed.run", "--standalone", "--nnodes=1", "--nproc_per_node=\(backend.processes)",
                         script, "--config", files.config, "--image-size", String(key.imageSize),
                         "--warmup", String(warmupSteps), "--steps", String(timedSteps), "--out", dir + "/result.json"]
        try launch(python, arguments, log: dir + "/probe.log", environment: environment)
        return try record(key: key, folder: dir, outputDirectory: outputDirectory, command: ([backend.python] + arguments).joined(separator: " "))
    }

    /// Runs the probe's torchrun with its output in `log`, stopping it after ``timeLimit``.
    static func launch(_ python: String, _ arguments: [String], log: String, environment: [String: String]) throws {
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        guard let handle = FileHandle(forWritingAtPath: log) else { throw TorchProbeError(message: "cannot write \(log)") }
        defer { try? handle.close() }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = arguments
        var env = environment
        env["PYTHONUNBUFFERED"] = "1"
        p.environment = env
        p.standardOutput = handle
        p.standardError = handle
        p.standardInput = FileHandle.nullDevice
        do { try p.run() } catch { throw TorchProbeError(message: "cannot start \(python) for the timing probe: \(error)") }
        let deadline = Date().addingTimeInterval(timeLimit)
        while p.isRunning {
            if Date() > deadline {
                p.terminate()
                p.waitUntilExit()
                throw TorchProbeError(message: "the timing probe ran longer than \(Int(timeLimit / 60)) minutes and was stopped; see \(log)")
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    /// Reads the probe's `result.json`, caches a success as `<output>/probes/<id>.json` and returns it.
    /// - Throws: ``TorchProbeError`` with the trainer's message and the end of `probe.log` when the probe failed.
    static func record(key: TorchProbeKey, folder: String, outputDirectory: String, command: String) throws -> TorchProbeResult {
        let log = folder + "/probe.log"
        let out = (FileManager.default.contents(atPath: folder + "/result.json")).flatMap {
            try? JSONSerialization.jsonObject(with: $0) as? [String: Any]
        }
        guard let out, out["status"] as? String == "succeeded", let seconds = out["secondsPerStep"] as? Double, seconds > 0 else {
            let text = tail(of: log, lines: 20)
            if text.contains("No module named 'torch'") || text.contains("No module named torch") {
                throw TorchProbeError(message: "\(key.python) has no torch: install torch, timm and safetensors into it, or set "
                                      + "`.torch(python:)` or $LOOM_TORCH_PYTHON to a Python that has them")
            }
            let why = (out?["message"] as? String).map { ": " + $0 } ?? ""
            throw TorchProbeError(message: "the timing probe failed\(why)\n`\(command)`\n--- last lines of \(log) ---\n\(text)")
        }
        let result = TorchProbeResult(key: key, secondsPerStep: seconds, warmupSteps: out["warmupSteps"] as? Int ?? 0,
                                      timedSteps: out["timedSteps"] as? Int ?? 0, devices: out["devices"] as? [String] ?? [],
                                      torch: out["torch"] as? String ?? "", timm: out["timm"] as? String ?? "",
                                      measuredAt: ISO8601DateFormatter().string(from: Date()))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(result).write(to: URL(fileURLWithPath: directory(outputDirectory: outputDirectory) + "/\(key.id).json"),
                                         options: .atomic)
        return result
    }
}
