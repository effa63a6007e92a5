// Tests of the results store: migrations, runs, epochs, artifacts, results, filters, reopen.
import Foundation
import GRDB
import Testing
@testable import Notebook

/// A fresh store file in its own temporary directory.
func makeTemporaryStorePath(_ name: String = "loom.sqlite") -> String {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("loom-store-\(UUID().uuidString)")
    return directory.appendingPathComponent("output").appendingPathComponent(name).path
}

let testEnvironment = RunEnvironment(gitCommit: "0123456789abcdef", engineVersion: "numerics-1",
                                     blasConfig: "OpenBLAS 0.3.21", threads: 2, cpu: "AMD EPYC")

func sampleRun(_ key: String, notebook: String = "study.md", cell: String = "base", seeds: [Int] = [0]) -> RunRecord {
    RunRecord(key: key, notebook: notebook, cell: cell, config: #"{"epochs":15,"model":"resnet18"}"#,
              seeds: seeds, environment: testEnvironment, startedAt: Date(timeIntervalSince1970: 1_700_000_000))
}

@Suite struct StoreTests {
    @Test func migratesAnEmptyFileAndReopens() throws {
        let path = makeTemporaryStorePath()
        let store = try ResultsStore(path: path)
        #expect(try store.appliedMigrations() == ["v1", "v2"])
        try store.beginRun(sampleRun("k1"))
        let reopened = try ResultsStore(path: path)
        #expect(try reopened.appliedMigrations() == ["v1", "v2"])
        #expect(try reopened.run(key: "k1")?.status == .running)
    }

    /// A file holding only GRDB's migrations table is a store another process is creating at this moment
    /// (the table is written before the first migration commits): it is opened and migrated, not refused.
    @Test func aStoreBeingCreatedElsewhereIsNotForeign() throws {
        let path = makeTemporaryStorePath()
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let queue = try DatabaseQueue(path: path)
        try queue.write { try $0.execute(sql: "CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY)") }
        try queue.close()
        let store = try ResultsStore(path: path)
        #expect(try store.appliedMigrations() == ["v1", "v2"])
    }

    /// A store written before the machine columns (v1) opens, keeps its runs and records machines from then on.
    @Test func aVersionOneStoreGainsTheMachineColumns() throws {
        let path = makeTemporaryStorePath()
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let queue = try DatabaseQueue(path: path)
        try StoreSchema.migrator.migrate(queue, upTo: "v1")
        try queue.write { db in
            try db.execute(sql: """
                INSERT INTO runs (key, notebook, cell, config, status, seeds, engineVersion, startedAt, summary)
                VALUES ('old', 'study.md', 'base', '{}', 'succeeded', '[0]', 'loom-engine-5', '2026-01-01 00:00:00.000', '{"top1":0.5}')
                """)
        }
        try queue.close()
        let store = try ResultsStore(path: path)
        #expect(try store.appliedMigrations() == ["v1", "v2"])
        let old = try #require(try store.run(key: "old"))
        #expect(old.summary["top1"] == 0.5 && old.isa == nil && old.environment.machineSummary == nil)
        var env = testEnvironment
        env.isa = "avx512"
        env.blasCore = "Cooperlake"
        try store.beginRun(RunRecord(key: "new", notebook: "study.md", cell: "se", config: "{}", seeds: [0], environment: env))
        let new = try #require(try store.run(key: "new"))
        #expect(new.environment == env)
        #expect(new.environment.machineSummary == "AMD EPYC · avx512 kernels · OpenBLAS Cooperlake · 2 threads")
        var torch = RunEnvironment(engineVersion: "torch (timm), world 2", threads: 2, devices: "2× NVIDIA H100", worldSize: 2)
        #expect(torch.machineSummary == "torch on 2× NVIDIA H100 (world 2)")
        torch.devices = nil
        #expect(torch.machineSummary == "torch on unknown devices (world 2)")
    }

