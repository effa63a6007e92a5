// Snapshot tests of the HTML report: a sample report covering every block and output kind.
import Foundation
import Testing
@testable import Notebook

/// Compares `actual` with `Snapshots/<name>`; records it instead when `LOOM_RECORD_SNAPSHOTS=1`
/// or when the file does not exist yet (then the test fails so a new snapshot is looked at).
func assertSnapshot(_ actual: String, named name: String, filePath: String = #filePath,
                    sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
    let url = URL(fileURLWithPath: filePath).deletingLastPathComponent()
        .appendingPathComponent("Snapshots").appendingPathComponent(name)
    let record = ProcessInfo.processInfo.environment["LOOM_RECORD_SNAPSHOTS"] == "1"
    guard !record, let expected = try? String(contentsOf: url, encoding: .utf8) else {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try actual.write(to: url, atomically: true, encoding: .utf8)
        if !record { Issue.record("recorded new snapshot \(name); check it and rerun", sourceLocation: sourceLocation) }
        return
    }
    if actual != expected {
        let a = actual.components(separatedBy: "\n"), e = expected.components(separatedBy: "\n")
        let line = zip(a, e).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(a.count, e.count)
        Issue.record("""
            snapshot \(name) differs at line \(line + 1) (re-record with LOOM_RECORD_SNAPSHOTS=1):
            expected: \(line < e.count ? e[line].prefix(300) : "<end>")
            actual:   \(line < a.count ? a[line].prefix(300) : "<end>")
            """, sourceLocation: sourceLocation)
    }
}

/// A minimal RGB PNG (stored deflate blocks), so tests need no image library.
func makePNG(width: Int, height: Int, pixel: (Int, Int) -> (UInt8, UInt8, UInt8)) -> Data {
    var raw: [UInt8] = []
    for y in 0..<height {
        raw.append(0)  // filter: none
        for x in 0..<width { let (r, g, b) = pixel(x, y); raw += [r, g, b] }
    }
    var zlib: [UInt8] = [0x78, 0x01]
    var offset = 0
    repeat {
        let count = min(65_535, raw.count - offset)
        let final: UInt8 = offset + count == raw.count ? 1 : 0
        zlib += [final, UInt8(count & 0xff), UInt8(count >> 8), UInt8(~count & 0xff), UInt8((~count >> 8) & 0xff)]
        zlib += raw[offset..<offset + count]
        offset += count
    } while offset < raw.count
    var (a, b) = (UInt32(1), UInt32(0))
    for byte in raw { a = (a + UInt32(byte)) % 65_521; b = (b + a) % 65_521 }
    zlib += bigEndian(b << 16 | a)

    func bigEndian(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)] }
    func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let body = Array(type.utf8) + data
        var crc: UInt32 = 0xffff_ffff
        for byte in body {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xedb8_8320 : crc >> 1 }
        }
        return bigEndian(UInt32(data.count)) + body + bigEndian(~crc)
    }
    let header = bigEndian(UInt32(width)) + bigEndian(UInt32(height)) + [8, 2, 0, 0, 0]
    let png: [UInt8] = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] + chunk("IHDR", header) + chunk("IDAT", zlib) + chunk("IEND", [])
    return Data(png)
}

/// The runs of the sample report (label, run key) and their provenance; the third averages three seeds.
private enum SampleRuns {
    static let runs = [("base", "a1b2c3d4e5f6a7b8c9d0"), ("se", "b2c3d4e5f6a7b8c9d0e1"), ("aa", "c3d4e5f6a7b8c9d0e1f2")]

    static func provenance() -> [Provenance] {
        let env = (commit: "3f9c2a1b7d0e4c5f8a6b", engine: "numerics-1")
        return runs.enumerated().map { i, run in
            Provenance(runKey: run.1, label: run.0, seeds: i == 2 ? [0, 1, 2] : [0], gitCommit: env.commit,
                       engineVersion: env.engine, wallSeconds: [245.0, 262.5, 3_725][i],
                       machine: i == 2 ? "AMD EPYC · avx512 kernels · OpenBLAS Cooperlake · 2 threads" : nil,
                       computedAt: Date(timeIntervalSince1970: 1_764_757_500 + Double(i) * 3_600))
        }
    }
}

