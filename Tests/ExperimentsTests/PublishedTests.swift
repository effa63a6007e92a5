// Published values (`Published(...)`, docs/design.md §3.6): checked like any cell, never a run or part of a key,
// shown as marked table columns and bar markers with source notes, and quoted inline with the difference to ours.
import Experiments
import Foundation
import Notebook
import Testing
import TestSupport

/// The published statement of these tests, for `base` of the tiny notebook.
private let basePublished = "Published(base, top1: 61.12, top5: 85.1, params: 23.7e6, trainTime: \"1h 7m 26s\", "
    + "source: \"Report X, table 1\")"

/// Checks and plans `nb` in a fresh sandbox (nothing trains); the plan and every diagnostic rendered.
private func planned(_ nb: TinyNotebook) throws -> (NotebookPlan, String) { try planned(nb.text) }

private func withCell(_ cell: String, intro: String? = nil) -> TinyNotebook {
    var nb = TinyNotebook()
    nb.extraCells = [cell]
    if let intro { nb.intro = intro }
    return nb
}

@Suite struct PublishedCheckTests {
    @Test func goodStatementPlansItsValuesAsFractions() throws {
        let (plan, messages) = try planned(withCell(basePublished))
        #expect(messages.isEmpty, "\(messages)")
        let p = try #require(plan.published["base"])
        #expect(abs((p.top1 ?? -1) - 0.6112) < 1e-12 && abs((p.top5 ?? -1) - 0.851) < 1e-12)
        #expect(p.params == 23.7e6 && p.trainTime == "1h 7m 26s" && p.source == "Report X, table 1")
        #expect(plan.published.count == 1)
    }

    @Test func unknownLabelHasADidYouMean() throws {
        let (_, messages) = try planned(withCell("Published(base, top1x: 61.1, source: \"R\")"))
        #expect(messages.contains("unknown argument `top1x`") && messages.contains("did you mean `top1`?"), "\(messages)")
    }

    @Test(arguments: ["top1: 161.2", "top5: -1", "params: 0"])
    func outOfRangeValuesAreErrors(argument: String) throws {
        let (plan, messages) = try planned(withCell("Published(base, \(argument), source: \"R\")"))
        #expect(messages.contains("error:") && messages.contains(String(argument.prefix(while: { $0 != ":" }))), "\(messages)")
        #expect(plan.published.isEmpty)
    }

    @Test func percentagesAreTheConvention() throws {
        // Accuracies are percentages as printed (79.05 for 79.05 %), the way Loom's tables show top-1; the range says so.
        let (_, messages) = try planned(withCell("Published(base, top1: 101, source: \"R\")"))
        #expect(messages.contains("error: `top1` of `Published` must be in 0...100, found 101"), "\(messages)")
    }

    @Test func aNonExperimentBindingIsAnError() throws {
        let (plan, messages) = try planned(withCell("let sw = Sweep(base, lr: [0.1, 0.2])\nPublished(sw, top1: 60, source: \"R\")"))
        #expect(messages.contains("error:") && messages.contains("experiment") && messages.contains("sweep"), "\(messages)")
        #expect(plan.published.isEmpty)
    }

    @Test func anUnknownBindingHasADidYouMean() throws {
        let (_, messages) = try planned(withCell("Published(bsae, top1: 60, source: \"R\")"))
        #expect(messages.contains("unknown binding `bsae`") && messages.contains("did you mean `base`?"), "\(messages)")
    }

    @Test func anInlineExperimentIsAnError() throws {
        let (plan, messages) = try planned(withCell("Published(base.with(epochs: 2), top1: 60, source: \"R\")"))
        #expect(messages.contains("`Published` names an experiment binding"), "\(messages)")
        #expect(plan.published.isEmpty)
    }

    @Test func aSecondPublishedForTheSameExperimentIsAnError() throws {
        let nb = withCell(basePublished + "\nPublished(base, top1: 62, source: \"Report Y\")")
        let (plan, messages) = try planned(nb)
        #expect(messages.contains("error: a second `Published` for `base`"), "\(messages)")
        #expect(messages.contains("note: the first `Published` for `base` is here"), "\(messages)")
        // The first statement stands.
        #expect(plan.published["base"]?.source == "Report X, table 1")
    }

    @Test func noValueOrNoSourceIsAnError() throws {
        #expect(try planned(withCell("Published(base, source: \"R\")")).1.contains("states no value"))
        #expect(try planned(withCell("Published(base, top1: 60, source: \" \")")).1.contains("empty `source:`"))
        #expect(try planned(withCell("Published(base, top1: 60)")).1.contains("source"))
    }