    @Test func runLifecycleKeepsEpochsAndProvenance() throws {
        let store = try ResultsStore(path: makeTemporaryStorePath())
        try store.beginRun(sampleRun("k1", seeds: [0, 1]))
        for epoch in 1...3 {
            try store.appendEpoch(EpochRecord(runKey: "k1", seed: 0, epoch: epoch, trainLoss: 2.0 / Double(epoch),
                                              testLoss: 2.5 / Double(epoch), top1: 0.2 * Double(epoch), lr: 0.1))
        }
        try store.appendEpoch(EpochRecord(runKey: "k1", seed: 1, epoch: 1, trainLoss: 1.9))
        let ended = Date(timeIntervalSince1970: 1_700_000_090)
        try store.finishRun(key: "k1", outcome: .succeeded, summary: ["top1": 0.6, "params": 11e6],
                            artifacts: [NamedArtifact(name: "samples.png", mime: "image/png", bytes: Data([1, 2, 3]))],
                            endedAt: ended)
        let run = try #require(try store.run(key: "k1"))
        #expect(run.status == .succeeded)
        #expect(run.error == nil)
        #expect(run.seeds == [0, 1])
        #expect(run.environment == testEnvironment)
        #expect(run.wallSeconds == 90)
        #expect(run.summary == ["top1": 0.6, "params": 11e6])
        #expect(try store.epochs(key: "k1").map { "\($0.seed)/\($0.epoch)" } == ["0/1", "0/2", "0/3", "1/1"])
        #expect(try store.epochs(key: "k1", seed: 1).count == 1)
        let hash = try #require(try store.artifacts(of: "k1")["samples.png"])
        #expect(hash == ContentHash.sha256Hex(Data([1, 2, 3])))
        #expect(try store.artifact(named: "samples.png", of: "k1")?.bytes == Data([1, 2, 3]))
    }

    @Test func aKilledRunKeepsItsEpochsAndResumes() throws {
        let path = makeTemporaryStorePath()
        do {
            let store = try ResultsStore(path: path)
            try store.beginRun(sampleRun("k"))
            try store.appendEpoch(EpochRecord(runKey: "k", seed: 0, epoch: 1, trainLoss: 2))
            try store.appendEpoch(EpochRecord(runKey: "k", seed: 0, epoch: 2, trainLoss: 1.5))
        }
        let store = try ResultsStore(path: path)
        #expect(try store.run(key: "k")?.status == .running)
        try store.beginRun(sampleRun("k"))
        #expect(try store.epochs(key: "k").count == 2)
        try store.appendEpoch(EpochRecord(runKey: "k", seed: 0, epoch: 2, trainLoss: 1.4))
        #expect(try store.epochs(key: "k").map(\.trainLoss) == [2, 1.4])
    }

    @Test func failuresAreRecordedWithTheirMessage() throws {
        let store = try ResultsStore(path: makeTemporaryStorePath())
        try store.beginRun(sampleRun("f"))
        try store.finishRun(key: "f", outcome: .failed("out of memory"))
        try store.beginRun(sampleRun("d"))
        try store.finishRun(key: "d", outcome: .diverged("loss is NaN at epoch 3"))
        #expect(try store.run(key: "f")?.status == .failed)
        #expect(try store.run(key: "f")?.error == "out of memory")
        #expect(try store.run(key: "d")?.status == .diverged)
        #expect(throws: StoreError.unknownRun(key: "nope")) {
            try store.finishRun(key: "nope", outcome: .succeeded)
        }
        #expect(throws: StoreError.unknownRun(key: "nope")) {
            try store.appendEpoch(EpochRecord(runKey: "nope", seed: 0, epoch: 1))
        }
    }

    @Test func filtersByNotebookStatusAndMetricThreshold() throws {
        let store = try ResultsStore(path: makeTemporaryStorePath())
        for (key, top1) in [("a", 0.7), ("b", 0.85), ("c", 0.9)] {
            try store.beginRun(sampleRun(key, notebook: key == "c" ? "other.md" : "study.md"))
            try store.finishRun(key: key, outcome: .succeeded, summary: ["top1": top1])
        }
        try store.beginRun(sampleRun("r"))
        #expect(try store.runs().map(\.key) == ["a", "b", "c", "r"])
        #expect(try store.runs(RunFilter(notebook: "study.md")).map(\.key) == ["a", "b", "r"])
        #expect(try store.runs(RunFilter(status: .running)).map(\.key) == ["r"])
        let good = RunFilter(metrics: [MetricCondition("top1", .atLeast, 0.8)])
        #expect(try store.runs(good).map(\.key) == ["b", "c"])
        let parsed = try #require(MetricCondition(parsing: "top1 < 0.8"))
        #expect(parsed == MetricCondition("top1", .less, 0.8))
        #expect(try store.runs(RunFilter(notebook: "study.md", metrics: [parsed])).map(\.key) == ["a"])
        #expect(MetricCondition(parsing: "top1 >= lots") == nil)
    }

    @Test func artifactsAreStoredOnceByContentHash() throws {
        let store = try ResultsStore(path: makeTemporaryStorePath())
        let png = Data([0x89, 0x50, 0x4e, 0x47])
        let first = try store.putArtifact(png, mime: "image/png")
        let second = try store.putArtifact(png, mime: "image/png")
        #expect(first == second)
        let result = ResultRecord(key: "fa1", kind: "FrequencyAnalysis", notebook: "study.md", cell: "freq",
                                  payload: #"{"depth":[1,2],"amplitude":[0.1,0.3]}"#)
        try store.saveResult(result, artifacts: [NamedArtifact(name: "spectrum.png", mime: "image/png", bytes: png)])
        #expect(try store.result(key: "fa1")?.kind == "FrequencyAnalysis")
        #expect(try store.results(notebook: "study.md").map(\.key) == ["fa1"])
        #expect(try store.artifacts(of: "fa1") == ["spectrum.png": first])
        let count = try store.pool.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM artifacts") }
        #expect(count == 1)
    }

    @Test func sha256MatchesKnownVectors() {
        #expect(ContentHash.sha256Hex(Data()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(ContentHash.sha256Hex(Data("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let long = Data("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
        #expect(ContentHash.sha256Hex(long) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test func unreadableFileIsAStoreError() {
        #expect(throws: StoreError.self) { try ResultsStore(path: "/proc/loom-cannot-write/loom.sqlite") }
    }
}

