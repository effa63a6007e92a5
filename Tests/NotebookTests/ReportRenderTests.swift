// Unit tests of the report renderer: escaping, best values, image dedup, references, anchors, formats.
import Foundation
import Testing
@testable import Notebook

@Suite struct ReportRenderTests {
    func page(_ blocks: [ReportBlock], title: String = "T", resolve: (String) -> InlineValue? = { _ in nil }) -> String {
        ReportRenderer.render(Report(title: title, blocks: blocks), resolve: resolve)
    }

    func count(_ needle: String, in haystack: String) -> Int { haystack.components(separatedBy: needle).count - 1 }

    @Test func userTextIsEscapedEverywhere() {
        let evil = "<script>alert('x')</script>"
        let table = ReportTable(columns: [TableColumn(evil, unit: evil)], rows: [[.text(evil)]], caption: evil)
        let cell = ReportCell(id: evil, source: evil, outputs: [
            ReportOutput(anchor: evil, title: evil, .table(table), provenance: [Provenance(runKey: evil, label: evil)]),
            ReportOutput(.text(evil)),
            ReportOutput(.error(ReportError(message: evil, file: evil, line: 1, column: 1, sourceLine: evil, hint: evil))),
            ReportOutput(.lineChart(LineChart(x: ChartAxis(evil), y: ChartAxis(evil), series: [LineSeries(evil, [ChartPoint(0, 1)])]))),
            ReportOutput(.barChart(BarChart(categories: [evil], y: ChartAxis(evil), series: [BarSeries(evil, values: [1])]))),
        ])
        let html = page([.prose("Hello " + evil + "\n\n<div onclick=\"x()\">block</div>\n"), .cell(cell)], title: evil)
        #expect(!html.contains("<script"), "no script element at all: the page has no JavaScript")
        #expect(!html.contains("<div onclick"))
        #expect(html.contains("&lt;div onclick=&quot;x()&quot;&gt;block&lt;/div&gt;"))
        #expect(html.contains("<title>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;</title>"))
    }

    @Test func dangerousLinksAreDropped() {
        let html = MarkdownRenderer.html("[x](javascript:alert(1)) [y](https://example.org) www.example.com")
        #expect(!html.contains("javascript:"))
        #expect(html.contains("<a href=\"https://example.org\">y</a>"))
        #expect(html.contains("<a href=\"http://www.example.com\">www.example.com</a>"), "autolink extension")
    }

    @Test func gfmTablesAndStrikethroughRender() {
        let html = MarkdownRenderer.html("| a | b |\n|---|---|\n| 1 | ~~2~~ |\n")
        #expect(html.contains("<table>"))
        #expect(html.contains("<del>2</del>"))
    }

    @Test func valueReferencesLinkToTheirResult() {
        var asked: [String] = []
        let html = MarkdownRenderer.html("top-1 is `= aa.top1`, `=vit.top1` is unknown, `x = 1` is code.") { expression in
            asked.append(expression)
            return expression == "aa.top1" ? InlineValue(text: "76.6 %", anchor: "run-c3d4") : nil
        }
        #expect(asked == ["aa.top1", "vit.top1"])
        #expect(html.contains("<a class=\"ref\" href=\"#run-c3d4\" title=\"aa.top1\">76.6 %</a>"))
        #expect(html.contains("<span class=\"ref unresolved\" title=\"unresolved reference\">= vit.top1</span>"))
        #expect(html.contains("<code>x = 1</code>"))
    }

    @Test func bestValuesFollowTheColumnsDirection() {
        let table = ReportTable(columns: [
            TableColumn("name"), TableColumn("top1", better: .higher), TableColumn("loss", better: .lower),
            TableColumn("epochs"),
        ], rows: [
            [.text("a"), .number(0.7), .number(1.2), .number(10)],
            [.text("b"), .meanStd(mean: 0.8, std: 0.01), .number(.nan), .number(20)],
            [.text("c"), .number(0.8), .number(0.9), .missing],
        ])
        #expect(table.bestRows == [[], [1, 2], [2], []])
        let html = table.html()
        #expect(count("class=\"best\"", in: html) == 3)
        #expect(html.contains("<strong class=\"best\" title=\"best\">0.8<span class=\"std\"> ± 0.01</span></strong>"))
    }

