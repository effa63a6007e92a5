// Support for the end-to-end notebook tests: a tiny notebook, sandboxes, collected logs, and one
// trained baseline store that tests copy instead of training the same three runs again.

import Experiments
import Foundation
import Notebook
import Testing
import Vision

/// Lines and events collected from `RunOptions.log` / `progress` (thread-safe).
final class Collector: @unchecked Sendable {
    private let lock = NSLock()
    private var _lines: [String] = []
    private var _events: [(String, TrainingEvent)] = []

    var lines: [String] { lock.lock(); defer { lock.unlock() }; return _lines }
    var text: String { lines.joined(separator: "\n") }
    var events: [(String, TrainingEvent)] { lock.lock(); defer { lock.unlock() }; return _events }

    func log(_ line: String) { lock.lock(); _lines.append(line); lock.unlock() }
    func event(_ name: String, _ e: TrainingEvent) { lock.lock(); _events.append((name, e)); lock.unlock() }

    /// Names of the experiments that reported at least one training batch.
    var trainedNames: Set<String> {
        Set(events.compactMap { name, e in if case .batch = e { return name }; return nil })
    }
}

/// The tiny notebook of these tests: `base` and `small` train independently; `student` is `small.with(teacher: base)`,
/// so it depends on both. Pieces are parameters so tests can edit one thing.
struct TinyNotebook {
    var frontMatter = "---\ntitle: Tiny study\n---\n"
    var intro = "Plain prose: the baseline reaches `= base.top1` top-1 on the shapes."
    var baseLR = "0.05"
    var baseEpochs = 1
    var tableCall = "Table(base, small, student, columns: [.model, .top1, .params])"
    /// Extra cells appended after the outputs (e.g. one with a typo), each after a line of prose.
    var extraCells: [String] = []
    /// Extra statements appended to the experiments cell.
    var extraExperiments: String? = nil

    static let model = ".resnet(layers: [1, 1], block: .basic, channels: [8, 16])"
    static let smallModel = ".resnet(layers: [1, 1], block: .basic, channels: [4, 8])"
    static let data = ".shapes(classes: 4, size: 16, train: 128, test: 64)"

    var text: String {
        var s = frontMatter + """

        # Tiny study

        \(intro)

        ```swift config
        let base = Experiment(
            model: \(Self.model),
            data: \(Self.data),
            optimizer: .sgd(lr: \(baseLR)),
            epochs: \(baseEpochs), batchSize: 32)
        let small = Experiment(model: \(Self.smallModel), data: \(Self.data), epochs: 1, batchSize: 32)
        let student = small.with(teacher: base)

        """
        if let extra = extraExperiments { s += extra + "\n" }
        s += """
        ```

        A paragraph between the cells.

        ```swift config
        \(tableCall)
        Curves(base, small, student, metric: .testTop1)
        Samples(base, count: 2, images: 2)
        ```

        """
        for extra in extraCells { s += "\nMore prose.\n\n```swift config\n\(extra)\n```\n" }
        return s
    }

    /// 1-based line and column of the first occurrence of `needle` in `text`.
    func location(of needle: String) -> (line: Int, column: Int)? {
        for (i, line) in text.components(separatedBy: "\n").enumerated() {
            if let r = line.range(of: needle) { return (i + 1, line.utf8.distance(from: line.startIndex, to: r.lowerBound) + 1) }
        }
        return nil
    }
}

/// A temporary folder holding a notebook and an output folder, removed when the sandbox is released.
final class Sandbox {
    let root: String
    var output: String { root + "/output" }

    init(copying outputFrom: String? = nil) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("loom-e2e-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        if let src = outputFrom { try FileManager.default.copyItem(atPath: src, toPath: output) }
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    /// Writes `text` as `<name>.md` and returns its path.
    @discardableResult
    func write(_ text: String, name: String = "study") throws -> String {
        let path = root + "/" + name + ".md"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    func options(_ notebook: String, _ c: Collector) -> RunOptions {
        var o = RunOptions(notebookPath: notebook)
        o.outputDirectory = output
        o.log = { c.log($0) }
        o.progress = { e, _, _, event in c.event(e.name, event) }
        return o
    }

    /// Runs the notebook with default options (plus `configure`), returning the summary, log and HTML.
    func run(_ notebook: String, _ configure: (inout RunOptions) -> Void = { _ in }) throws -> (RunSummary, Collector, String) {
        let c = Collector()
        var o = options(notebook, c)
        configure(&o)
        let s = try runNotebook(o)
        return (s, c, try String(contentsOfFile: s.reportPath, encoding: .utf8))
    }

    /// The plan as `loom plan` sees it now: run state and key per experiment name.
    func plan(_ notebook: String) throws -> [String: (key: String, state: RunState)] {
        let (doc, ws) = try openNotebook(notebook, outputDirectory: output)
        let plan = try makePlan(document: doc, registry: notebookRegistry(), workspace: ws)
        var out: [String: (key: String, state: RunState)] = [:]
        for e in plan.experiments { out[e.name] = (e.runs[0].key, e.runs[0].state) }
        return out
    }

    func store() throws -> ResultsStore { try ResultsStore(path: output + "/loom.sqlite") }
}

/// The tiny notebook trained once (first run), shared read-only by the tests that start from a trained store.
struct Baseline {
    let sandbox: Sandbox
    let notebook: String
    let summary: RunSummary
    let log: Collector
    let html: String

    /// Trains on first use; later callers wait for it (a `static let` is initialised once, thread-safely).
    static let shared: Result<Baseline, Error> = Result {
        let box = try Sandbox()
        let path = try box.write(TinyNotebook().text)
        let (s, c, html) = try box.run(path)
        return Baseline(sandbox: box, notebook: path, summary: s, log: c, html: html)
    }

    static func get() throws -> Baseline { try shared.get() }

    /// A new sandbox whose output folder is a copy of the baseline's trained one, with the notebook written.
    static func copy(_ notebook: TinyNotebook = TinyNotebook()) throws -> (Sandbox, String) {
        let b = try get()
        let box = try Sandbox(copying: b.sandbox.output)
        return (box, try box.write(notebook.text))
    }
}

/// Checks and plans `text` in a fresh sandbox (nothing trains): the plan and every diagnostic of checking and planning,
/// rendered as `loom plan` prints them.
func planned(_ text: String) throws -> (NotebookPlan, String) {
    let box = try Sandbox()
    let (doc, ws) = try openNotebook(try box.write(text), outputDirectory: box.output)
    let plan = try makePlan(document: doc, registry: notebookRegistry(), workspace: ws)
    return (plan, (plan.check.diagnostics + plan.planningDiagnostics).map { $0.rendered(in: doc.source) }.joined(separator: "\n"))
}
