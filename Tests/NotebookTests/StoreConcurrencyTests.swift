// Tests that concurrent writers (two pools on one file; a second process) never corrupt the store or lose rows.
import Foundation
import GRDB
import Testing
@testable import Notebook

@Suite struct StoreConcurrencyTests {
    @Test func twoPoolsWritingInParallelKeepEveryRow() throws {
        let path = makeTemporaryStorePath()
        let stores = [try ResultsStore(path: path), try ResultsStore(path: path)]
        let runsPerWriter = 20, epochsPerRun = 10
        let failures = LockedErrors()
        DispatchQueue.concurrentPerform(iterations: 4) { writer in
            let store = stores[writer % 2]
            do {
                for r in 0..<runsPerWriter {
                    let key = "w\(writer)-r\(r)"
                    try store.beginRun(sampleRun(key, cell: "w\(writer)"))
                    for e in 1...epochsPerRun {
                        try store.appendEpoch(EpochRecord(runKey: key, seed: 0, epoch: e, trainLoss: Double(e)))
                    }
                    try store.finishRun(key: key, outcome: .succeeded, summary: ["top1": Double(r) / 100],
                                        artifacts: [NamedArtifact(name: "log.txt", mime: "text/plain",
                                                                  bytes: Data("shared".utf8))])
                }
            } catch {
                failures.append(error)
            }
        }
        #expect(failures.errors.isEmpty, "\(failures.errors)")
        let reopened = try ResultsStore(path: path)
        #expect(try reopened.runs(RunFilter(status: .succeeded)).count == 4 * runsPerWriter)
        let (epochs, integrity) = try reopened.pool.read { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM epochs"),
             try String.fetchOne(db, sql: "PRAGMA integrity_check"))
        }
        #expect(epochs == 4 * runsPerWriter * epochsPerRun)
        #expect(integrity == "ok")
    }

    @Test func twoPoolsOpeningAFreshFileAtOnceBothMigrate() throws {
        let path = makeTemporaryStorePath()
        let failures = LockedErrors()
        DispatchQueue.concurrentPerform(iterations: 2) { i in
            do {
                let store = try ResultsStore(path: path)
                try store.beginRun(sampleRun("open\(i)"))
            } catch {
                failures.append(error)
            }
        }
        #expect(failures.errors.isEmpty, "\(failures.errors)")
        let store = try ResultsStore(path: path)
        #expect(try store.appliedMigrations() == ["v1", "v2"])
        #expect(try store.runs().count == 2)
    }
}

extension StoreConcurrencyTests {
    /// A second OS process (the sqlite3 shell) inserts epochs while this one writes through GRDB.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/sqlite3")))
    func anotherProcessWritingAtTheSameTimeLosesNothing() throws {
        let path = makeTemporaryStorePath()
        let store = try ResultsStore(path: path)
        try store.beginRun(sampleRun("external"))
        try store.beginRun(sampleRun("local"))
        let epochs = 300
        var script = ".timeout 30000\n"
        for e in 1...epochs {
            script += "INSERT INTO epochs(runKey, seed, epoch, trainLoss) VALUES('external', 0, \(e), \(e));\n"
        }
        let scriptURL = URL(fileURLWithPath: path + ".sql")
        try script.write(to: scriptURL, atomically: true, encoding: .utf8)
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        shell.arguments = ["-bail", path]
        shell.standardInput = try FileHandle(forReadingFrom: scriptURL)
        try shell.run()
        for e in 1...epochs {
            try store.appendEpoch(EpochRecord(runKey: "local", seed: 0, epoch: e, trainLoss: Double(e)))
        }
        shell.waitUntilExit()
        #expect(shell.terminationStatus == 0)
        #expect(try store.epochs(key: "external").count == epochs)
        #expect(try store.epochs(key: "local").count == epochs)
        #expect(try store.pool.read { try String.fetchOne($0, sql: "PRAGMA integrity_check") } == "ok")
    }
}

/// Errors collected from concurrent workers.
final class LockedErrors: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [Error] = []
    var errors: [Error] { lock.withLock { stored } }
    func append(_ error: Error) { lock.withLock { stored.append(error) } }
}
