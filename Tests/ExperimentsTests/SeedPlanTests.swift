// Tests that `loom plan`'s estimate and the progress bar count seeds: one run and one analysis result per seed,
// each with its estimate, and an ETA that includes the experiment's later seeds.

@testable import Experiments
import Foundation
import Notebook
import Testing

@Suite struct SeedPlanTests {
    static func notebook(seeds: Int) -> String {
        """
        ```swift config
        let base = Experiment(model: \(TinyNotebook.smallModel), data: \(TinyNotebook.data), epochs: 2, batchSize: 32, seeds: \(seeds))
        FilteredAccuracy(base, cutoffs: [2], examples: 16)
        ```
        """
    }

    static func plan(seeds: Int) throws -> (NotebookPlan, PlanListing) {
        let box = try Sandbox()
        let path = try box.write(notebook(seeds: seeds))
        let (doc, ws) = try openNotebook(path, outputDirectory: box.output)
        // A fixed throughput makes the estimates comparable (the store has measured nothing).
        let plan = try makePlan(document: doc, registry: notebookRegistry(), workspace: ws, throughput: 0.01)
        return (plan, try PlanListing(notebook: path, outputDirectory: box.output))
    }

    @Test func planCountsEverySeed() throws {
        let (one, _) = try Self.plan(seeds: 1)
        let (three, listing) = try Self.plan(seeds: 3)
        let single = try #require(one.experiments.first?.runs.first?.estimate)
        let runs = try #require(three.experiments.first?.runs)
        #expect(runs.map(\.seed) == [0, 1, 2])
        #expect(single > 0 && runs.allSatisfy { abs($0.estimate - single) < 1e-9 * single })
        let results = try #require(three.analyses.first?.targets)
        #expect(results.map(\.seed) == [0, 1, 2] && results.allSatisfy { $0.estimate > 0 })
        // loom plan lists one row per seed of the run and of the analysis, with the seed in its column.
        #expect(listing.rows.filter { $0[1] == "base" }.map { $0[2] } == ["0", "1", "2"])
        #expect(listing.rows.filter { $0[1] == "FilteredAccuracy(base)" }.map { $0[2] } == ["0", "1", "2"])
        // The log line of step 3 counts runs, not experiments.
        var lines: [String] = []
        logPlan(three) { lines.append($0) }
        #expect(lines.contains { $0.contains("1 experiments, 3 runs: 3 to run") }, "\(lines)")
        #expect(lines.contains { $0.contains("1 analyses, 3 results: 3 to compute") }, "\(lines)")
    }

    @Test func progressETACountsTheLaterSeeds() throws {
        let (plan, _) = try Self.plan(seeds: 3)
        let e = try #require(plan.experiments.first)
        // 4 batches of 32 images per epoch at 128 images/s: one second per epoch, two per seed.
        func text(seed: Int) -> String {
            guard case let .bar(_, text) = ProgressLine(e, seedIndex: seed, seeds: 3,
                                                         event: .batch(epoch: 0, batch: 0, of: 4, loss: 1, imagesPerSecond: 128))
            else { return "" }
            return text()
        }
        // A quarter of epoch 1 done: 1.75 s left of this seed, plus 2 s for each later seed.
        #expect(text(seed: 0).contains("seed 1/3") && text(seed: 0).hasSuffix("ETA 6s (with 2 more seeds)"), "\(text(seed: 0))")
        #expect(text(seed: 1).hasSuffix("ETA 4s (with 1 more seed)"), "\(text(seed: 1))")
        #expect(text(seed: 2).hasSuffix("ETA 2s"), "\(text(seed: 2))")
    }
}
