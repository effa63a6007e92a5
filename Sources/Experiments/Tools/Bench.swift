// Bench: `loom bench`'s tables — conv layers vs sgemm, models' images/s (cf. bench/torch_cpu.py), the data path, analyses.
import Engine
import Foundation
import Vision

/// One `loom bench` invocation: which table to measure (conv layers, models, the data path or the analyses) and how.
public struct Bench {
    /// Model expressions or short names, already split (see ``ModelExpression/splitList(_:)``).
    public var models: [String] = []
    public var batches: [Int] = []
    public var threads: [Int] = []
    /// Timed repeats per measurement (the best counts).
    public var reps = 3
    /// One JSON object per measurement instead of the table.
    public var json = false
    /// Time every analysis on the study's two models.
    public var analyses = false
    /// Measure the FMA peak and print training GFLOP/s as a fraction of it.
    public var peak = false
    /// Time the training input path on an image folder.
    public var data = false
    /// The image folder for `data`; nil makes a synthetic one of `images` JPEGs.
    public var folder: String?
    public var images = 512

    public init() {}

    /// Measures and prints the chosen table.
    public func run() throws {
        let batches = self.batches, threadCounts = self.threads, expressions = models
        if data {
            try dataTable(batches: batches.isEmpty ? [64] : batches, threads: threadCounts.isEmpty ? [Threads.count] : threadCounts)
        } else if analyses {
            try analysisTable()
        } else if expressions.isEmpty {
            try convTable(batches: batches.isEmpty ? [128] : batches, threads: threadCounts.isEmpty ? [1, 2] : threadCounts)
        } else {
            let specs = try expressions.map { ($0, try ModelExpression.parse($0)) }  // all checked before any timing
            for (text, spec) in specs where spec.classes == 0 {
                throw ToolError("model '\(text)' has no classifier head (classes: 0); `loom bench` times a training step "
                                + "with a classification loss, so give it classes (e.g. classes: 1000)")
            }
            try modelTable(specs, batches: batches.isEmpty ? [32, 128] : batches,
                           threads: threadCounts.isEmpty ? [Threads.count] : threadCounts)
        }
    }

    private func header(threads: [Int]) {
        let cpu = " | " + MachineFacts.current.cpu
        emit("# \(Threads.blasConfig) | core \(BLASCore.summary) | kernels \(MachineFacts.kernelISAName) | threads "
             + "\(threads.map(String.init).joined(separator: ","))\(cpu)")
    }

    private func convTable(batches: [Int], threads: [Int]) throws {
        if !json {
            header(threads: threads)
            emit("# 3×3 stride-1 conv C→C (CIFAR ResNet-18 body); GFLOP/s at 2 FLOP per MAC; sgemm: M=C, K=9C, N=batch·H·W")
        }
        var table = TextTable([("layer", .left), ("batch", .right), ("thr", .right), ("fwd_GF/s", .right),
                               ("bwd_GF/s", .right), ("sgemm_GF/s", .right), ("(f+b)/sgemm", .right)], minimumWidth: 5)
        table.minimumWidths[0] = 14  // "128→128 @16×16"
        let layers = [(64, 32), (128, 16), (256, 8), (512, 4)]
        for t in threads {
            for b in batches {
                for (c, s) in layers {
                    let r = benchConv(channels: c, size: s, batch: b, threads: t, reps: reps)
                    if json {
                        emitJSON(ConvJSON(layer: "\(c)->\(c)@\(s)x\(s)", channels: c, size: s, batch: b, threads: t, reps: reps,
                                          fwd_gflop_s: r.forward, bwd_gflop_s: r.backward, sgemm_gflop_s: r.sgemm, ratio: r.ratio))
                    } else {
                        table.add(["\(c)→\(c) @\(s)×\(s)", "\(b)", "\(t)", f1(r.forward), f1(r.backward), f1(r.sgemm),
                                   String(format: "%.2f", r.ratio)])
                        emitLast(table)
                    }
                }
            }
        }
        if !json { emit("# (f+b)/sgemm = 3 / (1/fwd + 2/bwd) / sgemm: the training-step rate as a fraction of sgemm's") }
    }