    @Test func eachDistinctImageIsEmbeddedOnce() {
        let red = makePNG(width: 4, height: 2) { _, _ in (255, 0, 0) }
        let blue = makePNG(width: 4, height: 2) { _, _ in (0, 0, 255) }
        let images = [red, blue, red, red].map { ReportImage(png: $0) }
        let html = page([
            .cell(ReportCell(id: "a", source: "", outputs: [ReportOutput(.images(images))])),
            .cell(ReportCell(id: "b", source: "", outputs: [ReportOutput(.images([ReportImage(png: blue)]))])),
        ])
        #expect(count(red.base64EncodedString(), in: html) == 1)
        #expect(count(blue.base64EncodedString(), in: html) == 1)
        #expect(count("<use href=\"#img-", in: html) == 5)
        #expect(count("<image id=\"img-", in: html) == 2)
        #expect(html.contains("viewBox=\"0 0 4 2\" width=\"128\""), "tiny images scale up by a whole factor")
    }

    @Test func pngSizeComesFromTheHeader() {
        #expect(ImageRegistry.pngSize(makePNG(width: 7, height: 3) { _, _ in (0, 0, 0) }) ?? (0, 0) == (7, 3))
        #expect(ImageRegistry.pngSize(Data("not a png at all, not at all".utf8)) == nil)
    }

    @Test func idsAreUniqueAndARunsAnchorIsOnItsFirstLine() {
        let p = Provenance(runKey: "abcdef0123456789", seeds: [0, 1], computedAt: Date(timeIntervalSince1970: 1_764_757_500))
        let output = ReportOutput(anchor: "result", .text("x"), provenance: [p])
        let html = page([.cell(ReportCell(id: "c", source: "", outputs: [output, output])),
                         .cell(ReportCell(id: "c", source: "", outputs: [output]))])
        #expect(count("id=\"run-abcdef012345\"", in: html) == 1)
        #expect(count("run <code>abcdef012345</code> · seeds 0, 1 · computed 2025-12-03 10:25 UTC", in: html) == 3)
        #expect(html.contains("id=\"result\"") && html.contains("id=\"result-2\"") && html.contains("id=\"result-3\""))
        #expect(html.contains("id=\"cell-c\"") && html.contains("id=\"cell-c-2\""))
    }

    @Test func errorBoxUnderlinesTheOffendingTextByByteColumn() {
        let line = "let é = .resnt(depth: 18)"
        let column = line.utf8.count - "resnt(depth: 18)".utf8.count  // the "." before resnt, 1-based
        let html = ReportErrorBox.html(ReportError(message: "unknown case", file: "s.md", line: 9, column: column,
                                                   length: 6, sourceLine: line, hint: "did you mean `.resnet`?"))
        #expect(html.contains("s.md:9:\(column):"))
        #expect(html.contains("let é = <mark>.resnt</mark>(depth: 18)"))
        #expect(html.contains("<span class=\"gutter\">  | </span>        <span class=\"caret\">^~~~~~</span>"))
        #expect(html.contains("hint: did you mean `.resnet`?"))
    }

    @Test func numberFormatsAreStable() {
        #expect(NumberFormat.automatic.format(0.81234) == "0.8123")
        #expect(NumberFormat.automatic.format(1234.56) == "1235")
        #expect(NumberFormat.percent(1).format(0.7655) == "76.5" || NumberFormat.percent(1).format(0.7655) == "76.6")
        #expect(NumberFormat.fixed(2).format(-0.001) == "0.00")
        #expect(NumberFormat.integer.format(11_173_962) == "11,173,962")
        #expect(NumberFormat.compact.format(11_173_962) == "11.2M")
        #expect(NumberFormat.duration.format(12.34) == "12.3 s")
        #expect(NumberFormat.duration.format(245) == "4m 05s")
        #expect(NumberFormat.duration.format(3725) == "1h 02m")
        #expect(NumberFormat.automatic.format(.nan) == "NaN")
    }

    @Test func highlighterClassifiesCellTokens() {
        let html = SourceHighlighter.html("let a = base.with(model: .resnet(depth: 18), lr: 5e-4, name: \"x<y\") // note")
        #expect(html.hasPrefix("<span class=\"kw\">let</span> a = base.with("))
        #expect(html.contains("<span class=\"lbl\">model</span>: <span class=\"mem\">.resnet</span>"))
        #expect(html.contains("<span class=\"num\">5e-4</span>"))
        #expect(html.contains("<span class=\"str\">&quot;x&lt;y&quot;</span>"))
        #expect(html.hasSuffix("<span class=\"com\">// note</span>"))
    }

    @Test func bylineAndNoClock() {
        let html = ReportRenderer.render(Report(title: "T", author: "Ada", date: "2025-01-02", blocks: []))
        #expect(html.contains("<p class=\"byline\">Ada · 2025-01-02</p>"))
        #expect(ReportRenderer.render(Report(title: "T", blocks: [])).contains("<header><h1>T</h1></header>"))
    }
}