/// The sample report's results table: every column format, a link per run, escaped text, a mean ± std and a missing cell.
private func sampleTable(_ provenance: [Provenance]) -> ReportTable {
    ReportTable(columns: [
        TableColumn("run"), TableColumn("model"),
        TableColumn("top-1", unit: "%", better: .higher, format: .percent(1)),
        TableColumn("top-5", unit: "%", better: .higher, format: .percent(1)),
        TableColumn("params", better: .lower, format: .compact),
        TableColumn("train time", better: .lower, format: .duration),
    ], rows: [
        [.link("base", anchor: provenance[0].anchor), .text("ResNet-18"), .number(0.7312), .number(0.9421), .number(11_173_962), .number(245)],
        [.link("se", anchor: provenance[1].anchor), .text("SE-ResNet-18"), .number(0.7468), .number(0.9507), .number(11_263_050), .number(262.5)],
        [.link("aa", anchor: provenance[2].anchor), .text("SE-ResNet-18 + <AutoAugment>"), .meanStd(mean: 0.7655, std: 0.0041),
         .number(0.9507), .number(11_263_050), .missing],
    ], caption: "CIFAR-style shapes, 15 epochs")
}

/// The sample report's charts: training curves, a depth plot with bands and dashed twins, grouped bars with error bars.
private func sampleCharts(_ runs: [(String, String)]) -> (curves: LineChart, depth: LineChart, bars: BarChart) {
    let curves = LineChart(x: ChartAxis("epoch"), y: ChartAxis("test top-1", unit: "%"), series: runs.enumerated().map { i, run in
        LineSeries(run.0, (1...15).map { e in
            ChartPoint(Double(e), 100 * (0.76 + 0.01 * Double(i)) * (1 - exp(-Double(e) / 4)))
        })
    })
    // A depth plot: shaded bands, twin series sharing a colour (solid and dashed), a zero reference line.
    let depth = LineChart(x: ChartAxis("normalised depth", min: 0, max: 1), y: ChartAxis("ΔlogA"), series: [
        LineSeries("last diagonal point", (0...8).map { ChartPoint(Double($0) / 8, sin(Double($0)) - 0.5) }, colour: 1),
        LineSeries("fixed frequency π/2", (0...8).map { ChartPoint(Double($0) / 8, $0 < 2 ? .nan : cos(Double($0)) - 1) },
                   dashed: true, colour: 1),
    ], bands: [ChartBand(from: 2.0 / 8, to: 3.0 / 8, label: "downsampling blocks"),
               ChartBand(from: 5.0 / 8, to: 6.0 / 8, label: "downsampling blocks")], reference: 0)
    let bars = BarChart(categories: ["none", "low-pass 8", "high-pass 8"], y: ChartAxis("accuracy", unit: "%"), series: [
        BarSeries("ResNet-18", values: [73.1, 41.5, 22.8], errors: [0.4, 1.2, 2.1]),
        BarSeries("ViT-Tiny", values: [68.4, 55.0, 11.3], errors: [0.6, 0.9, 1.5]),
    ])
    return (curves, depth, bars)
}

/// The sample report's image cell (one PNG shown twice, embedded once) and its error cell.
private func sampleImageAndErrorCells(_ provenance: [Provenance]) -> (samples: ReportCell, error: ReportCell) {
    let stripes = makePNG(width: 32, height: 32) { x, y in ((x / 4 + y / 4) % 2 == 0 ? (230, 90, 40) : (40, 90, 200)) }
    let gradient = makePNG(width: 32, height: 32) { x, y in (UInt8(x * 8), UInt8(y * 8), 128) }
    let samplesCell = ReportCell(id: "samples", source: "Samples(aa, count: 3)", line: 61, state: .current, outputs: [
        ReportOutput(title: "Augmented training samples", .images([
            ReportImage(png: stripes, caption: "original"), ReportImage(png: gradient, caption: "AutoAugment"),
            ReportImage(png: stripes, caption: "same bytes, embedded once"),
        ]), provenance: [provenance[2]]),
    ])
    let errorCell = ReportCell(id: "broken", source: "let vit = Experiment(optimizer: .sgd(lr: 0.1, weightDecy: 5e-4))",
                               line: 70, outputs: [ReportOutput(.error(ReportError(
        message: "unknown label `weightDecy` in `.sgd`", file: "notebooks/study.md", line: 71, column: 47, length: 10,
        sourceLine: "let vit = Experiment(optimizer: .sgd(lr: 0.1, weightDecy: 5e-4))", hint: "did you mean `weightDecay`?")))])
    return (samplesCell, errorCell)
}

