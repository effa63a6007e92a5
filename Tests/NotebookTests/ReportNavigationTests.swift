// Tests of the report's navigation and reuse: section ids, the table of contents, numbered tables
// and figures, and the CSV behind each of them.
import Foundation
import Testing
@testable import Notebook

@Suite struct ReportNavigationTests {
    func page(_ blocks: [ReportBlock]) -> String { ReportRenderer.render(Report(title: "T", blocks: blocks)) }

    @Test func headingsGetIdsAndManyGetAContentsList() {
        let prose = "## Question\n\ntext\n\n### Why *this*?\n\n## Method & data\n"
        let few = page([.prose(prose)])
        #expect(few.contains("<h2 id=\"sec-question\">Question</h2>"))
        #expect(few.contains("<h3 id=\"sec-why-this\">Why <em>this</em>?</h3>"))
        #expect(few.contains("<h2 id=\"sec-method-and-data\">Method &amp; data</h2>"))
        #expect(!few.contains("class=\"toc\""), "three level-2/3 headings and a table of contents already")
        let many = page([.prose(prose + "\n## Results\n\nagain\n\n## Results\n")])
        #expect(many.contains("<nav class=\"toc\" aria-label=\"Contents\"><h2>Contents</h2><ol><li><a href=\"#sec-question\">Question</a>"
                              + "<ol><li><a href=\"#sec-why-this\">Why <em>this</em>?</a></li></ol></li>"))
        // Two headings with the same text get distinct ids, both listed.
        #expect(many.contains("id=\"sec-results\"") && many.contains("id=\"sec-results-2\""))
        #expect(many.contains("<a href=\"#sec-results-2\">Results</a>"))
    }

    @Test func tablesAndFiguresAreNumberedInPageOrderAndLinkable() {
        let table = ReportTable(columns: [TableColumn("run")], rows: [[.text("a")]])
        let chart = BarChart(categories: ["x"], y: ChartAxis("acc"), series: [BarSeries("a", values: [1])])
        let cells: [ReportBlock] = [
            .cell(ReportCell(id: "one", source: "", outputs: [ReportOutput(title: "First", .table(table)),
                                                               ReportOutput(.barChart(chart))])),
            .cell(ReportCell(id: "two", source: "", outputs: [ReportOutput(.text("plain")), ReportOutput(anchor: "main", .table(table))])),
        ]
        let html = page(cells)
        #expect(html.contains("<div class=\"output\" id=\"table-1\"><h4><a class=\"number\" href=\"#table-1\">Table 1</a>. First</h4>"))
        #expect(html.contains("<div class=\"output\" id=\"figure-1\"><h4><a class=\"number\" href=\"#figure-1\">Figure 1</a></h4>"))
        #expect(html.contains("<div class=\"output\" id=\"main\"><h4><a class=\"number\" href=\"#main\">Table 2</a></h4>"))
        #expect(!html.contains("Table 3") && !html.contains("Figure 2"), "text outputs are not numbered")
    }

    @Test func everyTableAndChartCarriesItsDataAsCSV() throws {
        let table = ReportTable(columns: [TableColumn("run, name"), TableColumn("top-1", unit: "%", format: .percent(1)),
                                          TableColumn("time", format: .duration)],
                                rows: [[.link("base", anchor: "run-x"), .meanStd(mean: 0.75, std: 0.005), .number(61)],
                                       [.text("say \"hi\""), .missing, .number(.nan)]])
        #expect(ReportContent.table(table).csv == "\"run, name\",top-1 (%),time\r\nbase,75.0 ± 0.5,61.0\r\n\"say \"\"hi\"\"\",,\r\n")
        let bars = BarChart(categories: ["none", "low"], y: ChartAxis("acc"),
                            series: [BarSeries("r", values: [0.5, 0.25], errors: [0.1, 0.2]), BarSeries("v", values: [1, 2])])
        #expect(ReportContent.barChart(bars).csv == "category,r,r ± ,v\r\nnone,0.5,0.1,1.0\r\nlow,0.25,0.2,2.0\r\n")
        let line = LineChart(x: ChartAxis("epoch"), y: ChartAxis("loss"), series: [LineSeries("a", [ChartPoint(1, 2.5)])])
        #expect(ReportContent.lineChart(line).csv == "series,epoch,loss\r\na,1.0,2.5\r\n")
        #expect(ReportContent.text("x").csv == nil)
        // The link is a data: URI that decodes back to the same bytes; nothing else is fetched.
        let html = page([.cell(ReportCell(id: "c", source: "", outputs: [ReportOutput(.table(table))]))])
        let href = try #require(html.components(separatedBy: "download=\"table-1.csv\" href=\"").dropFirst().first?
            .components(separatedBy: "\"").first)
        let prefix = "data:text/csv;charset=utf-8,"
        #expect(href.hasPrefix(prefix))
        let decoded = String(href.dropFirst(prefix.count)).replacingOccurrences(of: "&amp;", with: "&").removingPercentEncoding
        #expect(decoded == ReportContent.table(table).csv)
    }
}
