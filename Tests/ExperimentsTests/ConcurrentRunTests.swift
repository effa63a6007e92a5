// Concurrency: two `runNotebook` calls on one output folder and results store at the same time.

import Experiments
import Foundation
import GRDB
import Notebook
import Testing

/// Results of concurrent work, one slot per thread.
private final class Slots<T>: @unchecked Sendable {
    let lock = NSLock()
    var results: [Result<T, Error>?]
    init(_ n: Int) { results = Array(repeating: nil, count: n) }
}

@Suite struct ConcurrentRunTests {
    /// Runs each closure on its own thread, all at once, and waits for all of them.
    static func together<T>(_ work: [() throws -> T]) -> [Result<T, Error>] {
        let slots = Slots<T>(work.count)
        let done = DispatchSemaphore(value: 0)
        let start = DispatchSemaphore(value: 0)
        for (i, w) in work.enumerated() {
            let t = Thread {
                start.wait()
                let r = Result { try w() }
                slots.lock.lock(); slots.results[i] = r; slots.lock.unlock()
                done.signal()
            }
            t.stackSize = 8 << 20
            t.start()
        }
        for _ in work { start.signal() }
        for _ in work { done.wait() }
        return slots.results.map { $0! }
    }

    static func notebook(_ name: String, seed: Int) -> String {
        """
        # \(name)

        `= \(name).top1`

        ```swift config
        let \(name) = Experiment(model: \(TinyNotebook.smallModel), data: \(TinyNotebook.data), epochs: 1, batchSize: 32, seed: \(seed))
        Table(\(name))
        ```
        """
    }

    @Test func twoNotebooksTrainingIntoOneStoreAtOnce() throws {
        let box = try Sandbox()
        let a = try box.write(Self.notebook("a", seed: 1), name: "a")
        let b = try box.write(Self.notebook("b", seed: 2), name: "b")
        let results = Self.together([a, b].map { path in { try box.run(path) } })
        for r in results {
            let (s, c, html) = try r.get()
            #expect(s.trained == 1 && s.failed == 0 && s.exitCode(keepGoing: false) == 0, "log: \(c.text)")
            #expect(html.contains("<table"))
        }
        let store = try box.store()
        let runs = try store.runs()
        #expect(Set(runs.map(\.notebook)) == ["a", "b"])
        #expect(runs.count == 2 && runs.allSatisfy { $0.status == .succeeded })
        for r in runs { #expect(try store.epochs(key: r.key).count == 1) }
        let check = try DatabaseQueue(path: box.output + "/loom.sqlite").read { db in
            try String.fetchAll(db, sql: "PRAGMA integrity_check")
        }
        #expect(check == ["ok"])
        // Both again at once: everything cached.
        for r in Self.together([a, b].map { path in { try box.run(path) } }) {
            let (s, _, _) = try r.get()
            #expect(s.trained == 0 && s.cached == 1)
        }
    }

    @Test func oneNotebookRenderedTwiceAtOnce() throws {
        let (box, path) = try Baseline.copy()
        let results = Self.together([{ try box.run(path) }, { try box.run(path) { $0.execute = false } }])
        var pages: [String] = []
        for r in results {
            let (s, c, html) = try r.get()
            #expect(s.trained == 0 && s.cached == 3 && s.exitCode(keepGoing: false) == 0, "log: \(c.text)")
            pages.append(html)
        }
        #expect(pages[0] == pages[1])
        #expect(try String(contentsOfFile: box.output + "/study.html", encoding: .utf8) == pages[0])
        #expect(try box.store().runs().count == 3)
    }
}
