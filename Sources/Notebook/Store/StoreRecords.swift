// Row types of the results store: runs, per-epoch metrics, artifacts and generic results.
import Foundation
import GRDB

/// How a run ended, or that it is still going.
public enum RunStatus: String, Codable, Sendable, CaseIterable, DatabaseValueConvertible {
    /// Started and not finished (or killed before finishing).
    case running
    /// Finished normally.
    case succeeded
    /// Raised an error; `RunRecord.error` says which.
    case failed
    /// Stopped because the loss became NaN or infinite.
    case diverged
    /// Stopped on request (Ctrl-C) with its checkpoint; the next `loom run` resumes it. A run is never left
    /// `running` by a process that ended on its own terms.
    case interrupted
}

/// The machine and code a run executed on, stored with it for provenance.
public struct RunEnvironment: Codable, Equatable, Sendable {
    /// `git rev-parse HEAD` of the notebook's repository, if any.
    public var gitCommit: String?
    /// The engine's numerics version (part of every result key).
    public var engineVersion: String
    /// `openblas_get_config()` or similar.
    public var blasConfig: String?
    /// Worker/BLAS thread count.
    public var threads: Int?
    /// CPU model name.
    public var cpu: String?
    /// The instruction-set path of Loom's own kernels ("avx512", "avx2"); nil for the torch backend.
    public var isa: String?
    /// OpenBLAS's kernel core and how it was chosen ("Haswell (corrected from Prescott)").
    public var blasCore: String?
    /// The torch backend's devices ("2× NVIDIA H100 80GB HBM3", "cpu"); nil on the embedded engine.
    public var devices: String?
    /// The torch backend's process count (DDP world size); nil on the embedded engine.
    public var worldSize: Int?

    public init(gitCommit: String? = nil, engineVersion: String, blasConfig: String? = nil,
                threads: Int? = nil, cpu: String? = nil, isa: String? = nil, blasCore: String? = nil,
                devices: String? = nil, worldSize: Int? = nil) {
        self.gitCommit = gitCommit
        self.engineVersion = engineVersion
        self.blasConfig = blasConfig
        self.threads = threads
        self.cpu = cpu
        self.isa = isa
        self.blasCore = blasCore
        self.devices = devices
        self.worldSize = worldSize
    }

    /// The machine in one line, as the report's provenance shows it: "AMD EPYC 9R14 · avx2 kernels ·
    /// OpenBLAS Haswell · 2 threads", or "torch on 2× NVIDIA H100 (world 2)".
    public var machineSummary: String? {
        if devices != nil || worldSize != nil {
            return "torch on " + (devices ?? "unknown devices") + (worldSize.map { " (world \($0))" } ?? "")
        }
        let parts = [cpu, isa.map { "\($0) kernels" }, blasCore.map { "OpenBLAS \($0)" },
                     threads.map { "\($0) thread\($0 == 1 ? "" : "s")" }].compactMap { $0 }
        return parts.isEmpty ? nil : parts.joined(separator: " · ")
    }
}

/// One row of `runs`: a training or evaluation run keyed by its result hash.
public struct RunRecord: Codable, Equatable, Sendable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "runs"
    /// Dates through ``storeDateDecoding`` (a corrupt date text must throw, not trap).
    public static func databaseDateDecodingStrategy(for column: String) -> DatabaseDateDecodingStrategy {
        storeDateDecoding
    }

    /// The result hash (primary key).
    public var key: String
    /// Notebook path or name.
    public var notebook: String
    /// The cell binding (`let aa = ...` gives "aa").
    public var cell: String
    /// The resolved, canonical config as JSON.
    public var config: String
    /// Running, or how it ended.
    public var status: RunStatus
    /// Error message when `status` is `.failed` or `.diverged`.
    public var error: String?
    /// The seeds trained (one run per seed; metrics aggregate over them).
    public var seeds: [Int]
    /// See `RunEnvironment`.
    public var gitCommit: String?
    public var engineVersion: String
    public var blasConfig: String?
    public var threads: Int?
    public var cpu: String?
    public var isa: String?
    public var blasCore: String?
    public var devices: String?
    public var worldSize: Int?
    public var startedAt: Date
    /// Nil while running.
    public var endedAt: Date?
    /// Seconds from start to end (or as measured by the runner).
    public var wallSeconds: Double?
    /// Final metrics such as `top1`, `top5`, `params`, `flops`.
    public var summary: [String: Double]

    public init(key: String, notebook: String, cell: String, config: String, status: RunStatus = .running,
                error: String? = nil, seeds: [Int], environment: RunEnvironment, startedAt: Date = Date(),
                endedAt: Date? = nil, wallSeconds: Double? = nil, summary: [String: Double] = [:]) {
        self.key = key
        self.notebook = notebook
        self.cell = cell
        self.config = config
        self.status = status
        self.error = error
        self.seeds = seeds
        self.gitCommit = environment.gitCommit
        self.engineVersion = environment.engineVersion
        self.blasConfig = environment.blasConfig
        self.threads = environment.threads
        self.cpu = environment.cpu
        self.isa = environment.isa
        self.blasCore = environment.blasCore
        self.devices = environment.devices
        self.worldSize = environment.worldSize
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.wallSeconds = wallSeconds
        self.summary = summary
    }

    /// The provenance fields as one value.
    public var environment: RunEnvironment {
        RunEnvironment(gitCommit: gitCommit, engineVersion: engineVersion, blasConfig: blasConfig, threads: threads, cpu: cpu,
                       isa: isa, blasCore: blasCore, devices: devices, worldSize: worldSize)
    }
}

