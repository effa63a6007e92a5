// notebooks/study.md states no result it did not compute: its prose carries no hand-typed result, and its miniature,
// rendered from a store whose numbers were then altered, re-renders every quoted value and every comparison.
import Experiments
import Foundation
import Notebook
import Testing
import TestSupport

/// The study notebook, its prose, and the miniature derived from its text (so the miniature follows every edit).
enum StudyNotebook {
    static let path = repositoryRoot.appendingPathComponent("notebooks/study.md").path

    static func text() throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

    /// The same cells at a size a debug build trains in seconds: 96 training images, one epoch, two seeds (the
    /// fewest with a spread), tiny widths; the heavier analyses on a few images.
    static func miniature(_ text: String) -> String {
        var s = text.replacing("train: 2_400, test: 600", with: "train: 96, test: 48")
        s = s.replacing("channels: [16, 32, 64], width: 16", with: "channels: [4, 8, 8], width: 4")
        s = s.replacing("dim: 64, depth: 4, heads: 4", with: "dim: 16, depth: 1, heads: 2")
        s = s.replacing(#/warmupEpochs: \d+/#, with: "warmupEpochs: 0")
        s = s.replacing(#/epochs: \d+/#, with: "epochs: 1")  // `warmupEpochs` has a capital E
        s = s.replacing(#/seeds: \d+/#, with: "seeds: 2")
        s = s.replacing(#/batchSize: \d+/#, with: "batchSize: 16")
        s = s.replacing(#/examples: \d+/#, with: "examples: 2")
        return s.replacing(#/images: 8/#, with: "images: 2")
    }

    /// The prose of the notebook: every line outside fenced blocks and the front matter, with code spans (inline
    /// results among them) removed.
    static func prose(_ text: String) -> [(line: Int, text: String)] {
        var out: [(Int, String)] = []
        var fenced = false, front = text.hasPrefix("---\n")
        for (i, line) in text.components(separatedBy: "\n").enumerated() {
            if i > 0, front { if line == "---" { front = false }; continue }
            if line.hasPrefix("```") { fenced.toggle(); continue }
            guard !fenced, !front else { continue }
            // Code spans and section references (a section sign and its number) are not statements of results.
            out.append((i + 1, line.replacing(#/`[^`]*`/#, with: "").replacing(#/\u{A7}[\d.–]+/#, with: "")))
        }
        return out
    }

    /// The inline results of a page in order: expression and rendered text.
    static func inlineValues(_ html: String) -> [(expression: String, text: String)] {
        html.matches(of: #/<a class="ref" href="#[^"]*" title="([^"]*)">([^<]*)</a>/#).map { m in
            (String(m.output.1).components(separatedBy: " — ")[0], String(m.output.2))
        }
    }
}

@Suite struct StudyNotebookTests {
    /// A result stated in prose is a number with a unit of accuracy ("%", "pp", "points") or with a decimal point
    /// ("1.6", "0.9π"). Outside inline results, such a number may only restate a setting of the cells (a texture
    /// cue of 0.8, noise at 0.9π) or the significance level of the comparisons.
    @Test func proseStatesNoNumberTheCellsDidNotCompute() throws {
        let text = try StudyNotebook.text()
        let fences: [String] = text.components(separatedBy: "```")
        var codeNumbers = Set<String>(), inlineNumbers = Set<String>()
        for (i, block) in fences.enumerated() where i % 2 == 1 {
            for m in block.matches(of: #/\d+(?:\.\d+)?/#) { codeNumbers.insert(String(m.output)) }
        }
        for span in text.matches(of: #/`=[^`]*`/#) {
            for m in String(span.output).matches(of: #/\d+(?:\.\d+)?/#) { inlineNumbers.insert(String(m.output)) }
        }
        let level = NumberFormat.automatic.format(SeedComparison.level * 100)  // "5": the comparisons' 5 % level
        var offenders: [String] = []
        for (line, prose) in StudyNotebook.prose(text) {
            for m in prose.matches(of: #/(\d+(?:[.,]\d+)*)\s*(%|pp\b|points?\b|π)?/#) {
                let number = String(m.output.1), unit = m.output.2.map(String.init)
                let decimal = number.contains(".")
                guard unit != nil || decimal else { continue }
                if unit == "%", number == level { continue }
                if codeNumbers.contains(number) || inlineNumbers.contains(number) { continue }
                offenders.append("line \(line): \(m.output.0)")
            }
        }
        #expect(codeNumbers.contains("0.8") && inlineNumbers.contains("0.9"))
        #expect(offenders.isEmpty, "hand-typed results in notebooks/study.md: \(offenders)")
    }

    @Test func everyExperimentRunsThreeSeedsAndTheFindingsAreThere() throws {
        let text = try StudyNotebook.text()
        #expect(text.contains("seeds: 3"))
        #expect(!text.contains("seeds: 1") && !text.contains("seed: 1,"))
        for needle in ["stem: .imagenet", "teacher: .distill(teacher:", "attention: .cbam", "attention: .se", ".lion(",
                       "mix: .cutmix(", "labelSmoothing:", ".vit(", "ShapeBias(", "FrequencyAnalysis(", "compare("] {
            #expect(text.contains(needle), "\(needle) is missing")
        }
    }

    /// Runs the miniature, then rewrites every stored number (accuracies, losses and the analyses' measured values
    /// to c − x, shape and texture counts swapped): each order reverses while the seeds' spread stays, so every quoted
    /// value must change — unless it sits at the rewrite's fixed point: a zero change, or a shape bias of exactly
    /// one half — and every "higher than" must read "lower than".
    @Test func theMiniatureRendersFromAnAlteredStoreWithNothingStale() throws {
        let mini = StudyNotebook.miniature(try StudyNotebook.text())
        #expect(!mini.contains("seeds: 3") && !mini.contains("train: 2_400"))
        let box = try Sandbox()
        let path = try box.write(mini, name: "study-mini")
        let (summary, log, before) = try box.run(path)
        #expect(summary.failed == 0 && summary.errors == 0, "\(log.text)")
        #expect(!before.contains("class=\"error-box\"") && !before.contains("class=\"ref unresolved\""))
        let original = StudyNotebook.inlineValues(before)
        #expect(original.count == mini.matches(of: #/`=[^`]*`/#).count, "every inline result renders a value")

        try Self.alter(try box.store())
        let (_, _, after) = try box.run(path) { $0.execute = false }
        let altered = StudyNotebook.inlineValues(after)
        #expect(altered.map(\.expression) == original.map(\.expression))
        let invariant = ["params", "flops", "trainTime", "imagesPerSecond"]
        let fixedPoint = { (text: String) in
            let n = Double(text.replacing("−", with: "-").replacing("+", with: "").split(separator: " ")[0]) ?? .nan
            return n == 0 || (text.hasSuffix(" %") && n == 50)
        }
        for (a, b) in zip(original, altered) {
            if a.expression.hasPrefix("compare(") {
                let flipped = ["higher than": "lower than", "lower than": "higher than"][a.text] ?? a.text
                #expect(b.text == flipped.replacing(" (one seed: spread unknown)", with: "") || b.text == flipped,
                        "\(a.expression): \(a.text) → \(b.text)")
            } else if !invariant.contains(where: { a.expression.contains(".\($0)") }) {
                #expect(a.text != b.text || fixedPoint(a.text), "\(a.expression) still reads \(a.text) after its numbers changed")
            }
        }
        // Outside the inline results, the two pages' prose is the same text.
        let strip = { (html: String) in html.replacing(#/<a class="ref"[^>]*>[^<]*</a>/#, with: "") }
        let paragraphs = { (html: String) in strip(html).matches(of: #/<p>.*?</p>/#.dotMatchesNewlines()).map { String($0.output) } }
        #expect(paragraphs(before) == paragraphs(after))
    }

    /// The rewrite's constant: c − x reverses every order and keeps every spread; its fixed point c/2 is no mean of
    /// two accuracies on 48 images.
    static let c = 1.0123

    /// c − x for every accuracy and loss of every run, and for the measured values of every quoted analysis' payload.
    static func alter(_ store: ResultsStore) throws {
        for run in try store.runs() {
            var summary = run.summary
            for k in ["top1", "top5", "trainLoss", "testLoss"] { summary[k] = summary[k].map { c - $0 } }
            try store.finishRun(key: run.key, outcome: .succeeded, summary: summary, endedAt: run.endedAt ?? run.startedAt,
                                wallSeconds: run.wallSeconds)
        }
        let quoted: Set<String> = ["FrequencyAnalysis", "FilteredAccuracy", "FrequencyNoise", "FourierHeatmap", "ShapeBias"]
        for result in try store.results() where quoted.contains(result.kind) {
            guard let object = try JSONSerialization.jsonObject(with: Data(result.payload.utf8)) as? [String: Any] else { continue }
            let payload = try JSONSerialization.data(withJSONObject: alter(object), options: [.sortedKeys])
            var changed = result
            changed.payload = String(decoding: payload, as: UTF8.self)
            try store.saveResult(changed)
        }
    }

    /// Keys whose numbers are coordinates or sizes, not measurements: they stay.
    static let coordinates: Set<String> = ["examples", "height", "width", "size", "grid", "cutoffs", "radii", "frequencies",
                                           "depth", "norm", "lastFrequency", "neither", "filter", "kind", "name", "shaded"]

    static func alter(_ value: Any, key: String? = nil) -> Any {
        if let key, coordinates.contains(key) || key.hasPrefix("_") { return value }
        switch value {
        case var object as [String: Any]:
            if let s = object["shape"], let t = object["texture"] { (object["shape"], object["texture"]) = (t, s) }
            return Dictionary(uniqueKeysWithValues: object.map { k, v in (k, ["shape", "texture"].contains(k) ? v : alter(v, key: k)) })
        case let array as [Any]: return array.map { alter($0, key: key) }
        case let number as Double: return c - number
        default: return value
        }
    }
}

@Suite struct WarmupWarningTests {
    /// `.with(optimizer:)` keeps the schedule: SGD's warmup from 0.01 under Lion's 1e-3 would start the run at ten
    /// times its rate. Planning warns (naming both rates) without failing; the study itself plans with no diagnostic.
    @Test func aWarmupAboveTheLearningRateIsAWarning() throws {
        let text = """
            ```swift config
            let base = Experiment(model: \(TinyNotebook.smallModel), data: \(TinyNotebook.data),
                                  schedule: .cosine(warmupEpochs: 1, warmupLR: 0.01), epochs: 2)
            let lion = base.with(optimizer: .lion(lr: 1e-3, weightDecay: 0.1))
            ```
            """
        let (plan, _) = try planned(text)
        #expect(plan.planningDiagnostics.map(\.severity) == [.warning])
        #expect(plan.planningDiagnostics.first?.message.hasPrefix("lion: the warmup starts at lr 0.01, above the optimizer's lr 0.001") == true,
                "\(plan.planningDiagnostics.map(\.message))")
        #expect(plan.errorCount == 0)

        let (_, studyDiagnostics) = try planned(try StudyNotebook.text())
        #expect(studyDiagnostics.isEmpty, "\(studyDiagnostics)")
    }
}
