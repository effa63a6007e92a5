// Workspace: where a notebook's files live (store, checkpoints, data root), and what every run's execution shares:
// loaded datasets, the stop flag, progress events and the errors a run ends with.
import Engine
import Foundation
import Notebook
import Vision

/// Where a notebook's files live: the results store, checkpoints and the data root.
public struct Workspace {
    public let outputDirectory: String
    public let dataRoot: String
    public let store: ResultsStore

    /// - Parameter readOnly: open the store for reading only (`loom plan`): an existing store is never written, and
    ///   where none exists an empty one in memory stands in, so nothing is created on disk.
    public init(outputDirectory: String, dataRoot: String, readOnly: Bool = false) throws {
        self.outputDirectory = outputDirectory
        self.dataRoot = dataRoot
        let path = (outputDirectory as NSString).appendingPathComponent("loom.sqlite")
        if readOnly {
            store = FileManager.default.fileExists(atPath: path) ? try ResultsStore(readingAt: path) : try ResultsStore(emptyNamed: path)
        } else {
            store = try ResultsStore(path: path)
        }
    }

    public func checkpointDirectory(_ key: String) -> String {
        (outputDirectory as NSString).appendingPathComponent("checkpoints/\(key)")
    }

    /// The final weights of a finished run (timm names).
    public func finalWeights(_ key: String) -> String { checkpointDirectory(key) + "/final.safetensors" }

    /// Provenance of this process: commit, engine, BLAS library and core, Loom's kernel ISA, threads, CPU.
    public static let environment: RunEnvironment = {
        let machine = MachineFacts.current
        return RunEnvironment(gitCommit: gitCommit(), engineVersion: engineNumericsVersion, blasConfig: Threads.blasConfig,
                              threads: machine.threads, cpu: machine.cpu, isa: machine.isa,
                              blasCore: machine.blasCore)
    }()

    static func gitCommit() -> String? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["git", "rev-parse", "--short=12", "HEAD"]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return nil }
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { return nil }
        return String(data: pipe.fileHandleForReading.readDataToEndOfFile(), encoding: .utf8)?
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// Loaded datasets, shared by the runs of one notebook (loading CIFAR or generating .shapes once; an image folder's
/// file lists, its images being read per batch).
final class DataCache {
    /// One dataset, opened (``DataSpec/open(root:)``).
    typealias Loaded = (train: ImageSplit, test: ImageSplit, normalization: Normalization, classNames: [String])

    private var cache: [DataSpec: Loaded] = [:]

    func load(_ spec: DataSpec, root: String) throws -> Loaded {
        if let hit = cache[spec] { return hit }
        let v = try spec.open(root: root)
        cache[spec] = (v.train, v.test, v.normalization, v.classNames)
        return cache[spec]!
    }

    private var uniform: Set<DataSpec> = []

    /// Checks once per dataset that both splits' images have one size (for a pipeline that does not resize): an image
    /// folder's files are decoded for it, so the runs of one notebook share one pass.
    /// - Throws: as ``ImageSplit/checkUniformSize()``.
    func checkUniformSize(_ spec: DataSpec, root: String) throws {
        guard !uniform.contains(spec) else { return }
        let d = try load(spec, root: root)
        try d.train.checkUniformSize()
        try d.test.checkUniformSize()
        uniform.insert(spec)
    }
}

extension DataSpec: Hashable {
    public func hash(into h: inout Hasher) { h.combine(String(describing: self)) }
}

/// A request to stop at the next batch boundary (Ctrl-C).
public final class StopFlag: @unchecked Sendable {
    private var flag = false
    private let lock = NSLock()
    public init() {}
    public func request() { lock.lock(); flag = true; lock.unlock() }
    public var isSet: Bool { lock.lock(); defer { lock.unlock() }; return flag }
}

/// Raised when a stop was requested; the run stays resumable.
public struct Interrupted: Error, CustomStringConvertible {
    public var description: String { "stopped at a batch boundary; `loom run` again resumes from the checkpoint" }
}

/// Progress of a running experiment, for a progress bar or log lines.
public struct RunProgress {
    public var label: String
    public var seed: Int
    public var event: TrainingEvent
}

/// The dataset's files are not there; the message names the file and where to get it.
public struct DataMissing: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// A run that failed, with the message the report shows.
public struct ExecuteError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