/// The sample report's main cell source: bindings, a `.with` derivation, a Table and Curves.
private let sampleCellSource = """
    // Baseline and two variants; `aa` averages three seeds.
    let base = Experiment(
        model: .resnet(depth: 18, width: 16),
        data: .shapes(classes: 10, train: 8_000, test: 2_000),
        optimizer: .sgd(lr: 0.1, momentum: 0.9, weightDecay: 5e-4, nesterov: true),
        epochs: 15, batchSize: 128, seed: 0)
    let se = base.with(model: .resnet(depth: 18, width: 16, attention: .se))
    let aa = se.with(augment: [.randomCrop(padding: 4), .horizontalFlip, .autoAugment(.cifar10)], seeds: 3)
    Table(base, se, aa, columns: [.model, .top1, .top5, .params, .trainTime])
    Curves(base, se, aa, metric: .testTop1, label: "top-1 <test>")
    """

/// A report exercising prose, every output kind, provenance, references and user-text escaping.
func sampleReport() -> (Report, [String: InlineValue]) {
    let runs = SampleRuns.runs, provenance = SampleRuns.provenance()
    let table = sampleTable(provenance)
    let (curves, depth, bars) = sampleCharts(runs)
    let (samplesCell, errorCell) = sampleImageAndErrorCells(provenance)
    let source = sampleCellSource
    let report = Report(title: "Attention & augmentation on <shapes>", author: "A. Researcher", date: "2025-05-01", blocks: [
        .prose("""
            ## Question

            Does channel attention help a small ResNet? The SE variant reaches `= se.top1` top-1 against
            `= base.top1` for the baseline; AutoAugment adds more (`= aa.top1`). An unknown reference stays
            visible: `= vit.top1`. Plain `code` is untouched.

            | setting | value |
            |---|---:|
            | epochs | 15 |
            | ~~batch~~ batch size | 128 |

            Raw HTML is shown, not run: <script>alert("x")</script> and <b onclick="x()">bold</b>.
            See https://arxiv.org/abs/1709.01507 and [a bad link](javascript:alert(1)).
            """),
        .cell(ReportCell(id: "base", source: source, line: 24, state: .current, outputs: [
            ReportOutput(anchor: "table-top1", title: "Top-1 by model", .table(table), provenance: provenance),
            ReportOutput(title: "Test top-1 per epoch", .lineChart(curves), provenance: provenance),
            ReportOutput(title: "ΔlogA against depth", .lineChart(depth)),
        ])),
        .prose("## Frequency robustness\n\nLow-pass filtering hurts the CNN more than the ViT."),
        .cell(ReportCell(id: "filtered", source: "FilteredAccuracy(base, vit, cutoffs: [8])", line: 55, state: .stale, outputs: [
            ReportOutput(title: "Accuracy under filtering (mean ± std over 3 seeds)", .barChart(bars), provenance: [provenance[0]]),
            ReportOutput(.text("cutoff  resnet  vit\n8       41.5    55.0"), provenance: [provenance[0]]),
        ])),
        .cell(samplesCell),
        .cell(errorCell),
    ])
    let references = Dictionary(uniqueKeysWithValues: zip(runs, provenance).map { run, p in
        ("\(run.0).top1", InlineValue(text: ["73.1 %", "74.7 %", "76.6 %"][runs.firstIndex { $0 == run }!], anchor: p.anchor))
    })
    return (report, references)
}

@Suite(.serialized) struct ReportSnapshotTests {
    @Test func sampleReportMatchesSnapshot() throws {
        let (report, references) = sampleReport()
        try assertSnapshot(ReportRenderer.render(report, references: references), named: "sample-report.html")
    }

    @Test func renderingIsDeterministic() {
        let (report, references) = sampleReport()
        #expect(ReportRenderer.render(report, references: references) == ReportRenderer.render(report, references: references))
    }
}
