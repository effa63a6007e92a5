// End-to-end tests of the analysis cells: computed once per analysed run from its final weights, cached in the
// store, recomputed only for what changed, and reported in place when their run cannot be analysed.

import Experiments
import Foundation
import Notebook
import Engine
import Testing
import Vision

@Suite struct AnalysisEndToEndTests {
    static let cell = """
        FrequencyAnalysis(base, small, examples: 8)
        FilteredAccuracy(base, cutoffs: [2, 4], examples: 16)
        FrequencyNoise(base, examples: 16)
        FourierHeatmap(base, examples: 4)
        GradCAM(base, images: 3)
        ShapeBias(base, radii: [3], examples: 16)
        """

    @Test func analysesRunOnceFromTheTrainedWeightsAndAreCached() throws {
        var nb = TinyNotebook()
        nb.extraCells = [Self.cell]
        let (box, path) = try Baseline.copy(nb)
        let (s1, c1, html1) = try box.run(path)
        #expect(s1.trained == 0, "an analysis must never retrain: \(c1.text)")
        #expect(s1.analysed == 7 && s1.failed == 0 && s1.errors == 0, "log: \(c1.text)")
        for title in ["ΔlogA of base", "ΔlogA of small", "low-pass (solid) and high-pass (dashed)",
                      "band-limited noise", "Fourier heat map of base", "Grad-CAM of base", "shape bias S / (S + T)"] {
            #expect(html1.contains(title), "report lacks \(title)")
        }
        #expect(!html1.contains("class=\"error"), "an analysis rendered an error")
        let store = try box.store()
        #expect(try store.results().filter { $0.kind == "FrequencyAnalysis" }.count == 2)
        let cam = try #require(try store.results().first { $0.kind == "GradCAM" })
        #expect(try store.artifacts(of: cam.key).keys.sorted() == ["cam-0.png", "cam-1.png", "cam-2.png"])

        let (s2, c2, html2) = try box.run(path)
        #expect(s2.analysed == 0 && s2.trained == 0, "log: \(c2.text)")
        #expect(html2.contains("Grad-CAM of base"))
        // The page is a function of notebook and store: the run that computed everything and the
        // cached re-run write the same bytes.
        #expect(html2 == html1, "a cached re-run rendered different HTML from the run that computed the results")
        let (_, _, html3) = try box.run(path)
        #expect(html3 == html2, "the same store rendered different HTML")
        let (_, _, html4) = try box.run(path) { $0.execute = false }
        #expect(html4 == html2)
    }

    @Test func changingOneAnalysisRecomputesOnlyIt() throws {
        var nb = TinyNotebook()
        nb.extraCells = ["FrequencyAnalysis(base, examples: 8)\nFilteredAccuracy(base, cutoffs: [2, 4], examples: 16)"]
        let (box, path) = try Baseline.copy(nb)
        let (s1, _, _) = try box.run(path)
        #expect(s1.analysed == 2)
        nb.extraCells = ["FrequencyAnalysis(base, small, examples: 8)\nFilteredAccuracy(base, cutoffs: [2, 6], examples: 16)"]
        try box.write(nb.text)
        let (s2, c2, _) = try box.run(path)
        // small's FrequencyAnalysis is new; base's is reused; the filtered accuracy changed its cutoffs.
        #expect(s2.analysed == 2, "log: \(c2.text)")
        #expect(c2.text.contains("analysis FrequencyAnalysis(small)") && !c2.text.contains("analysis FrequencyAnalysis(base)"))
        #expect(c2.text.contains("analysis FilteredAccuracy(base)"))
    }

    @Test func anAnalysisOfARunTrainedInTheSameInvocationRunsAfterIt() throws {
        var nb = TinyNotebook()
        nb.extraCells = ["let wider = base.with(model: .resnet(layers: [1, 1], block: .basic, channels: [8, 24]))\n"
                         + "FilteredAccuracy(wider, cutoffs: [3], examples: 8)"]
        let (box, path) = try Baseline.copy(nb)
        let (s, c, html) = try box.run(path)
        #expect(s.trained == 1 && s.analysed == 1 && s.failed == 0, "log: \(c.text)")
        #expect(html.contains("low-pass (solid) and high-pass (dashed)"))
    }

    @Test func anAnalysisOfARunWithoutDataIsReportedInPlace() throws {
        var nb = TinyNotebook()
        nb.extraCells = ["let far = Experiment(model: \(TinyNotebook.model), data: .cifar10(path: \"no-such-cifar\"), epochs: 1)\n"
                         + "GradCAM(far, images: 2)"]
        let (box, path) = try Baseline.copy(nb)
        let (s, c, html) = try box.run(path)
        #expect(s.analysed == 0 && s.missingData == 1, "log: \(c.text)")
        let note = html.components(separatedBy: "GradCAM of far: ").dropFirst().first?.prefix(300) ?? ""
        #expect(note.contains("no-such-cifar"), "the note names the missing folder: \(note)")
        // Issue 14: missing data exits with its own status (3), not 0, so scripts see that results are absent.
        #expect(s.exitCode(keepGoing: false) == RunSummary.dataMissingStatus, "missing data has its own exit status, as for experiments")
    }
}