    @Test func inlineReferencesToPublishedValuesAreChecked() throws {
        let cases: [(String, String)] = [
            ("`= base.published.top1x`", "`published` has no result `top1x`; did you mean `top1`?"),
            ("`= base.publishd.top1`", "did you mean `published`?"),
            ("`= base.published`", "`published` is a group of results"),
            ("`= base.top1 - base.published.trainTime`", "is a text result, so no difference"),
            ("`= base.top1 - `", "a difference needs one on each side of `-`"),
            ("`= base.top1 - bsae.published.top1`", "unknown binding `bsae`"),
        ]
        for (span, expected) in cases {
            let (_, messages) = try planned(withCell(basePublished, intro: "Prose quoting \(span) here."))
            #expect(messages.contains(expected), "\(span): \(messages)")
        }
        let good = "`= base.published.top1`, `= base.published.trainTime` and `= base.top1 - base.published.top1`"
        #expect(try planned(withCell(basePublished, intro: good)).1.isEmpty)
    }

    /// A published conclusion is text: it alone is a value, prose quotes it, and it takes no difference.
    @Test func aClaimIsATextPublishedValue() throws {
        let claim = "Published(base, claim: \"looks at high frequencies\", source: \"Report X, analysis\")"
        let (plan, messages) = try planned(withCell(claim, intro: "It `= base.published.claim`."))
        #expect(messages.isEmpty, "\(messages)")
        #expect(plan.published["base"]?.claim == "looks at high frequencies")
        let difference = try planned(withCell(claim, intro: "`= base.top1 - base.published.claim`")).1
        #expect(difference.contains("is a text result, so no difference can be taken of it"), "\(difference)")
    }

    @Test func publishedCellIsValidSwift() throws {
        guard swiftcOnPath != nil else { return }
        let (status, out) = try swiftcParse("let base = Experiment(epochs: 1)\n" + basePublished)
        #expect(status == 0, "\(out)")
    }

    @Test func cifar100PublishesTable1sResNet50() throws {
        let box = try Sandbox()
        let (doc, ws) = try openNotebook(repositoryRoot.appendingPathComponent("notebooks/cifar100.md").path,
                                         outputDirectory: box.output)
        let plan = try makePlan(document: doc, registry: notebookRegistry(), workspace: ws)
        #expect(plan.cellErrors.isEmpty && !plan.check.hasErrors)
        let p = try #require(plan.published["r50"])
        #expect(p.top1 == 0.7905 && p.top5 == 0.9394 && p.params == 23e6)
        #expect(p.source.contains("An Initial Study of Deep Learning Architecture for Image Recognition"))
    }
}

@Suite struct PublishedKeyTests {
    @Test func aPublishedStatementChangesNoKey() throws {
        let (without, _) = try planned(TinyNotebook())
        var nb = withCell(basePublished + "\nPublished(student, top1: 50, source: \"Report Y\")")
        nb.intro = "Quoting `= base.published.top1` and `= base.top1 - base.published.top1`."
        let (with, messages) = try planned(nb)
        #expect(messages.isEmpty, "\(messages)")
        #expect(with.experiments.map(\.name) == without.experiments.map(\.name))
        #expect(with.experiments.map(\.key) == without.experiments.map(\.key))
        #expect(with.experiments.flatMap { $0.runs.map(\.key) } == without.experiments.flatMap { $0.runs.map(\.key) })
        #expect(with.analyses.count == without.analyses.count)
    }
}

@Suite struct PublishedRenderTests {
    /// The tiny notebook with published values for `base` and `small`, a table of every published column, bars and
    /// inline quotes, rendered from a copy of the trained baseline store.
    static let notebook: TinyNotebook = {
        var nb = TinyNotebook()
        nb.tableCall = "Table(base, small, student, columns: [.model, .top1, .top5, .params, .trainTime])"
        nb.intro = "Published `= base.published.top1`, ours minus it `= base.top1 - base.published.top1`, "
            + "time `= base.published.trainTime`, none for `= student.published.top1` or `= student.top1 - student.published.top1`."
        nb.extraCells = [basePublished + "\nPublished(small, top1: 50, params: 1e4, source: \"Report Y, table 2\")",
                         "Bars(base, small, student, metric: .top1)"]
        return nb
    }()

