// Tests of a Table's `baseline:` on constructed stores: a clear difference, one within noise, one seed (docs/methods.md §12).
import Foundation
import Testing
@testable import Experiments
import Notebook

@Suite struct ComparisonTests {
    /// Four experiments on tiny `.shapes` data that never train here: the store is filled by hand with chosen top-1s.
    static let notebook = """
    ---
    title: Comparison
    ---

    ```swift config
    let base = Experiment(model: .resnet(layers: [1, 1], block: .basic, channels: [4, 8]),
                          data: .shapes(classes: 4, size: 16, train: 32, test: 16), epochs: 1, seeds: 3)
    let better = base.with(optimizer: .sgd(lr: 0.05))
    let close = base.with(optimizer: .sgd(lr: 0.2))
    let single = base.with(seeds: 1, epochs: 2)
    Table(base, better, close, single, columns: [.top1, .params], baseline: base)
    Curves(base, single)
    Bars(base, single)
    ```
    """

    /// Top-1 per seed of each experiment.
    static let top1: [String: [Double]] = [
        "base": [0.70, 0.71, 0.72], "better": [0.80, 0.81, 0.79], "close": [0.705, 0.72, 0.715], "single": [0.75],
    ]

    /// Writes a succeeded run for every planned seed with the chosen top-1, then renders without executing.
    static func render(_ notebook: String) throws -> String {
        let box = try Sandbox()
        let path = try box.write(notebook)
        let (doc, ws) = try openNotebook(path, outputDirectory: box.output)
        let plan = try makePlan(document: doc, registry: notebookRegistry(), workspace: ws)
        for e in plan.experiments {
            for (i, run) in e.runs.enumerated() {
                try ws.store.beginRun(RunRecord(key: run.key, notebook: "study.md", cell: e.name, config: "{}", seeds: [run.seed],
                                                environment: RunEnvironment(engineVersion: "e1", threads: 1)))
                for epoch in 0..<2 {
                    try ws.store.appendEpoch(EpochRecord(runKey: run.key, seed: run.seed, epoch: epoch, trainLoss: 1, testLoss: 1,
                                                         top1: Self.top1[e.name]![i] - 0.1 * Double(1 - epoch), top5: 1, lr: 0.1))
                }
                try ws.store.finishRun(key: run.key, outcome: .succeeded,
                                       summary: ["top1": Self.top1[e.name]![i], "params": 1000], endedAt: Date(timeIntervalSince1970: 0))
            }
        }
        let (_, _, html) = try box.run(path) { $0.execute = false }
        return html
    }

    @Test func differencesAreJudgedAgainstTheSeedSpread() throws {
        let html = try Self.render(Self.notebook)
        #expect(html.contains("Δ top-1 vs base"))
        // better − base = +9.0 points, Welch p ≈ 0.0004: beyond the spread.
        #expect(html.contains("+9.0<span class=\"std\"> (exceeds noise)</span>"), "\(html)")
        // close − base = +0.3 points, Welch p ≈ 0.67.
        #expect(html.contains("+0.3<span class=\"std\"> (within noise)</span>"))
        // One seed: the spread is unknown and nothing is claimed.
        #expect(html.contains("+4.0<span class=\"std\"> (1 seed: spread unknown)</span>"))
        #expect(!html.contains("+4.0<span class=\"std\"> (exceeds"))
        #expect(html.contains(">reference<"))
        // The parameter count does not depend on the seed: no "± 0" after it.
        #expect(html.contains(">1k</td>") && !html.contains("1k<span class=\"std\">"), "\(html)")
        #expect(html.contains("Welch"))
        // The CSV download says the same.
        let csvs = html.components(separatedBy: "href=\"data:text/csv;charset=utf-8,").dropFirst()
            .compactMap { $0.components(separatedBy: "\"").first?.removingPercentEncoding }
        let csv = try #require(csvs.first { $0.contains("Δ") }, "\(csvs)")
        #expect(csv.contains("Δ top-1 vs base (pp)"), "\(csv)")
        #expect(csv.contains("(within noise; Welch's t-test, p = 0.67"), "\(csv)")
        #expect(csv.contains("(exceeds noise; Welch's t-test, p = 0.00039"), "\(csv)")
        #expect(csv.contains("(1 seed: spread unknown;"), "\(csv)")
    }

    @Test func comparedMetricsAreChosenAndPlacedAfterTheirColumn() throws {
        let text = Self.notebook.replacingOccurrences(of: "baseline: base)",
                                                      with: "baseline: .compare(to: close, metrics: [.params, .top1]))")
        let html = try Self.render(text)
        let header = try #require(html.components(separatedBy: "<thead>").dropFirst()
            .compactMap { $0.components(separatedBy: "</thead>").first }.first { $0.contains("Δ") })
        let order = ["top-1", "Δ top-1 vs close", "params", "Δ params vs close"].map { header.range(of: $0)?.lowerBound }
        #expect(order.allSatisfy { $0 != nil }, "\(header)")
        #expect(order.compactMap { $0 }.sorted() == order.compactMap { $0 }, "\(header)")
        // Equal parameter counts with no spread: a zero difference, within noise.
        #expect(html.contains("±0<span class=\"std\"> (within noise)</span>"), "\(html)")
    }

    @Test func curvesShadeTheSpreadAndBarsDrawIt() throws {
        let html = try Self.render(Self.notebook)
        // base has three seeds: a band around its mean line; single has one: none.
        #expect(html.components(separatedBy: "<path class=\"f0 spread\"").count - 1 == 1, "\(html)")
        #expect(!html.contains("f1 spread"))
        #expect(html.contains("<title>base: ± 1 std</title>"))
        // Epoch 2 of base: mean 71 %, std 1 point; the curve's CSV says so.
        let csvs = html.components(separatedBy: "href=\"data:text/csv;charset=utf-8,").dropFirst()
            .compactMap { $0.components(separatedBy: "\"").first?.removingPercentEncoding }
        let curve = try #require(csvs.first { $0.hasPrefix("series,epoch") }, "\(csvs)")
        let row = try #require(curve.components(separatedBy: "\r\n").first { $0.hasPrefix("base,2.0,") })
        let fields = row.split(separator: ",").compactMap { Double($0) }
        #expect(fields.count == 3 && abs(fields[1] - 71) < 1e-9 && abs(fields[2] - 1) < 1e-9, "\(row)")
        #expect(curve.contains("single,2.0,75.0,\r\n") || curve.contains("single,2.0,75.00000000000001,\r\n"), "\(curve)")
        // Bars: an error bar for base only.
        let bars = try #require(csvs.first { $0.hasPrefix("category") }, "\(csvs)")
        #expect(bars.contains("base,71."), "\(bars)")
        #expect(html.contains("class=\"error-bar\""))
    }
}