/// Issue 14, defects 9 and 11: reading never writes, a foreign database is refused untouched, and no message advises
/// deleting a store.
@Suite struct StoreSafetyTests {
    @Test func readingAForeignDatabaseRefusesAndLeavesItUntouched() throws {
        let path = makeTemporaryStorePath()
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try DatabaseQueue(path: path).write { try $0.execute(sql: "CREATE TABLE notes (text TEXT); INSERT INTO notes VALUES ('x')") }
        let before = try #require(FileManager.default.contents(atPath: path))
        for open in [{ _ = try ResultsStore(readingAt: path) }, { _ = try ResultsStore(path: path) }] {
            do {
                try open()
                Issue.record("a foreign database was opened as a store")
            } catch let e as StoreError {
                #expect(e == .notLoomStore(path: path, tables: ["notes"]))
                #expect(e.description.contains("not a Loom results store (its tables: notes)"))
            }
        }
        #expect(FileManager.default.contents(atPath: path) == before)
        let tables = try DatabaseQueue(path: path).read { try String.fetchAll($0, sql: "SELECT name FROM sqlite_master WHERE type = 'table'") }
        #expect(tables == ["notes"])
    }

    @Test func aReadOnlyStoreReadsAndRefusesWrites() throws {
        let path = makeTemporaryStorePath()
        do {
            let store = try ResultsStore(path: path)
            try store.beginRun(sampleRun("k1"))
        }
        let before = try #require(FileManager.default.contents(atPath: path))
        let reader = try ResultsStore(readingAt: path)
        #expect(reader.isReadOnly)
        #expect(try reader.run(key: "k1")?.status == .running)
        #expect(throws: (any Error).self) { try reader.beginRun(sampleRun("k2")) }
        #expect(FileManager.default.contents(atPath: path) == before)
        #expect(throws: StoreError.self) { try ResultsStore(readingAt: path + ".absent") }
    }

    @Test func messagesSayWhatIsWrongAndNeverAdviseDeleting() {
        let path = "/data/out/loom.sqlite"
        let full = StoreError.diagnose(DatabaseError(resultCode: .SQLITE_FULL), path: path)
        #expect(full.description.contains("the disk is full"))
        let notADatabase = StoreError.diagnose(DatabaseError(resultCode: .SQLITE_NOTADB), path: path)
        #expect(notADatabase.description.contains("not a SQLite database"))
        let corrupt = StoreError.diagnose(DatabaseError(resultCode: .SQLITE_CORRUPT), path: path)
        #expect(corrupt.description.contains("keep the file"))
        let readOnly = StoreError.diagnose(DatabaseError(resultCode: .SQLITE_READONLY), path: path)
        #expect(readOnly.description.contains("read-only") || readOnly.description.contains("permission"))
        for e in [full, notADatabase, corrupt, readOnly] { #expect(!e.description.lowercased().contains("delete"), "\(e)") }
    }

    @Test func unknownMetricsInConditionsAreNamed() throws {
        let store = try ResultsStore(path: makeTemporaryStorePath())
        try store.beginRun(sampleRun("k1"))
        try store.finishRun(key: "k1", outcome: .succeeded, summary: ["top1": 0.5, "top5": 0.9])
        #expect(try store.runs(RunFilter(metrics: [MetricCondition("top1", .atLeast, 0.4)])).count == 1)
        do {
            _ = try store.runs(RunFilter(metrics: [MetricCondition("top", .atLeast, 0.4)]))
            Issue.record("an unknown metric matched nothing silently")
        } catch let e as StoreError {
            #expect(e.description == "no run in the store has a metric named `top`; did you mean `top1`? (metrics: top1, top5)")
        }
    }
}
