// ShapeBias on Geirhos et al.'s cue-conflict layout (`data: .cueConflict(path:)`): computed with a 1,000-class model,
// its folder's contents in the key, and the keys of cells without `data:` unchanged.

import Engine
import Foundation
import Notebook
import Testing
import Vision
@testable import Experiments

@Suite struct CueConflictAnalysisTests {
    /// A stimuli folder of 16×16 PNGs in the published layout; one stimulus has agreeing labels (dropped).
    static func stimuli(in dir: String) throws {
        let files = ["cat/cat1-elephant1.png", "cat/cat2-cat1.png", "elephant/elephant1-cat2.png", "dog/dog1-bird1.png",
                     "bird/bird1-dog2.png"]
        for (i, f) in files.enumerated() {
            let path = dir + "/" + f
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            try PNG.write(Image(width: 16, height: 16, pixels: (0..<768).map { UInt8(($0 * 13 + i * 57) % 256) }), to: path)
        }
    }

    static func notebook(stimuli: String) -> String {
        """
        ```swift config
        let base = Experiment(model: .resnet(layers: [1], block: .basic, channels: [4], classes: 1000),
                              data: \(TinyNotebook.data), epochs: 1, batchSize: 32)
        ShapeBias(base, radii: [3], grids: [2], examples: 8)
        ShapeBias(base, radii: [3], grids: [2], examples: 8, data: .cueConflict(path: "\(stimuli)"))
        ```
        """
    }

    /// The planned ShapeBias keys, in cell order.
    static func keys(_ box: Sandbox, _ path: String) throws -> [String] {
        let (doc, ws) = try openNotebook(path, outputDirectory: box.output)
        let plan = try makePlan(document: doc, registry: notebookRegistry(), workspace: ws)
        return plan.analyses.flatMap { $0.targets.map(\.key) }
    }

    @Test func measuresTheStimuliAndKeysTheirContents() throws {
        let box = try Sandbox()
        let folder = box.root + "/cue-conflict"
        try Self.stimuli(in: folder)
        let path = try box.write(Self.notebook(stimuli: folder))
        let (doc, ws) = try openNotebook(path, outputDirectory: box.output)
        let plan = try makePlan(document: doc, registry: notebookRegistry(), workspace: ws)
        let first = try #require(plan.analyses.first?.targets.first)
        // Without `data:` the key is computed from exactly the arguments the analysis had before `data:` existed.
        let params = ResolvedValue.call("ShapeBias", [
            ResolvedArgument("examples", .int(8)), ResolvedArgument("grids", .array([.int(2)])),
            ResolvedArgument("radii", .array([.number(3)])), ResolvedArgument("seed", .int(0)),
        ])
        let expected = ContentHash.sha256Hex(Data(["ShapeBias", params.canonicalJSON, first.runKey, engineNumericsVersion,
                                                   analysisNumericsVersion].joined(separator: "|").utf8))
        #expect(first.key == expected)

        let (summary, log, html) = try box.run(path)
        #expect(summary.failed == 0 && summary.analysed == 2, "\(log.text)")
        #expect(!html.contains("class=\"error-box"), "an analysis rendered an error")
        let before = try Self.keys(box, path)
        let stored = try #require(try box.store().result(key: before[1]))
        let payload = try #require(try JSONSerialization.jsonObject(with: Data(stored.payload.utf8)) as? [String: Any])
        let cue = try #require(payload["cueConflict"] as? [String: Int])
        #expect(cue["shape"]! + cue["texture"]! + cue["neither"]! == 4, "\(cue)")  // 5 stimuli, 1 with agreeing labels
        #expect(html.contains("Geirhos et al.&#39;s style-transfer stimuli") || html.contains("Geirhos et al.'s style-transfer stimuli"))
        // The human observers' published figure, with its source, once in the chart and once in the table of the
        // cell with `data: .cueConflict` (the `.shapes` cell has none).
        #expect(html.components(separatedBy: "human observers (published)").count - 1 >= 2)
        #expect(html.components(separatedBy: "ICLR 2019, section 3 and figure 4").count - 1 == 3)  // marker title, 2 notes
        #expect(html.contains("95.9"))

        // Changing one stimulus changes that cell's key only.
        try PNG.write(Image(width: 16, height: 16, pixels: [UInt8](repeating: 9, count: 768)), to: folder + "/cat/cat1-elephant1.png")
        let after = try Self.keys(box, path)
        #expect(before[0] == after[0] && before[1] != after[1])
    }

    /// The human figure joins the chart as a category of its own (a published marker, no bars) and the counts table
    /// as a noted row; both carry note 1 with the source.
    @Test func humanFigureIsAPublishedValueWithItsSource() {
        let chart = BarChart(categories: ["r50", "vit"], y: ChartAxis("shape bias", unit: "%", min: 0, max: 100),
                             series: [BarSeries("cue conflict", values: [22, 60])])
        let table = ReportTable(columns: ["run", "test", "shape S", "texture T", "neither", "S/(S+T)"].map { TableColumn($0) },
                                rows: [[.text("r50"), .text("cue conflict"), .number(1), .number(3), .number(0), .number(0.25)]])
        let (c, t) = ShapeBiasAnalysis.withHumanFigure(chart, table)
        #expect(c.categories == ["r50", "vit", "human observers (published)"])
        #expect(c.series[0].values.count == 3 && c.series[0].values[2].isNaN)
        #expect(c.markers == [BarMarker(category: 2, value: 95.9, note: 1)])
        #expect(c.notes.count == 1 && c.notes[0].contains("Geirhos et al. 2019") && c.notes[0].contains("figure 4"))
        #expect(t.rows.count == 2 && t.notes == c.notes)
        guard case let .noted(.number(v), 1)? = t.rows[1].last else { Issue.record("\(t.rows[1])"); return }
        #expect(abs(v - 0.959) < 1e-12)
    }

    @Test func aModelWithoutImageNetsClassesIsRefused() throws {
        let box = try Sandbox()
        let folder = box.root + "/cue-conflict"
        try Self.stimuli(in: folder)
        let path = try box.write(Self.notebook(stimuli: folder).replacingOccurrences(of: "classes: 1000", with: "classes: 4"))
        let (summary, _, html) = try box.run(path)
        #expect(summary.failed == 1)
        #expect(html.contains("needs a 1,000-class ImageNet classifier"))
    }
}
