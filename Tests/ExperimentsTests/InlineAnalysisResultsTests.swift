// Inline results beyond run metrics (docs/design.md §3.4): analysis results read at a point, spreads over seeds, and
// `compare(a, b)` worded by Welch's test — parsed, checked, planned and rendered from the stored payloads.
import Experiments
import Foundation
import Notebook
import Testing

/// A two-seed notebook with every analysis that declares inline results, and `prose` before its cells.
private func notebook(_ prose: String, analyses: String = """
    FrequencyAnalysis(base, examples: 4)
    FilteredAccuracy(base, small, cutoffs: [2, 4], examples: 16)
    FrequencyNoise(base, examples: 8)
    FourierHeatmap(base, examples: 2)
    ShapeBias(base, small, radii: [3], examples: 16)
    """) -> String {
    """
    ---
    title: Inline analyses
    ---

    \(prose)

    ```swift config
    let base = Experiment(model: \(TinyNotebook.smallModel), data: \(TinyNotebook.data), epochs: 1, batchSize: 32, seeds: 2)
    let small = base.with(model: \(TinyNotebook.model))
    ```

    ```swift config
    \(analyses)
    ```
    """
}

/// Every diagnostic of checking and planning `text`, rendered.
private func problems(_ text: String) throws -> String { try planned(text).1 }

@Suite struct InlineSyntaxTests {
    @Test func comparisonsAndArgumentsParse() throws {
        let doc = Document(text: "`= compare(vit.shapeBias, base.shapeBias)` and `= base.lowPass(4)` and "
                           + "`= base.noiseDrop(at: 0.9) - small.noiseDrop(at: 0.9)` and `= base.deltaLogA(depth: 1)`\n")
        #expect(doc.diagnostics.isEmpty, "\(doc.diagnostics)")
        let refs = doc.inlineReferences
        #expect(refs.map(\.form) == [.comparison, .value, .difference, .value])
        #expect(refs.map(\.expression) == ["compare(vit.shapeBias, base.shapeBias)", "base.lowPass(4)",
                                           "base.noiseDrop(at: 0.9) - small.noiseDrop(at: 0.9)", "base.deltaLogA(depth: 1)"])
        #expect(refs[0].operands[1].binding.range.start == SourcePosition(line: 1, column: 27))
        #expect(refs[2].operands.map(\.number) == [0.9, 0.9] && refs[1].operands[0].number == 4)
        #expect(InlineReference.parse("compare(a.top1, b.top1)")?.form == .comparison)
    }

    @Test func malformedComparisonsAreDiagnostics() {
        let cases: [(String, String)] = [
            ("`= compare(a.top1)`", "a comparison names two results"),
            ("`= compare(a.top1, b.top1, c.top1)`", "found 3 arguments"),
            ("`= compare(a: a.top1, b.top1)`", "remove the label `a:`"),
            ("`= compare(a.top1, 3)`", "found an integer"),
            ("`= base.lowPass(2, 4)`", "takes one argument"),
        ]
        for (span, expected) in cases {
            let d = Document(text: span + "\n").diagnostics
            #expect(d.count == 1 && d[0].message.contains(expected), "\(span): \(d.map(\.message))")
        }
    }
}

@Suite struct InlineAnalysisCheckTests {
    @Test func argumentsAreCheckedLikeCells() throws {
        let cases: [(String, String)] = [
            ("`= base.lowPass`", "`lowPass` is read at one of the `FilteredAccuracy` cell's cutoffs; write it as `lowPass(4)`"),
            ("`= base.top1(4)`", "`top1` takes no argument"),
            ("`= base.noiseDrop(0.9)`", "`noiseDrop` takes its argument with `at:`"),
            ("`= base.noiseDrop(at: 2)`", "2"),
            ("`= base.shapeBais`", "did you mean `shapeBias`?"),
            ("`= compare(base.top1, base.published.trainTime)`", "is a text result, so it cannot be compared"),
        ]
        for (span, expected) in cases {
            let messages = try problems(notebook("Prose quoting \(span) here."))
            #expect(messages.contains(expected), "\(span): \(messages)")
        }
    }

