// Tests of analyses over seeds: one result per seed's trained model, the first seed's key unchanged, and the
// report's mean ± std (docs/methods.md §12.3), on a tiny `.shapes` model with seeds: 2.

import Experiments
import Foundation
import Notebook
import Testing

@Suite struct SeedAnalysisTests {
    static func notebook(seeds: Int) -> String {
        """
        ---
        title: Seeds
        ---

        ```swift config
        let base = Experiment(model: \(TinyNotebook.smallModel), data: \(TinyNotebook.data), epochs: 1, batchSize: 32, seeds: \(seeds))
        ```

        ```swift config
        FrequencyAnalysis(base, examples: 4)
        FilteredAccuracy(base, cutoffs: [2, 4], examples: 16)
        FrequencyNoise(base, examples: 8)
        FourierHeatmap(base, examples: 2)
        ShapeBias(base, radii: [3], examples: 16)
        ```
        """
    }

    /// Analysis result keys per call as planned now, in seed order.
    static func analysisKeys(_ box: Sandbox, _ path: String) throws -> [String: [(seed: Int, key: String)]] {
        let (doc, ws) = try openNotebook(path, outputDirectory: box.output)
        let plan = try makePlan(document: doc, registry: notebookRegistry(), workspace: ws)
        return Dictionary(uniqueKeysWithValues: plan.analyses.map { a in (a.call, a.targets.map { ($0.seed, $0.key) }) })
    }

    @Test func eachSeedIsAnalysedAndTheFirstSeedKeepsItsKey() throws {
        let box = try Sandbox()
        let path = try box.write(Self.notebook(seeds: 1))
        let one = try Self.analysisKeys(box, path)
        try box.write(Self.notebook(seeds: 2))
        let two = try Self.analysisKeys(box, path)
        #expect(two.count == 5)
        for (call, targets) in two {
            #expect(targets.map(\.seed) == [0, 1], "\(call)")
            // Seed 0's result has the key a one-seed experiment gave it: stores keep their cached analyses.
            #expect(targets[0].key == one[call]?.first?.key, "\(call)")
            #expect(targets[0].key != targets[1].key)
        }

        let (summary, log, html) = try box.run(path)
        #expect(summary.trained == 2 && summary.analysed == 10 && summary.failed == 0, "\(log.text)")
        #expect(log.text.contains("analysis ShapeBias(base (seed 1)) done"), "\(log.text)")
        let store = try box.store()
        let results = try store.results()
        for (call, targets) in two {
            #expect(Set(results.filter { $0.kind == call }.map(\.key)) == Set(targets.map(\.key)), "\(call)")
        }
        #expect(!html.contains("class=\"error-box"), "an analysis rendered an error")

        // The filtered-accuracy table shows the mean ± std over the two seeds' stored clean accuracies.
        let clean = try results.filter { $0.kind == "FilteredAccuracy" }.map { r -> Double in
            let object = try #require(try JSONSerialization.jsonObject(with: Data(r.payload.utf8)) as? [String: Any])
            return try #require(object["clean"] as? Double)
        }
        #expect(clean.count == 2)
        let mean = (clean[0] + clean[1]) / 2, std = abs(clean[0] - clean[1]) / 2.squareRoot()
        let expected = NumberFormat.percent(1).format(mean) + "<span class=\"std\"> ± " + NumberFormat.percent(1).format(std)
        #expect(html.contains(expected), "no \(expected) in the filtered-accuracy table")
        #expect(html.contains("<td>base (2 seeds)</td>"))
        // Curves of ΔlogA carry a band; filtered accuracy and noise error bars; shape bias error bars; heat map a mean.
        #expect(html.contains("<path class=\"f0 spread\""))
        #expect(html.contains("mean over seeds, bars ± 1 std"))
        #expect(html.components(separatedBy: "class=\"error-bar\"").count - 1 >= 3)
        #expect(html.contains("Fourier heat map of base (mean of 2 seeds)"))
        #expect(html.contains("mean log amplitude spectra of base (seed 0)"))
        // The provenance lines name each seed's result.
        #expect(html.contains("ShapeBias(base (seed 1))"))

        // Rendering again from the store alone gives the same bytes.
        let (again, _, html2) = try box.run(path) { $0.execute = false }
        #expect(again.analysed == 0 && html2 == html)
    }
}
