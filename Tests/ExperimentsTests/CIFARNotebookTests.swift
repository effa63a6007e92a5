// notebooks/cifar100.md: `loom plan` and `loom render` without the CIFAR-100 files, and its miniature (the same
// cells on `.shapes`, one epoch, tiny widths) trained end to end on the embedded backend.
import Experiments
import Foundation
import Notebook
import Testing
import TestSupport

/// The study notebook and the miniature derived from its text, so the miniature follows every edit of the cells.
enum CIFARNotebook {
    static let path = repositoryRoot.appendingPathComponent("notebooks/cifar100.md").path

    static func text() throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

    /// The bindings of the notebook's `let` statements, in order (experiments and sweeps).
    static func bindings(_ text: String) -> [String] {
        text.matches(of: #/\nlet (\w+) = /#).map { String($0.output.1) }
    }

    /// The first arguments of every `Table(` call: one list of row names per table.
    static func tables(_ text: String) -> [[String]] {
        text.matches(of: #/Table\(([\w, \n]+?),\s*columns:/#).map { m in
            m.output.1.split(separator: ",").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        }
    }

    /// The notebook with the front matter's backend removed (embedded runs), CIFAR-100 replaced by a small `.shapes`
    /// set, ResNet-50/101 by two-stage bottleneck nets of width 4 (101 keeps one block more), one epoch, one seed,
    /// batch 16, crops scaled to the 16-pixel images (32 → 16, 224 → 24) and schedules fitted into one epoch.
    /// `keepBackend` keeps the front matter's torch backend (the torch variant of the test).
    static func miniature(_ text: String, keepBackend: Bool = false) -> String {
        var s = keepBackend ? text : text.replacing(#/\nbackend: [^\n]+/#, with: "")
        s = s.replacing(#".cifar100(path: "data/cifar-100-binary")"#, with: ".shapes(classes: 4, size: 16, train: 48, test: 16)")
        s = s.replacing(#/depth: 101/#, with: "layers: [1, 2], block: .bottleneck, width: 4")
        s = s.replacing(#/depth: 50/#, with: "layers: [1, 1], block: .bottleneck, width: 4")
        s = s.replacing(#/randomResizedCrop\(size: 32\)/#, with: "randomResizedCrop(size: 16)")
        s = s.replacing(#/randomResizedCrop\(size: 224\)/#, with: "randomResizedCrop(size: 24)")
        s = s.replacing(#/warmupEpochs: \d+/#, with: "warmupEpochs: 0")
        s = s.replacing(#/milestones: \[[\d, ]+\]/#, with: "milestones: [1]")
        s = s.replacing(#/epochs: \d+/#, with: "epochs: 1")
        s = s.replacing(#/seeds: \d+/#, with: "seeds: 1")
        return s.replacing(#/batchSize: \d+/#, with: "batchSize: 16")
    }
}

@Suite struct CIFARNotebookTests {
    /// Bindings that carry a `Published` statement.
    static func published(_ text: String) -> Set<String> {
        Set(text.matches(of: #/Published\((\w+),/#).map { String($0.output.1) })
    }

    @Test func theStudyHasEveryRowOfBothTablesAndItsPublishedValues() throws {
        let text = try CIFARNotebook.text()
        let names = CIFARNotebook.bindings(text)
        for row in ["r50", "se50", "r50aa", "se101aa", "t1", "t2", "t3", "t4", "t5", "t6", "t6wd",
                    "stemImagenet32", "stemImagenet224", "kd", "cbam50"] {
            #expect(names.contains(row), "\(row) missing from \(names)")
        }
        // Ten published rows: four of table 1, six of table 2.
        #expect(Self.published(text) == ["r50", "se50", "r50aa", "se101aa", "t1", "t2", "t3", "t4", "t5", "t6"])
        #expect(text.contains("backend: '.torch(processes: 2)'"))
        #expect(!text.contains("shared/"), "the notebook names a path outside the repository")
    }

    /// `loom plan` and `loom render` on a copy of the notebook in a folder without `data/`: every run planned on the
    /// torch backend, every table rendered with its published column, each experiment marked as missing its data.
    @Test func plansAndRendersWithoutTheDataFiles() throws {
        let box = try Sandbox()
        let notebook = try box.write(try CIFARNotebook.text(), name: "cifar100")
        let plan = try LoomProcess.run(["plan", notebook, "--output", box.output])
        #expect(plan.exited && plan.status == 0, "loom plan: \(plan.status)\n\(plan.stderr)")
        #expect(!plan.stderr.contains("error"), "\(plan.stderr)")
        let rows = plan.stdout.split(separator: "\n").filter { $0.contains(" will run ") }
        // 14 experiments and the two points of t6wd (the first is t6's run) × 3 seeds; 45 distinct runs.
        #expect(rows.count == 16 * 3, "\(plan.stdout)")
        #expect(rows.allSatisfy { $0.contains(" unknown ") && $0.contains(" torch 2×1 local ") }, "\(plan.stdout)")
        #expect(plan.stdout.contains("to run: 45 torch runs of unknown time"), "\(plan.stdout)")

        let render = try LoomProcess.run(["render", notebook, "--output", box.output])
        #expect(render.exited && render.status == 0, "loom render: \(render.status)\n\(render.stderr)")
        #expect(render.stderr.contains("48 to run (48 on torch, time unknown)"), "\(render.stderr)")
        let html = try String(contentsOfFile: box.output + "/cifar100.html", encoding: .utf8)
        #expect(!html.contains("class=\"error-box\""))
        let text = try CIFARNotebook.text()
        let tables = CIFARNotebook.tables(text)
        #expect(tables.count == 5)
        let withPublished = tables.filter { !Set($0).isDisjoint(with: Self.published(text)) }.count
        #expect(html.components(separatedBy: "top-1 (published)").count - 1 >= withPublished, "published columns")
        for value in ["79.05", "80.00", "81.62", "82.85", "61.39", "67.78", "67.64", "81.02", "81.91", "77.25"] {
            #expect(html.contains(value), "published \(value) not in the report")
        }
        #expect(html.contains("differs from row 1"))

        // `loom run` launches nothing: every experiment, the distilled student included, is marked as missing its data.
        let run = try LoomProcess.run(["run", notebook, "--output", box.output])
        #expect(run.exited && run.status == RunSummary.dataMissingStatus, "loom run: \(run.status)\n\(run.stderr)")
        let ran = try String(contentsOfFile: box.output + "/cifar100.html", encoding: .utf8)
        #expect(!ran.contains("class=\"error-box\""), "an error box in the report of `loom run`")
        for name in CIFARNotebook.bindings(text) where name != "t6wd" {
            #expect(run.stderr.contains("data missing for \(name):"), "\(name) not reported as missing its data")
        }
        #expect(ran.contains("cifar-100-binary/train.bin is missing"))
    }

    /// `loom plan`'s estimate is measured on the embedded engine: a torch run's time reads "unknown" and stays out of
    /// the total, while an embedded run beside it keeps its figure.
    @Test func planShowsTorchEstimatesAsUnknown() throws {
        let box = try Sandbox()
        let notebook = try box.write("""
            ```swift config
            let cpu = Experiment(model: .resnet(layers: [1], channels: [4]), data: .shapes(classes: 4, size: 16, train: 32, test: 16),
                                 epochs: 1, batchSize: 16)
            let gpu = cpu.with(backend: .torch(processes: 2))
            ```
            """)
        let listing = try PlanListing(notebook: notebook, outputDirectory: box.output)
        let cpuRow = try #require(listing.rows.first { $0[1] == "cpu" }), gpuRow = try #require(listing.rows.first { $0[1] == "gpu" })
        #expect(cpuRow[4] != "unknown" && !cpuRow[4].isEmpty, "\(cpuRow)")
        #expect(gpuRow[4] == "unknown" && gpuRow[5] == "torch 2×1 local", "\(gpuRow)")
        #expect(listing.totals[0].hasSuffix(" + 1 torch run of unknown time"), "\(listing.totals)")
    }

    /// The miniature derived from the notebook's text trains every experiment on the embedded engine and renders
    /// every table, inline value and published column without an error.
    @Test func theMiniatureRunsEndToEnd() throws {
        let original = try CIFARNotebook.text()
        let mini = CIFARNotebook.miniature(original)
        #expect(!mini.contains("cifar100(") && !mini.contains("depth:") && !mini.contains("seeds: 3"))
        #expect(!mini.contains("\nbackend:") && original.contains("\nbackend:"), "the front matter's backend is still there")
        let log = try Self.runMiniature(mini, original: original)
        let trained = log.trainedNames
        for name in CIFARNotebook.bindings(mini) where name != "t6wd" {
            #expect(trained.contains(name), "\(name) did not train")
        }
    }

    /// The same miniature on the torch backend of the front matter (torchrun with two processes on the CPU).
    @Test(.enabled(if: torchPython != nil, "LOOM_TORCH_PYTHON not set"))
    func theMiniatureRunsEndToEndOnTorch() throws {
        let original = try CIFARNotebook.text()
        let mini = CIFARNotebook.miniature(original, keepBackend: true)
        #expect(mini.contains("\nbackend: '.torch(processes: 2)'"))
        _ = try Self.runMiniature(mini, original: original)
    }

    /// Runs a miniature: no failure, error box, missing data or unresolved inline value; every run stored (a second
    /// plan finds all of them cached); every table with a published row shows the published column.
    static func runMiniature(_ mini: String, original: String) throws -> Collector {
        #expect(CIFARNotebook.bindings(mini) == CIFARNotebook.bindings(original))
        let box = try Sandbox()
        let path = try box.write(mini, name: "cifar100-mini")
        let (summary, log, html) = try box.run(path)
        #expect(summary.failed == 0 && summary.errors == 0, "\(log.text)")
        #expect(!html.contains("class=\"error-box\""))
        #expect(!log.text.contains("data missing"), "\(log.text)")
        #expect(!html.contains("class=\"ref unresolved\""), "an inline value did not resolve")
        let states = try box.plan(path)
        #expect(states.count == CIFARNotebook.bindings(mini).count + 1, "\(states.keys.sorted())")
        for (name, s) in states { #expect(s.state == .cached, "\(name) is \(s.state) after the run") }
        let published = published(original)
        let withPublished = CIFARNotebook.tables(original).filter { !Set($0).isDisjoint(with: published) }.count
        #expect(html.components(separatedBy: "top-1 (published)").count - 1 >= withPublished)
        return log
    }
}
