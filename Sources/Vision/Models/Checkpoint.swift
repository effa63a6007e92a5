// Checkpoints: model + optimizer state + progress in one safetensors file, written atomically
// with a checksum; the previous checkpoint is kept as a fallback.
import Engine
import Foundation

/// A checkpoint that could not be used.
public struct CheckpointError: Error, CustomStringConvertible {
    public let path: String
    public let reason: String
    public var description: String { "checkpoint \(path): \(reason)" }
}

/// Training progress saved with the weights: the next (epoch, batch) to run, the running
/// sums of the epoch in progress, and the finished epochs' metrics.
public struct TrainProgress: Codable, Equatable {
    public var epoch: Int
    public var batch: Int
    public var lossSum: Double
    public var seen: Int
    public var seconds: Double
    public var history: [EpochMetrics]
    public init(epoch: Int = 0, batch: Int = 0, lossSum: Double = 0, seen: Int = 0, seconds: Double = 0, history: [EpochMetrics] = []) {
        self.epoch = epoch; self.batch = batch; self.lossSum = lossSum; self.seen = seen; self.seconds = seconds; self.history = history
    }
}

public enum Checkpoint {
    /// FNV-1a 64 over the tensors' bytes in name order.
    static func checksum(_ tensors: [String: Tensor]) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for name in tensors.keys.sorted() {
            for b in name.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
            let t = tensors[name]!
            let raw = UnsafeRawBufferPointer(start: t.ptr, count: t.count * 4)
            for b in raw { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        }
        return String(h, radix: 16)
    }

    /// Writes `checkpoint.safetensors` in `directory` atomically (temporary file + rename),
    /// moving the previous one to `checkpoint.prev.safetensors`.
    public static func save(directory: String, model: Module, optimizer: Optimizer, progress: TrainProgress, fingerprint: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var tensors: [String: Tensor] = [:]
        for (n, t) in model.stateDict() { tensors["model." + n] = t }
        for (n, t) in optimizer.stateDict() { tensors["optim." + n] = t }
        let progressJSON = String(decoding: try JSONEncoder().encode(progress), as: UTF8.self)
        let meta = ["progress": progressJSON, "checksum": checksum(tensors), "fingerprint": fingerprint, "format": "loom-checkpoint-1"]
        let current = directory + "/checkpoint.safetensors", previous = directory + "/checkpoint.prev.safetensors"
        let tmp = directory + "/checkpoint.\(getpid()).\(UUID().uuidString).tmp"
        let data = try SafeTensors.serialize(tensors, metadata: meta)
        guard FileManager.default.createFile(atPath: tmp, contents: data) else {
            throw CheckpointError(path: tmp, reason: "cannot write (disk full or no permission?)")
        }
        if FileManager.default.fileExists(atPath: current) {
            _ = try? FileManager.default.removeItem(atPath: previous)
            try FileManager.default.moveItem(atPath: current, toPath: previous)
        }
        guard rename(tmp, current) == 0 else { throw CheckpointError(path: current, reason: "rename failed: \(String(cString: strerror(errno)))") }
    }

    /// Loads one checkpoint file into `model` and `optimizer`, verifying format, fingerprint
    /// and checksum first (nothing is modified when verification fails).
    public static func load(path: String, model: Module, optimizer: Optimizer, fingerprint: String) throws -> TrainProgress {
        let f: SafeTensors
        do { f = try SafeTensors.read(path) } catch { throw CheckpointError(path: path, reason: "\(error)") }
        guard f.metadata["format"] == "loom-checkpoint-1", let p = f.metadata["progress"],
              let progress = try? JSONDecoder().decode(TrainProgress.self, from: Data(p.utf8)) else {
            throw CheckpointError(path: path, reason: "not a Loom checkpoint (missing progress metadata)")
        }
        guard f.metadata["fingerprint"] == fingerprint else {
            throw CheckpointError(path: path, reason: "written for a different configuration")
        }
        var tensors: [String: Tensor] = [:]
        for n in f.names { tensors[n] = try f.tensor(n) }
        guard checksum(tensors) == f.metadata["checksum"] else {
            throw CheckpointError(path: path, reason: "checksum mismatch (file corrupt)")
        }
        var modelState: [String: Tensor] = [:], optState: [String: Tensor] = [:]
        for (n, t) in tensors {
            if n.hasPrefix("model.") { modelState[String(n.dropFirst(6))] = t }
            else if n.hasPrefix("optim.") { optState[String(n.dropFirst(6))] = t }
        }
        do {
            try model.load(stateDict: modelState)
            try optimizer.load(stateDict: optState)
        } catch { throw CheckpointError(path: path, reason: "\(error)") }
        return progress
    }

    /// Restores the newest usable checkpoint in `directory`: the current one, or the previous
    /// one when the current is corrupt (reported through `warn`). Nil when there is none.
    public static func restore(directory: String, model: Module, optimizer: Optimizer, fingerprint: String,
                               warn: (String) -> Void) -> TrainProgress? {
        for name in ["checkpoint.safetensors", "checkpoint.prev.safetensors"] {
            let path = directory + "/" + name
            guard FileManager.default.fileExists(atPath: path) else { continue }
            do {
                return try load(path: path, model: model, optimizer: optimizer, fingerprint: fingerprint)
            } catch {
                warn("\(error); trying an older checkpoint")
            }
        }
        return nil
    }
}