    private func modelTable(_ specs: [(String, ModelSpec)], batches: [Int], threads: [Int]) throws {
        if !json {
            header(threads: threads)
            emit("# synthetic data, SGD momentum step; best of \(reps) after 1 warm-up; GF/s = counted conv/matmul FLOPs "
                 + "(trn ≈ 3 × fwd) × img/s")
        }
        // The FMA peak per thread count at the widest width the CPU has (and every width, printed).
        var peaks: [Int: Double] = [:]
        if peak {
            for t in threads {
                var parts: [String] = []
                for width in FMAPeak.Width.allCases {
                    guard let gf = FMAPeak.measure(width, threads: t) else { continue }
                    peaks[t] = max(peaks[t] ?? 0, gf)
                    parts.append("\(width.rawValue) \(f1(gf))")
                    if json { emitJSON(PeakJSON(isa: width.rawValue, threads: t, peak_gflop_s: gf)) }
                }
                if !json { emit("# FMA peak, \(t) thread\(t == 1 ? "" : "s"), GFLOP/s: " + parts.joined(separator: ", ")) }
            }
        }
        var table = TextTable([("model", .left), ("params_M", .right), ("fwdGF/img", .right), ("thr", .right),
                               ("batch", .right), ("fwd_img/s", .right), ("trn_img/s", .right), ("fwd_GF/s", .right),
                               ("trn_GF/s", .right), ("peak_rss_MB", .right)] + (peak ? [("trn_%peak", .right)] : []),
                              minimumWidth: 9)
        table.minimumWidths[0] = specs.map(\.0.count).max() ?? 5
        table.minimumWidths[3] = 3; table.minimumWidths[4] = 5
        for (name, spec) in specs {
            let net = spec.build(seed: 0)
            let size = spec.requiredImageSize ?? 32
            for t in threads {
                for b in batches {
                    let r = benchModel(name, net, imageSize: size, classes: spec.classes, batch: b, threads: t, reps: reps)
                    let gf = Double(r.flopsPerImage) / 1e9
                    if json {
                        emitJSON(ModelJSON(model: name, expr: spec.expression, batch: b, threads: t, reps: reps, image: size,
                                           params: spec.parameterCount, flops_per_img: r.flopsPerImage,
                                           train_img_s: r.trainImagesPerSecond, infer_img_s: r.inferImagesPerSecond,
                                           train_gflop_s: 3 * gf * r.trainImagesPerSecond, infer_gflop_s: gf * r.inferImagesPerSecond,
                                           peak_rss_mb: r.peakRSSMB,
                                           train_peak_fraction: peaks[t].map { 3 * gf * r.trainImagesPerSecond / $0 }))
                    } else {
                        table.add([name, String(format: "%.2f", Double(spec.parameterCount) / 1e6), String(format: "%.3f", gf), "\(t)", "\(b)",
                                   f1(r.inferImagesPerSecond), f1(r.trainImagesPerSecond), f1(gf * r.inferImagesPerSecond),
                                   f1(3 * gf * r.trainImagesPerSecond), String(format: "%.0f", r.peakRSSMB)]
                                  + (peak ? [peaks[t].map { String(format: "%.1f", 100 * 3 * gf * r.trainImagesPerSecond / $0) } ?? "-"] : []))
                        emitLast(table)
                    }
                }
            }
        }
        if !json {
            emit("# peak_rss_MB is this process's high-water mark so far; models: "
                 + specs.map { "\($0.0) = \($0.1.expression)" }.joined(separator: "; "))
        }
    }

    /// The input pipeline on an image folder: images/s per batch size and thread count.
    private func dataTable(batches: [Int], threads: [Int]) throws {
        let root: String
        if let folder {
            root = folder
        } else {
            root = NSTemporaryDirectory() + "loom-bench-jpeg-\(images)"
            let existing = (try? ImageFolder.files(root: root).paths.count) ?? 0
            if existing != images {
                if !json { emit("# writing \(images) synthetic JPEGs to \(root) ...") }
                try? FileManager.default.removeItem(atPath: root)
                try DataBenchmark.makeSyntheticFolder(at: root, images: images)
            }
        }
        if !json {
            header(threads: threads)
            emit("# \(root): read + decode + RandomResizedCrop(224) + HorizontalFlip + Normalize per image, batches on the "
                 + "loader's threads; best epoch of \(reps) after 1 warm-up")
            emit("# torchvision on the same folder: ~/torch-venv/bin/python scripts/bench_data.py \(root)")
        }
        var table = TextTable([("images", .right), ("batch", .right), ("thr", .right), ("seconds", .right),
                               ("img/s", .right), ("file_kB", .right), ("mean_WxH", .right)], minimumWidth: 6)
        for t in threads {
            for b in batches {
                let r = try DataBenchmark.run(folder: root, batch: b, threads: t, reps: reps)
                if json { emitJSON(r); continue }
                table.add(["\(r.images)", "\(b)", "\(t)", String(format: "%.2f", r.seconds), f1(r.images_per_s),
                           f1(r.mean_file_kb), String(format: "%.0fx%.0f", r.mean_width, r.mean_height)])
                emitLast(table)
            }
        }
    }