/// One row of `epochs`: metrics of one seed of one run after one epoch. Missing metrics are nil.
public struct EpochRecord: Codable, Equatable, Sendable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "epochs"

    /// The run's key (`RunRecord.key`).
    public var runKey: String
    public var seed: Int
    /// 1-based epoch number.
    public var epoch: Int
    public var trainLoss: Double?
    public var testLoss: Double?
    /// Top-1 accuracy as a fraction in 0...1.
    public var top1: Double?
    /// Top-5 accuracy as a fraction in 0...1.
    public var top5: Double?
    public var lr: Double?
    public var imagesPerSecond: Double?
    /// Wall time of this epoch in seconds.
    public var wallSeconds: Double?

    public init(runKey: String, seed: Int, epoch: Int, trainLoss: Double? = nil, testLoss: Double? = nil,
                top1: Double? = nil, top5: Double? = nil, lr: Double? = nil,
                imagesPerSecond: Double? = nil, wallSeconds: Double? = nil) {
        self.runKey = runKey
        self.seed = seed
        self.epoch = epoch
        self.trainLoss = trainLoss
        self.testLoss = testLoss
        self.top1 = top1
        self.top5 = top5
        self.lr = lr
        self.imagesPerSecond = imagesPerSecond
        self.wallSeconds = wallSeconds
    }
}

/// One row of `artifacts`: bytes stored once under their SHA-256.
public struct ArtifactRecord: Codable, Equatable, Sendable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "artifacts"

    /// SHA-256 of `bytes`, lowercase hex.
    public var hash: String
    /// MIME type, e.g. `image/png`.
    public var mime: String
    public var bytes: Data

    public init(bytes: Data, mime: String) {
        self.hash = ContentHash.sha256Hex(bytes)
        self.mime = mime
        self.bytes = bytes
    }
}

/// One row of `artifactLinks`: names an artifact within a run or result ("samples.png").
struct ArtifactLink: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "artifactLinks"
    var owner: String
    var name: String
    var hash: String
}

/// One row of `results`: an analysis or other non-training result, keyed like a run.
public struct ResultRecord: Codable, Equatable, Sendable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "results"
    /// Dates through ``storeDateDecoding`` (a corrupt date text must throw, not trap).
    public static func databaseDateDecodingStrategy(for column: String) -> DatabaseDateDecodingStrategy {
        storeDateDecoding
    }

    /// The result hash (primary key).
    public var key: String
    /// What produced it, e.g. "FrequencyAnalysis".
    public var kind: String
    public var notebook: String
    public var cell: String
    /// The result's data as JSON.
    public var payload: String
    public var createdAt: Date

    public init(key: String, kind: String, notebook: String, cell: String, payload: String, createdAt: Date = Date()) {
        self.key = key
        self.kind = kind
        self.notebook = notebook
        self.cell = cell
        self.payload = payload
        self.createdAt = createdAt
    }
}

/// How the store's records read their dates: GRDB's `Date.fromDatabaseValue` on the column's value. GRDB's default
/// reads the text straight from the statement, where a debug-build assertion traps on a date text that holds a NUL
/// byte (found by fuzzing the store opener with corrupt files); this path parses the same formats and returns nil,
/// so the read throws a decoding error instead.
let storeDateDecoding = DatabaseDateDecodingStrategy.custom { Date.fromDatabaseValue($0) }