    @Test func planningNamesTheMissingCellOrPoint() throws {
        let none = try problems(notebook("Bias `= base.shapeBias`.", analyses: "FrequencyAnalysis(base, examples: 4)"))
        #expect(none.contains("no `ShapeBias` cell analyses `base`; add one, as in `ShapeBias(base)`"), "\(none)")
        let point = try problems(notebook("At five: `= base.lowPass(5)`."))
        #expect(point.contains("the `FilteredAccuracy` of `base` computes lowPass at 2, 4 only"), "\(point)")
        #expect(try problems(notebook("At four: `= base.lowPass(4)`, `= compare(small.lowPass(4), base.lowPass(4))`.")).isEmpty)
    }
}

@Suite struct InlineAnalysisRenderTests {
    static let prose = """
        Bias `= base.shapeBias`, hybrid `= base.hybridShapeBias(3)`, low `= base.lowPass(4)`, high `= base.highPass(2)`,
        noise `= base.noiseDrop(at: 0.5)`, heat `= base.heatmapError`, first `= base.deltaLogA(depth: 0)`,
        last `= base.deltaLogA(depth: 1)`; small is `= compare(small.lowPass(4), base.lowPass(4))` base and
        `= compare(small.top1, base.top1)` base; `= small.lowPass(4) - base.lowPass(4)`.
        """

    /// Each value is the mean ± std of the seeds' stored payloads, formatted as the tables format it, and each
    /// comparison is Welch's verdict on the same values.
    @Test func valuesComeFromEverySeedsPayload() throws {
        let box = try Sandbox()
        let path = try box.write(notebook(Self.prose))
        let (summary, log, html) = try box.run(path)
        #expect(summary.failed == 0 && summary.errors == 0, "\(log.text)")
        #expect(!html.contains("ref unresolved"), "an inline value did not resolve")
        let (doc, ws) = try openNotebook(path, outputDirectory: box.output)
        let plan = try makePlan(document: doc, registry: notebookRegistry(), workspace: ws)
        let store = try box.store()
        func payloads(_ call: String, _ run: String) throws -> [[String: Any]] {
            let a = try #require(plan.analyses.first { $0.call == call })
            return try a.targets.filter { $0.experiment.name == run }.map { t in
                let record = try #require(try store.result(key: t.key))
                return try #require(try JSONSerialization.jsonObject(with: Data(record.payload.utf8)) as? [String: Any])
            }
        }
        func shown(_ values: [Double], decimals: Int = 1, scale: Double = 100, suffix: String) -> String {
            let m = SeedComparison.mean(values), s = SeedComparison.variance(values).squareRoot()
            return String(format: "%.\(decimals)f ± %.\(decimals)f", m * scale, s * scale) + suffix
        }
        func inline(_ expression: String) -> String? {
            html.firstMatch(of: try! Regex("title=\"\(NSRegularExpression.escapedPattern(for: expression))[^\"]*\">([^<]*)</a>"))
                .map { String($0.output[1].substring ?? "") }
        }
        let low = try payloads("FilteredAccuracy", "base").map { ($0["lowPass"] as! [Double])[1] }
        #expect(inline("base.lowPass(4)") == shown(low, suffix: " %"))
        let noise = try payloads("FrequencyNoise", "base").map { p in (p["clean"] as! Double) - (p["accuracy"] as! [Double])[5] }
        #expect(inline("base.noiseDrop(at: 0.5)") == shown(noise, suffix: " pp"))
        let last = try payloads("FrequencyAnalysis", "base").map { (($0["layers"] as! [[String: Any]]).last!["deltaLast"] as! Double) }
        #expect(inline("base.deltaLogA(depth: 1)") == shown(last, decimals: 2, scale: 1, suffix: ""))
        let bias = try payloads("ShapeBias", "base").map { p -> Double in
            let c = p["cueConflict"] as! [String: Any]
            return Double(c["shape"] as! Int) / Double((c["shape"] as! Int) + (c["texture"] as! Int))
        }
        #expect(inline("base.shapeBias") == shown(bias, suffix: " %"))
        let smallLow = try payloads("FilteredAccuracy", "small").map { ($0["lowPass"] as! [Double])[1] }
        let verdict = try #require(SeedComparison(row: smallLow, reference: low))
        let words = verdict.verdict == .withinNoise ? "within noise of" : verdict.delta > 0 ? "higher than" : "lower than"
        #expect(inline("compare(small.lowPass(4), base.lowPass(4))") == words)
        #expect(html.contains("title=\"compare(small.lowPass(4), base.lowPass(4)) — Δ = "), "the tooltip states the test")
    }
}