    /// The study's models (random weights: timings do not depend on training) on `.shapes` images.
    private func analysisTable() throws {
        if !json {
            header(threads: [Threads.count])
            emit("# analyses with the notebook cells' settings; random-weight models (time does not depend on training)")
        }
        var table = TextTable([("analysis", .left), ("model", .left), ("images", .right), ("passes", .right),
                               ("seconds", .right), ("img/s", .right)], minimumWidth: 6)
        table.minimumWidths[0] = 17; table.minimumWidths[1] = 22
        func report(_ rows: [AnalysisBenchRow]) {
            for r in rows {
                if json { emitJSON(r); continue }
                table.add([r.analysis, r.model, "\(r.images)", "\(r.passes)", String(format: "%.2f", r.seconds),
                           String(format: "%.0f", Double(r.passes) / max(r.seconds, 1e-9))])
                emitLast(table)
            }
        }
        let shapes = ShapesDataset(ShapesConfig(classes: 6, size: 24, trainCount: 0, testCount: 600, textureCue: 0.8))
        let test = shapes.load(.test), conflict = shapes.load(.cueConflict)
        let pixels = try ShapeBias.unitPixels(test.images), conflictPixels = try ShapeBias.unitPixels(conflict.images)
        let study: [(String, String)] = [
            ("study ResNet (base)", ".resnet(layers: [1, 1, 1], block: .basic, channels: [16, 32, 64], width: 16, classes: 6)"),
            ("study ViT (vit)", ".vit(image: 24, patch: 4, dim: 64, depth: 4, heads: 4, classes: 6)"),
        ]
        for (name, expression) in study {
            let net = try ModelExpression.parse(expression).build(seed: 0)
            report(try benchAnalyses(name: name, model: net, pixels: pixels, labels: test.labels, normalization: .cifar10,
                                     cueConflict: (conflictPixels, conflict.labels, conflict.textureLabels!)))
        }
        let r18 = try ModelExpression.parse(".resnet(depth: 18, classes: 100)").build(seed: 0)
        let cifarLike = ShapesDataset(ShapesConfig(classes: 10, size: 32, trainCount: 0, testCount: 1_000)).load(.test)
        report(try benchAnalyses(name: "CIFAR ResNet-18", model: r18, pixels: try ShapeBias.unitPixels(cifarLike.images),
                                 labels: cifarLike.labels, normalization: .cifar10, only: ["FrequencyAnalysis"]))
    }

    // MARK: Output

    private func f1(_ v: Double) -> String { String(format: "%.1f", v) }

    private func emit(_ line: String) {
        print(line)
        fflush(stdout)
    }

    /// Prints rows as they are measured: the header with the first row, then each new row (the
    /// tables' minimum widths keep them aligned).
    private func emitLast(_ table: TextTable) {
        let lines = table.lines
        if table.rows.count == 1 { emit(lines[0]) }
        emit(lines[lines.count - 1])
    }

    private func emitJSON<T: Encodable>(_ value: T) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        emit(String(decoding: (try? encoder.encode(value)) ?? Data("{}".utf8), as: UTF8.self))
    }

    struct ConvJSON: Encodable {
        let layer: String, channels: Int, size: Int, batch: Int, threads: Int, reps: Int
        let fwd_gflop_s: Double, bwd_gflop_s: Double, sgemm_gflop_s: Double, ratio: Double
    }

    struct ModelJSON: Encodable {
        let model: String, expr: String, batch: Int, threads: Int, reps: Int, image: Int, params: Int, flops_per_img: Int
        let train_img_s: Double, infer_img_s: Double, train_gflop_s: Double, infer_gflop_s: Double, peak_rss_mb: Double
        let train_peak_fraction: Double?
    }

    struct PeakJSON: Encodable {
        let isa: String, threads: Int, peak_gflop_s: Double
    }
}
