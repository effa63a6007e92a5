// Real pixels end to end: a JPEG folder cut from the fixtures' two photographs, weights in timm's names imported
// (`loom weights import` with LOOM_TORCH_PYTHON; else written by Loom itself in timm's names), then predict,
// FrequencyAnalysis, GradCAM and the HTML report, each checked on its outputs.

import Engine
import Foundation
import Notebook
import Testing
import Vision
@testable import Experiments

@Suite struct RealPixelsEndToEndTests {
    static let classes = ["china-bottom", "china-top", "flower"]
    /// The tiny ResNet with timm's ImageNet stem: its state dict is named as timm's `resnet*` (conv1, bn1, layer1.0…, fc).
    static let model = ".resnet(layers: [1, 1], block: .basic, channels: [8, 16], stem: .imagenet, classes: 3)"

    /// `root/{train,val}/<class>/`: JPEG crops (quality 90) of three regions of the two 640×427 photographs, in three
    /// sizes (64×48, 56×56, 72×60), so evaluation goes through timm's resize-and-centre-crop on real photographs.
    static func makeFolder(at root: String) throws {
        let sizes = [(64, 48), (56, 56), (72, 60)]
        for (c, name) in classes.enumerated() {
            let photo = try ImageFile.read(path: JPEGFolderEndToEndTests.fixture(c == 2 ? "photo_flower.jpg" : "photo_china.jpg"))
            let top = c == 0 ? 240 : 20
            for (split, count, offset) in [("train", 6, 0), ("val", 3, 6)] {
                let dir = root + "/\(split)/\(name)"
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                for i in 0..<count {
                    let k = i + offset, (w, h) = sizes[k % 3]
                    let crop = photo.cropped(x: 30 + k * 60, y: top + (k % 2) * 70, width: w, height: h)
                    try JPEG.write(crop, to: dir + "/\(k).jpg", quality: 90)
                }
            }
        }
    }

    /// The weights the second notebook starts from, in timm's names. With torch: the first run's weights saved by
    /// torch as a DDP checkpoint (`{"state_dict": {"module.…": …}}`, `.pth.tar`) and brought back by `loom weights
    /// import` (names checked, `module.` stripped, logits compared with torch's). Without: the first run's own
    /// `final.safetensors`, which Loom writes in timm's names — a stand-in for a timm checkpoint, named as one.
    static func timmWeights(from trained: String, in root: String) throws -> String {
        let out = root + "/tiny_timm.safetensors"
        guard let python = torchPython else {
            try FileManager.default.copyItem(atPath: trained, toPath: out)
            return out
        }
        _ = try runPython(python, ["-c", """
            import torch
            from safetensors.torch import load_file
            sd = load_file("\(trained)")
            torch.save({"state_dict": {"module." + k: v for k, v in sd.items()}, "epoch": 2}, "\(root)/tiny.pth.tar")
            """])
        _ = try WeightsImport(file: root + "/tiny.pth.tar", model: model, out: out, python: python).run()
        return out
    }

    @Test(.timeLimit(.minutes(5)))
    func importedWeightsPredictAnalyseAndRender() throws {
        let box = try Sandbox()
        try Self.makeFolder(at: box.root + "/photos")
        let train = try box.write("""
            ---
            data: .
            ---

            ```swift config
            let photos = Experiment(model: \(Self.model), data: .imageFolder(path: "photos"),
                                    augment: [.randomResizedCrop(size: 48), .horizontalFlip], epochs: 2, batchSize: 6)
            ```
            """, name: "train")
        let (s1, c1, _) = try box.run(train)
        #expect(s1.trained == 1 && s1.failed == 0, "\(c1.text)")
        let trained = try #require(try box.store().runs().first { $0.status == .succeeded })
        let weights = try Self.timmWeights(from: box.output + "/checkpoints/\(trained.key)/final.safetensors", in: box.root)
        let file = try SafeTensors.read(weights)
        for name in ["conv1.weight", "bn1.running_var", "layer1.0.conv1.weight", "layer2.0.downsample.0.weight", "fc.weight"] {
            #expect(file[name] != nil, "\(name) missing from \(file.entries.keys.sorted())")
        }
        let original = try SafeTensors.read(box.output + "/checkpoints/\(trained.key)/final.safetensors")
        #expect(original.entries.keys.sorted() == file.entries.keys.sorted())
        for (name, entry) in original.entries where entry.shape != [] {
            #expect(file[name]?.tensor.scalars == entry.tensor.scalars, "\(name) changed on import")
        }

        let path = try box.write("""
            ---
            data: .
            ---

            Three classes of real photograph crops, evaluated with imported weights.

            ```swift config
            let pre = Experiment(model: \(Self.model), data: .imageFolder(path: "photos"),
                                 augment: [.randomResizedCrop(size: 48)], epochs: 0, weights: "tiny_timm.safetensors")
            Table(pre, columns: [.model, .top1])
            FrequencyAnalysis(pre, examples: 6)
            GradCAM(pre, images: 3)
            ```
            """)
        let (s, c, html) = try box.run(path)
        #expect(s.trained == 1 && s.analysed == 2 && s.failed == 0 && s.errors == 0, "\(c.text)")
        let store = try box.store()
        let run = try #require(try store.runs().first { $0.key != trained.key })
        // The same weights on the same validation images: the imported run scores exactly what training ended with.
        let top1 = try #require(run.summary["top1"])
        #expect(top1 == trained.summary["top1"], "imported \(top1) vs trained \(String(describing: trained.summary["top1"]))")

        try checkPredict(box: box, weights: weights, top1: top1)
        try checkAnalyses(store: store, html: html)
    }

