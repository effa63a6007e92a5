// Table notes, noted cells, bar-chart markers and inline differences: the Notebook side of published values.
import Foundation
@testable import Notebook
import Testing

@Suite struct NotesAndMarkersTests {
    static let table = ReportTable(
        columns: [TableColumn("run"), TableColumn("top-1", unit: "%", better: .higher, format: .percent(1)),
                  TableColumn("top-1 (published)", unit: "%", format: .percent(1))],
        rows: [[.text("a"), .number(0.5), .noted(.number(0.6112), note: 1)],
               [.text("b"), .number(0.7), .missing]],
        notes: ["Published values of a: Report X, table 1."])

    @Test func notedCellsCarryTheirNoteNumberAndNotesFollowTheTable() {
        let html = Self.table.html()
        #expect(html.contains("<td class=\"numeric\">61.1<sup class=\"note-ref\" title=\"note 1\">1</sup></td>"))
        #expect(html.hasSuffix("</table></div><ol class=\"notes\"><li>Published values of a: Report X, table 1.</li></ol>"))
        // The published column has no direction, so it marks no best; Loom's column still does.
        #expect(Self.table.bestRows == [[], [1], []])
        #expect(!ReportTable(columns: [TableColumn("x")], rows: [[.text("y")]]).html().contains("<ol"))
    }

    @Test func csvCarriesNotedValuesAndANotesColumn() throws {
        let csv = try #require(ReportContent.table(Self.table).csv)
        #expect(csv == "run,top-1 (%),top-1 (published) (%),notes\r\n"
                + "a,50.0,61.12,[1] Published values of a: Report X, table 1.\r\n".replacingOccurrences(
                    of: "[1] Published values of a: Report X, table 1.", with: "\"[1] Published values of a: Report X, table 1.\"")
                + "b,70.0,,\r\n")
    }

    static let chart = BarChart(categories: ["a", "b"], y: ChartAxis("top-1", unit: "%"),
                                series: [BarSeries("top-1", values: [50, 70])],
                                markers: [BarMarker(category: 0, value: 161.12, note: 1)], notes: ["Report X, table 1."])

    @Test func barMarkersAreDiamondsInTheLegendWithTheirNote() {
        let svg = Self.chart.svg()
        #expect(svg.components(separatedBy: "<path class=\"marker\"").count - 1 == 2, "the marker and its legend entry")
        #expect(svg.contains(">published</text>"))
        #expect(svg.contains("<title>published · a: 161.1 (Report X, table 1.)</title>"))
        #expect(svg.contains("<text class=\"note-ref\""))
        // The axis reaches the marker above every bar.
        #expect(svg.contains(">150</text>") || svg.contains(">160</text>") || svg.contains(">200</text>"), "\(svg)")
        // Without markers, a bar chart draws exactly as before.
        let plain = BarChart(categories: ["a", "b"], y: ChartAxis("top-1", unit: "%"), series: [BarSeries("top-1", values: [50, 70])])
        #expect(!plain.svg().contains("marker") && !plain.svg().contains("published"))
    }

    @Test func barCSVCarriesThePublishedValueAndItsSource() throws {
        let csv = try #require(ReportContent.barChart(Self.chart).csv)
        #expect(csv == "category,top-1,published,published source\r\na,50.0,161.12,Report X, table 1.\r\n"
                .replacingOccurrences(of: "Report X, table 1.", with: "\"Report X, table 1.\"") + "b,70.0,,\r\n")
    }

    @Test func renderedBarChartListsItsNotes() {
        let report = Report(title: "t", blocks: [.cell(ReportCell(id: "c", source: "Bars(a)", outputs: [ReportOutput(.barChart(Self.chart))]))])
        #expect(ReportRenderer.render(report).contains("</svg></div><ol class=\"notes\"><li>Report X, table 1.</li></ol>"))
    }

    @Test func inlineDifferencesParseWithBothOperandsLocated() throws {
        let doc = Document(text: "Ours `= r50.top1 - r50.published.top1` and `= r50.published.top5`.\n")
        #expect(doc.diagnostics.isEmpty)
        let refs = doc.inlineReferences
        #expect(refs.map(\.expression) == ["r50.top1 - r50.published.top1", "r50.published.top5"])
        let difference = try #require(refs.first?.subtrahend)
        #expect(difference.binding.text == "r50" && difference.path.map(\.text) == ["published", "top1"])
        #expect(difference.binding.range.start == SourcePosition(line: 1, column: 20))
        #expect(refs[1].subtrahend == nil && refs[1].path.map(\.text) == ["published", "top5"])
    }

    @Test func malformedDifferencesAreDiagnostics() {
        let d = Document(text: "`= - a.top1` and `= a.top1 -` and `= a.top1 - 3` and `= a.top1 - b.x - c.y`\n").diagnostics
        #expect(d.count == 4, "\(d)")
        #expect(d.prefix(2).allSatisfy { $0.message.contains("a difference needs one on each side of `-`") })
        #expect(d.map(\.description).contains { $0.contains("found an integer") }, "\(d.map(\.description))")
        #expect(d.last?.description.contains("unexpected '-'") == true, "only one difference per inline result")
    }
}
