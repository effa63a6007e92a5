// Store files found by fuzzing the store opener (Fuzz/, target `store`): reading them must throw, never trap.
// Inputs live in Tests/Fixtures/fuzz/.
import Foundation
import GRDB
import Testing
@testable import Notebook

@Suite struct StoreFuzzTests {
    /// A copy of a fixture store in its own temporary folder (opening a store may write to it).
    func copy(_ name: String, filePath: String = #filePath) throws -> String {
        let source = URL(fileURLWithPath: filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/fuzz/\(name)")
        let path = makeTemporaryStorePath()
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: source.path, toPath: path)
        return path
    }

    /// A Loom store whose one run has `startedAt` = "2\u{1E}\0" + "3-11-14 22:13:20.000": GRDB's statement-level
    /// date parser asserted that the text had no NUL byte and trapped (debug builds) while listing runs.
    @Test func dateTextWithANulByteIsADecodingError() throws {
        let store = try ResultsStore(path: try copy("store-nul-in-date.sqlite"))
        #expect(throws: (any Error).self) { _ = try store.runs() }
        #expect(throws: (any Error).self) { _ = try store.run(key: "k1") }
    }

    /// The same corruption made with SQL, for the results table too; valid dates still read back exactly.
    @Test func nulInsideAnyStoredDateThrowsAndValidDatesStillRead() throws {
        let path = makeTemporaryStorePath()
        let store = try ResultsStore(path: path)
        try store.beginRun(sampleRun("good"))
        try store.beginRun(sampleRun("bad"))
        try store.saveResult(ResultRecord(key: "r", kind: "table", notebook: "n.md", cell: "c", payload: "{}",
                                          createdAt: Date(timeIntervalSince1970: 1_700_000_000)))
        #expect(try store.run(key: "good")?.startedAt == Date(timeIntervalSince1970: 1_700_000_000))
        #expect(try store.result(key: "r")?.createdAt == Date(timeIntervalSince1970: 1_700_000_000))
        let db = try DatabaseQueue(path: path)
        try db.write { db in
            try db.execute(sql: "UPDATE runs SET startedAt = '2023' || char(0) || '-11-14 22:13:20' WHERE key = 'bad'")
            try db.execute(sql: "UPDATE results SET createdAt = '20' || char(0) || '23-11-14 22:13:20'")
        }
        #expect(try store.run(key: "good")?.startedAt == Date(timeIntervalSince1970: 1_700_000_000))
        #expect(throws: (any Error).self) { _ = try store.run(key: "bad") }
        #expect(throws: (any Error).self) { _ = try store.result(key: "r") }
    }
}