    /// `loom predict`'s path (files → Predictor) on the validation images after the evaluation transform, written
    /// losslessly: its top-1 agrees with the run's accuracy, and its probabilities are a distribution.
    func checkPredict(box: Sandbox, weights: String, top1: Double) throws {
        let val = try DataSpec.imageFolder(path: "photos", test: nil).open(root: box.root).test.first(9)
        var paths: [String] = []
        for (i, image) in val.images.enumerated() {
            var rng = SeededRNG(seed: 0, stream: 0), x = image
            for step in ResizeShorterSide.timmEval(size: 48) { x = step.apply(x, rng: &rng) }
            paths.append(box.root + "/val-\(i).png")
            try PNG.write(x, to: paths[i])
        }
        let (_, model) = try Predictor.loadModel(Self.model, weights: weights)
        let logits = Predictor.logits(model, try Predictor.readImages(paths, normalization: .imagenet, imageSize: nil))
        let top = Predictor.top(3, of: logits, sources: paths)
        for p in top { #expect(abs(p.top.map(\.probability).reduce(0, +) - 1) < 1e-9 && p.top.count == 3) }
        let correct = zip(top, val.labels).filter { $0.top[0].index == $1 }.count
        #expect(Double(correct) / 9 == top1, "predict: \(correct)/9 correct, run: \(top1)")
    }

    /// FrequencyAnalysis: finite ΔlogA curves for the stem and both stages; GradCAM: 48×48 overlays that are not the
    /// input image, labels from the folder's classes; the report shows all three outputs.
    func checkAnalyses(store: ResultsStore, html: String) throws {
        let freq = try #require(try store.results().first { $0.kind == "FrequencyAnalysis" })
        let f = try JSONDecoder().decode(FrequencyPayload.self, from: Data(freq.payload.utf8))
        #expect(f.examples == 6 && f.layers.count >= 3, "\(f.layers.map(\.name))")
        #expect(f.layers.allSatisfy { $0.curve.allSatisfy(\.isFinite) && $0.deltaLast.isFinite })
        #expect(f.layers.contains { $0.deltaLast != 0 })
        let cam = try #require(try store.results().first { $0.kind == "GradCAM" })
        let g = try JSONDecoder().decode(GradCAMPayload.self, from: Data(cam.payload.utf8))
        #expect(g.classNames == Self.classes && g.items.count == 3 && g.items.allSatisfy { (0..<3).contains($0.predicted) })
        for i in 0..<3 {
            let bytes = try #require(try store.artifact(named: "cam-\(i).png", of: cam.key)).bytes
            let overlay = try PNG.decode([UInt8](bytes), name: "cam-\(i).png")
            #expect(overlay.width == 48 && overlay.height == 48)
            #expect(Set(overlay.pixels).count > 16, "overlay \(i) is nearly flat")
        }
        #expect(html.contains("Grad-CAM of pre") && html.contains(">pre<"))
        #expect(html.contains("ΔlogA") || html.contains("&#916;logA") || html.contains("log amplitude"))
        #expect(!html.contains("class=\"error-box"), "an output rendered an error")
    }
}

/// With torch and timm: timm's own resnet18 checkpoint (random weights, no download) through `weights: .timm(name,
/// file:)` on the real-photograph folder: the run and its Grad-CAM see the images as timm's pretrained_cfg transform
/// makes them (bicubic resize of the shorter side to 235, centre 224 crop), not at the files' own sizes.
@Suite(.serialized, .enabled(if: torchPython != nil, "skipped: LOOM_TORCH_PYTHON not set"))
struct RealPixelsPretrainedTests {
    @Test(.timeLimit(.minutes(5)))
    func pretrainedRunsAndAnalysesUseTheCfgTransform() throws {
        let box = try Sandbox()
        try RealPixelsEndToEndTests.makeFolder(at: box.root + "/photos")
        _ = try runPython(try #require(torchPython), ["-c", """
            import timm, torch
            torch.manual_seed(0)
            torch.save(timm.create_model("resnet18").state_dict(), "\(box.root)/r18.pth")
            """])
        let path = try box.write("""
            ---
            data: .
            ---

            ```swift config
            let pre = Experiment(data: .imageFolder(path: "photos"), weights: .timm("resnet18", file: "r18.pth"),
                                 epochs: 0, batchSize: 9)
            Table(pre, columns: [.model, .imageSize, .normalize, .top1])
            GradCAM(pre, images: 2)
            ```
            """)
        let (s, c, html) = try box.run(path)
        #expect(s.trained == 1 && s.analysed == 1 && s.failed == 0, "\(c.text)")
        let store = try box.store()
        let run = try #require(try store.runs().first)
        let record = try JSONDecoder().decode(TimmWeightsRecord.self, from: Data(contentsOf: URL(fileURLWithPath:
            box.output + "/checkpoints/\(run.key)/pretrained.json")))
        #expect(record.pretrainedCfg.interpolation == "bicubic" && record.pretrainedCfg.cropPct == 0.95
                && record.pretrainedCfg.cropMode == "center")
        // The folder's images are 48 to 60 pixels high: a 224×224 overlay shows the cfg's transform was applied.
        let cam = try #require(try store.results().first { $0.kind == "GradCAM" })
        let overlay = try PNG.decode([UInt8](try #require(try store.artifact(named: "cam-0.png", of: cam.key)).bytes), name: "cam-0.png")
        #expect(overlay.width == 224 && overlay.height == 224)
        #expect(html.contains(">pretrained_cfg<"))
    }
}
