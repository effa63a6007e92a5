// Tests that concurrent connections (two pools on one file, as two processes would be) never corrupt the store.
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
        #expect(try store.appliedMigrations() == ["v1"])
        #expect(try store.runs().count == 2)
    }
}

/// Errors collected from concurrent workers.
final class LockedErrors: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [Error] = []
    var errors: [Error] { lock.withLock { stored } }
    func append(_ error: Error) { lock.withLock { stored.append(error) } }
}