    @Test func theStoreIsUntouchedAndTheTableShowsMarkedColumnsWithNotes() throws {
        let (box, path) = try Baseline.copy(Self.notebook)
        let before = try box.store().runs().map(\.key).sorted()
        let (summary, _, html) = try box.run(path)
        #expect(summary.trained == 0 && summary.cached == 3 && summary.errors == 0)
        let store = try box.store()
        #expect(try store.runs().map(\.key).sorted() == before, "a published value entered the store as a run")
        #expect(try store.runs().allSatisfy { $0.summary["top1"] != 0.6112 && $0.summary["top1"] != 0.5 })

        // Each published column right after Loom's own, with no best mark of its own.
        let table = try #require(html.components(separatedBy: "<table>").first { $0.contains("top-5 (published)") })
        let headers = table.components(separatedBy: "<th scope=\"col\"").dropFirst().map {
            $0.components(separatedBy: "</th>")[0].replacingOccurrences(of: "<[^>]+>", with: "", options: .regularExpression)
                .replacingOccurrences(of: "^( class=\"numeric\")?>", with: "", options: .regularExpression)
        }
        #expect(headers == ["run", "model", "top-1 (%) ↑", "top-1 (published) (%)", "top-5 (%) ↑", "top-5 (published) (%)",
                            "params", "params (published)", "train time ↓", "train time (published)"], "\(headers)")
        // Values with their note numbers; one note per source, numbered in row order.
        #expect(html.contains("61.1<sup class=\"note-ref\" title=\"note 1\">1</sup>"))
        #expect(html.contains("1h 7m 26s<sup class=\"note-ref\" title=\"note 1\">1</sup>"))
        #expect(html.contains("50.0<sup class=\"note-ref\" title=\"note 2\">2</sup>"))
        #expect(html.contains("<ol class=\"notes\"><li>Published values of base: Report X, table 1.</li>"
                              + "<li>Published values of small: Report Y, table 2.</li></ol>"))
        // The CSV download carries the published columns and the notes.
        let csv = try #require(csvs(html).first { $0.contains("top-1 (published) (%)") })
        #expect(csv.contains("61.12,") && csv.contains("[1] Published values of base: Report X, table 1."), "\(csv)")
    }

    @Test func barsShowPublishedMarkersWithTheirNote() throws {
        let (box, path) = try Baseline.copy(Self.notebook)
        let (_, _, html) = try box.run(path) { $0.execute = false }
        let svg = try #require(html.components(separatedBy: "<svg").first { $0.contains("class=\"chart bar\"") })
        #expect(svg.components(separatedBy: "class=\"marker\"").count - 1 == 3, "two markers and the legend's")
        #expect(svg.contains(">published</text>"))
        #expect(svg.contains("published · base: 61.12 (Published values of base: Report X, table 1.)"))
        #expect(svg.contains("class=\"note-ref\""))
        let csv = try #require(csvs(html).first { $0.hasPrefix("category,") })
        #expect(csv.contains("published,published source") && csv.contains("Report Y, table 2"), "\(csv)")
    }

    @Test func prosQuotesPublishedValuesAndTheDifference() throws {
        let (box, path) = try Baseline.copy(Self.notebook)
        let (_, _, html) = try box.run(path) { $0.execute = false }
        let key = try #require(try box.plan(path)["base"]).key
        let top1 = try #require(try box.store().run(key: key)?.summary["top1"])
        #expect(html.contains("href=\"#published-base\" title=\"base.published.top1\">61.1 %</a>"))
        #expect(html.contains("title=\"base.published.trainTime\">1h 7m 26s</a>"))
        let d = top1 * 100 - 61.12
        let text = (d < 0 && String(format: "%.1f", abs(d)) != "0.0" ? "−" : "+") + String(format: "%.1f", abs(d)) + " pp"
        #expect(html.contains("title=\"base.top1 - base.published.top1\">\(text)</a>"), "difference \(text)")
        #expect(html.contains("id=\"published-base\""))
        // No published value for student: both quotes are marked, not dropped.
        #expect(html.contains("<span class=\"ref unresolved\" title=\"unresolved reference\">= student.published.top1</span>"))
        #expect(html.contains("= student.top1 - student.published.top1</span>"))
    }

    @Test func aTableWithoutTheStatedColumnsGetsNoPublishedColumnOrNote() throws {
        var nb = Self.notebook
        // `small` states top-1 and params; a table of top-5 alone shows only base's note.
        nb.tableCall = "Table(base, small, student, columns: [.model, .top5])"
        let (box, path) = try Baseline.copy(nb)
        let (_, _, html) = try box.run(path) { $0.execute = false }
        let table = try #require(html.components(separatedBy: "<table>").first { $0.contains("top-5 (published)") })
        #expect(!table.contains("top-1 (published)") && !table.contains("params (published)"))
        let notes = table.components(separatedBy: "</ol>")[0] + "</ol>"
        #expect(notes.contains("<ol class=\"notes\"><li>Published values of base: Report X, table 1.</li></ol>"), "\(notes)")
        #expect(!notes.contains("Report Y"))
    }

    @Test func aMissingRunMarksTheDifference() throws {
        let box = try Sandbox()
        let path = try box.write(Self.notebook.text)
        let (_, _, html) = try box.run(path) { $0.execute = false }
        // The published value still shows; the difference needs our run.
        #expect(html.contains("title=\"base.published.top1\">61.1 %</a>"))
        #expect(html.contains("<span class=\"ref unresolved\" title=\"unresolved reference\">= base.top1 - base.published.top1</span>"))
        #expect(html.contains("top-1 (published)"))
    }
}

/// The CSV downloads of a page, decoded.
private func csvs(_ html: String) -> [String] {
    html.components(separatedBy: "href=\"data:text/csv;charset=utf-8,").dropFirst().compactMap {
        $0.components(separatedBy: "\"")[0].replacingOccurrences(of: "&amp;", with: "&").removingPercentEncoding
    }
}