/// Weights trained elsewhere: an evaluation-only experiment (`epochs: 0, weights:`) on an image folder resized by its
/// `augment`, analysed like a trained run.
@Suite struct ForeignWeightsAnalysisTests {
    @Test func anEvaluationOnlyExperimentWithWeightsIsAnalysedAtItsResizedSize() throws {
        let box = try Sandbox()
        // Two classes of 20×20 PNGs (bright vs dark squares), train and val.
        for split in ["train", "val"] {
            for (c, level) in [("bright", UInt8(220)), ("dark", UInt8(40))] {
                let dir = box.root + "/pets/\(split)/\(c)"
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                for i in 0..<3 {
                    var px = [UInt8](repeating: 128, count: 20 * 20 * 3)
                    for y in 4..<(10 + i) { for x in 4..<(12 + i) { for ch in 0..<3 { px[(y * 20 + x) * 3 + ch] = level } } }
                    try PNG.write(Image(width: 20, height: 20, pixels: px), to: dir + "/\(i).png")
                }
            }
        }
        let expression = ".resnet(layers: [1, 1], block: .basic, channels: [4, 8], classes: 2)"
        let model = try ModelExpression.parse(expression).build(seed: 7)
        try SafeTensors.write(model.stateDict(), to: box.root + "/foreign.safetensors")
        let path = try box.write("""
            ---
            data: .
            ---

            ```swift config
            let foreign = Experiment(model: \(expression), data: .imageFolder(path: "pets"),
                                     augment: [.resize(size: 32)], epochs: 0, weights: "foreign.safetensors")
            FrequencyAnalysis(foreign, examples: 6)
            GradCAM(foreign, images: 2)
            ```
            """)
        let (s, c, html) = try box.run(path)
        #expect(s.trained == 1 && s.analysed == 2 && s.failed == 0, "log: \(c.text)")
        let store = try box.store()
        let spectra = try #require(try store.results().first { $0.kind == "FrequencyAnalysis" })
        // The stem of this CIFAR-stem ResNet sees the 32-pixel resized images, not the 20-pixel files.
        #expect(spectra.payload.contains("\"name\":\"stem\",\"shaded\":false,\"size\":32"), "\(spectra.payload.prefix(400))")
        let cam = try #require(try store.results().first { $0.kind == "GradCAM" })
        let png = try #require(try store.artifact(named: "cam-0.png", of: cam.key))
        let overlay = try PNG.decode([UInt8](png.bytes), name: "cam-0.png")
        #expect(overlay.width == 32 && overlay.height == 32)
        #expect(html.contains("Grad-CAM of foreign"))
    }
}

/// A headless feature extractor (`classes: 0`, timm's `num_classes=0`, e.g. converted DINO weights) is evaluated
/// without scores and analysed by FrequencyAnalysis; analyses that need class scores say why they cannot run.
@Suite struct HeadlessAnalysisTests {
    @Test func aViTWithoutHeadIsAnalysedFromItsFeatures() throws {
        let box = try Sandbox()
        let expression = ".vit(image: 16, patch: 4, dim: 24, depth: 2, heads: 2, classes: 0)"
        let model = try ModelExpression.parse(expression).build(seed: 5)
        let state = model.stateDict()
        #expect(state["head.weight"] == nil && state["norm.weight"] != nil, "no head parameters, as timm's num_classes=0")
        try SafeTensors.write(state, to: box.root + "/dino.safetensors")
        let path = try box.write("""
            ---
            data: .
            ---

            ```swift config
            let dino = Experiment(model: \(expression), data: .shapes(classes: 4, size: 16, train: 8, test: 16),
                                  epochs: 0, weights: "dino.safetensors")
            FrequencyAnalysis(dino, examples: 8)
            FilteredAccuracy(dino, cutoffs: [2], examples: 8)
            ```

            ```swift config
            let bad = Experiment(model: \(expression), data: .shapes(classes: 4, size: 16, train: 8, test: 16), epochs: 1)
            ```
            """)
        let (s, c, html) = try box.run(path)
        #expect(s.trained == 1 && s.analysed == 1, "log: \(c.text)")
        #expect(html.contains("ΔlogA of dino"))
        #expect(html.contains("FilteredAccuracy of dino: FilteredAccuracy needs class scores"), "the refusal is shown in place")
        #expect(html.contains("has no classifier head and cannot train"), "training a headless model is a cell error")
        let record = try #require(try box.store().runs().first { $0.cell == "dino" })
        #expect(record.status == .succeeded && record.summary["top1"] == nil && record.summary["params"] != nil)
    }
}
