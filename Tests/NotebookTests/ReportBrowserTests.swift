// Browser check of the report's layout: headless Chromium lays a report out at a desktop width and
// a phone width, and nothing may overflow the page (runs where `chromium` is on PATH; CI installs it).
import Foundation
import Testing
@testable import Notebook

@Suite(.serialized) struct ReportBrowserTests {
    static let chromium: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            for name in ["chromium", "chromium-browser"] {
                let candidate = "\(dir)/\(name)"
                if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            }
        }
        return nil
    }()

    struct Measure: Decodable {
        /// The frame's width and the page's scroll width (wider means a horizontal scroll bar).
        let inner: Int, scroll: Int
        /// Table boxes whose table is wider than the box (they scroll inside it).
        let tablesScrolling: Int
    }

    /// Lays `html` out in a frame `width` px wide and measures it. The frame's page is the report
    /// itself, untouched; the measuring script lives in the wrapper page only.
    static func measure(_ html: String, width: Int) throws -> Measure {
        let chromium = try #require(chromium)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("loom-browser-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try html.write(to: dir.appendingPathComponent("report.html"), atomically: true, encoding: .utf8)
        let wrapper = """
            <!DOCTYPE html><html><body style="margin:0"><iframe id="f" src="report.html" style="width:\(width)px;height:900px;border:0"></iframe>
            <script>document.getElementById("f").addEventListener("load", () => {
              const d = document.getElementById("f").contentDocument;
              const tables = [...d.querySelectorAll(".table-wrap")].filter(e => e.scrollWidth > e.clientWidth + 1).length;
              document.body.setAttribute("data-measure", JSON.stringify({inner: d.defaultView.innerWidth,
                scroll: d.documentElement.scrollWidth, tablesScrolling: tables}));
            });</script></body></html>
            """
        try wrapper.write(to: dir.appendingPathComponent("wrapper.html"), atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: chromium)
        p.arguments = ["--headless=new", "--no-sandbox", "--disable-gpu", "--allow-file-access-from-files",
                       "--user-data-dir=" + dir.appendingPathComponent("profile").path,
                       "--window-size=1400,1000", "--dump-dom", dir.appendingPathComponent("wrapper.html").absoluteString]
        let out = dir.appendingPathComponent("dom.html")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        p.standardOutput = try FileHandle(forWritingTo: out)
        p.standardError = FileHandle.nullDevice
        try p.run()
        let deadline = Date().addingTimeInterval(90)
        while p.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        if p.isRunning { p.terminate(); p.waitUntilExit() }
        let dom = try String(contentsOf: out, encoding: .utf8)
        let raw = try #require(dom.components(separatedBy: "data-measure=\"").dropFirst().first?.components(separatedBy: "\"").first,
                               "chromium measured nothing")
        return try JSONDecoder().decode(Measure.self, from: Data(raw.replacingOccurrences(of: "&quot;", with: "\"").utf8))
    }

    /// A report like the study's: a seven-column results table with long model and augmentation labels.
    static func studyLikeReport() -> String {
        let table = ReportTable(columns: [
            TableColumn("run"), TableColumn("model"), TableColumn("augment"),
            TableColumn("top-1", unit: "%", better: .higher, format: .percent(1)),
            TableColumn("top-5", unit: "%", better: .higher, format: .percent(1)),
            TableColumn("params", better: .lower, format: .compact), TableColumn("train time", better: .lower, format: .duration),
        ], rows: [
            [.link("base", anchor: "run-a"), .text("ResNet-18 (width 16, CIFAR stem)"), .text("random crop (pad 4) + horizontal flip"),
             .meanStd(mean: 0.715, std: 0.012), .meanStd(mean: 0.981, std: 0.003), .number(2_790_000), .number(245)],
            [.link("aa", anchor: "run-b"), .text("SE-ResNet-18 (width 16, CIFAR stem, SE r=16)"),
             .text("random crop (pad 4) + horizontal flip + AutoAugment (CIFAR-10 policy) + Cutout 16"),
             .meanStd(mean: 0.657, std: 0.021), .meanStd(mean: 0.972, std: 0.004), .number(2_830_000), .number(3_725)],
        ])
        return ReportRenderer.render(Report(title: "Study", blocks: [
            .prose("## Results\n\nThe main table.\n"),
            .cell(ReportCell(id: "t", source: "Table(base, aa)", outputs: [ReportOutput(title: "Main results", .table(table))])),
        ]))
    }

    /// The CIFAR-100 study's second table twice, as `Table(columns:)` renders it (texts from a `loom render` of
    /// its cells): once with `.differs`, once with every labelled column, the widest tables a notebook asks for.
    static func columnsReport() -> String {
        let top1 = TableColumn("top-1", unit: "%", better: .higher, format: .percent(1))
        let differs = ["reference", "m 0 → 0.9; +nesterov; wd 0 → 1e-4",
                       "augment +CJ(0.4), AA(cifar10) → AA(v0); m 0 → 0.9; +nesterov; wd 0 → 1e-4; cosine → step(30, ×0.1); smoothing 0 → 0.1",
                       "augment +resize(224), crop → crop(pad 28); lr 1 → 0.5; m 0 → 0.9; +nesterov; wd 0 → 1e-4; epochs 200 → 300",
                       "augment +resize(224), crop → crop(pad 28); SGD → Lion; lr 1 → 5e-4; wd 0 → 1e-4; epochs 200 → 400"]
        let first = ReportTable(columns: [TableColumn("run"), TableColumn("model"), TableColumn("differs from row 1"), top1,
                                          TableColumn("top-5", unit: "%", better: .higher, format: .percent(1)),
                                          TableColumn("train time", better: .lower, format: .duration)],
                                rows: differs.enumerated().map { i, d in
                                    [.link("timm_row\(i + 1)", anchor: "run-\(i)"), .text("ResNet-50 ImageNet-stem"), .text(d),
                                     .meanStd(mean: 0.6139, std: 0.0042), .number(0.8801), .number(8_426)]
                                })
        let labelled: [[String]] = [["SGD 1, wd 0", "1", "0", "32"], ["SGD 1, m 0.9, wd 1e-4, nesterov", "1", "1e-4", "32"],
                                    ["SGD 0.5, m 0.9, wd 1e-4, nesterov", "0.5", "1e-4", "224"], ["Lion 5e-4, wd 1e-4", "5e-4", "1e-4", "224"]]
        let second = ReportTable(columns: [TableColumn("run"), TableColumn("model"), TableColumn("optimizer"), TableColumn("lr"),
                                           TableColumn("wd"), TableColumn("batch"), TableColumn("image", unit: "px"),
                                           TableColumn("mean/std"), TableColumn("backend"), TableColumn("epochs"), top1],
                                 rows: labelled.enumerated().map { i, l in
                                     [.link("timm_row\(i + 1)", anchor: "run-\(i)"), .text("ResNet-50 ImageNet-stem"), .text(l[0]),
                                      .text(l[1]), .text(l[2]), .text("256"), .text(l[3]), .text("CIFAR-100 stats"),
                                      .text("torch 2×1 local"), .text("300"), .meanStd(mean: 0.8191, std: 0.0031)]
                                 })
        return ReportRenderer.render(Report(title: "CIFAR-100", blocks: [
            .cell(ReportCell(id: "d", source: "Table(...)", outputs: [ReportOutput(title: "What differs", .table(first))])),
            .cell(ReportCell(id: "l", source: "Table(...)", outputs: [ReportOutput(title: "Recipes", .table(second))])),
        ]))
    }

    @Test func nothingOverflowsAtDesktopOrPhoneWidth() throws {
        guard Self.chromium != nil else {
            print("ReportBrowserTests: skipped: chromium is not on PATH (apt-get install chromium)")
            return
        }
        // The measurement can fail: a page with an element wider than the frame overflows.
        let wide = try Self.measure("<!DOCTYPE html><html><body><div style=\"width:2000px\">x</div></body></html>", width: 390)
        #expect(wide.scroll > wide.inner)
        let (sample, references) = sampleReport()
        for (name, html) in [("sample report", ReportRenderer.render(sample, references: references)),
                             ("study-like table", Self.studyLikeReport()), ("differs and labelled columns", Self.columnsReport())] {
            for width in [1280, 390] {
                let m = try Self.measure(html, width: width)
                #expect(m.inner == width, "\(name) at \(width) px: the frame is \(m.inner) px")
                #expect(m.scroll <= m.inner, "\(name) at \(width) px: the page is \(m.scroll) px wide")
                if width == 1280 {
                    #expect(m.tablesScrolling == 0, "\(name) at 1280 px: \(m.tablesScrolling) table(s) wider than the text column")
                }
            }
        }
    }
}
