// `loom bench`: conv-layer GFLOP/s against sgemm, or model training/inference images/s (cf. bench/torch_cpu.py).
import ArgumentParser
import Engine
import Foundation
import Vision

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmark conv layers against sgemm, or models' training and inference speed.",
        discussion: """
            Without --model: the CIFAR ResNet-18 conv table (3×3 convs 64→64 at 32×32 … 512→512 at 4×4, \
            batch 128, threads 1 and 2): forward and backward GFLOP/s next to cblas_sgemm on the forward \
            GEMM's shape. With --model: images/s of an SGD training step and of inference on synthetic \
            data, as bench/torch_cpu.py measures PyTorch. Models: short names (\
            \(ModelExpression.shortNames.map(\.name).joined(separator: ", "))) or expressions such as \
            '.resnet(depth: 18, width: 16)'. Times are the best of --reps after one warm-up. With --data [FOLDER]: \
            the training input path on an image folder (read, decode JPEG/PNG, RandomResizedCrop 224, flip, \
            normalise) in images/s on the loader's threads; without FOLDER, a synthetic folder of JPEGs is made \
            once under the temporary directory. scripts/bench_data.py times torchvision on the same folder.
            """)

    @Option(name: .long, parsing: .singleValue,
            help: ArgumentHelp("Models to time (comma list or repeated).", valueName: "expr|name"))
    var model: [String] = []

    @Option(name: .long, parsing: .singleValue,
            help: ArgumentHelp("Batch sizes (comma list; default 32,128 for models, 128 for the conv table).", valueName: "n"))
    var batch: [String] = []

    @Option(name: .long, parsing: .singleValue,
            help: ArgumentHelp("Thread counts (comma list; default: LOOM_THREADS or all cores for models, 1,2 for the conv table).",
                               valueName: "t"))
    var threads: [String] = []

    @Option(name: .long, help: "Timed repeats per measurement (the best counts).")
    var reps = 3

    @Flag(name: .long, help: "Print one JSON object per measurement instead of the table.")
    var json = false

    @Flag(name: .long, help: ArgumentHelp(
        "Time every analysis on the study's two models (notebooks/study.md: the small ResNet and the small ViT, "
        + "on its 24-pixel .shapes test split), then a FrequencyAnalysis of a CIFAR ResNet-18 on 1,000 images."))
    var analyses = false

    @Flag(name: .long, help: ArgumentHelp(
        "Measure the machine's FMA peak per ISA (register-only loops) and print each model's training GFLOP/s "
        + "as a fraction of it (model FLOPs × 3 ÷ step time; Winograd convs count their direct-convolution FLOPs)."))
    var peak = false

    @Flag(name: .long, help: ArgumentHelp(
        "Time the training input path (decode + RandomResizedCrop 224 + flip + normalise) on an image folder "
        + "(FOLDER, or a synthetic JPEG folder when omitted); --batch default 64."))
    var data = false

    @Argument(help: ArgumentHelp("The image folder for --data (root/<class>/<images>).", valueName: "folder"))
    var folder: String?

    @Option(name: .long, help: "Images in the synthetic --data folder.")
    var images = 512

    func validate() throws {
        if folder != nil && !data { throw ValidationError("a folder argument needs --data (loom bench --data FOLDER)") }
        guard images >= 1 else { throw ValidationError("--images must be at least 1, got \(images)") }
        guard reps >= 1 else { throw ValidationError("--reps must be at least 1, got \(reps)") }
        _ = try Self.positiveInts(batch, option: "--batch")
        _ = try Self.positiveInts(threads, option: "--threads")
    }

    func run() throws {
        let batches = try Self.positiveInts(batch, option: "--batch")
        let threadCounts = try Self.positiveInts(threads, option: "--threads")
        let expressions = model.flatMap(ModelExpression.splitList)
        if data {
            try dataTable(batches: batches.isEmpty ? [64] : batches, threads: threadCounts.isEmpty ? [Threads.count] : threadCounts)
        } else if analyses {
            try analysisTable()
        } else if expressions.isEmpty {
            try convTable(batches: batches.isEmpty ? [128] : batches, threads: threadCounts.isEmpty ? [1, 2] : threadCounts)
        } else {
            let specs = try expressions.map { ($0, try ModelExpression.parse($0)) }  // all checked before any timing
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

    private func modelTable(_ specs: [(String, ModelExpression)], batches: [Int], threads: [Int]) throws {
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
            let net = spec.makeModel(seed: 0)
            let size = spec.requiredImageSize ?? 32
            for t in threads {
                for b in batches {
                    let r = benchModel(name, net, imageSize: size, classes: spec.classes, batch: b, threads: t, reps: reps)
                    let gf = Double(r.flopsPerImage) / 1e9
                    if json {
                        emitJSON(ModelJSON(model: name, expr: spec.description, batch: b, threads: t, reps: reps, image: size,
                                           params: r.params, flops_per_img: r.flopsPerImage,
                                           train_img_s: r.trainImagesPerSecond, infer_img_s: r.inferImagesPerSecond,
                                           train_gflop_s: 3 * gf * r.trainImagesPerSecond, infer_gflop_s: gf * r.inferImagesPerSecond,
                                           peak_rss_mb: r.peakRSSMB,
                                           train_peak_fraction: peaks[t].map { 3 * gf * r.trainImagesPerSecond / $0 }))
                    } else {
                        table.add([name, String(format: "%.2f", Double(r.params) / 1e6), String(format: "%.3f", gf), "\(t)", "\(b)",
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
                 + specs.map { "\($0.0) = \($0.1)" }.joined(separator: "; "))
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
            let net = try ModelExpression.parse(expression).makeModel(seed: 0)
            report(try benchAnalyses(name: name, model: net, pixels: pixels, labels: test.labels, normalization: .cifar10,
                                     cueConflict: (conflictPixels, conflict.labels, conflict.textureLabels!)))
        }
        let r18 = try ModelExpression.parse(".resnet(depth: 18, classes: 100)").makeModel(seed: 0)
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

    // MARK: Helpers

    /// Comma lists and repeats of positive integers: ["32,128", "256"] → [32, 128, 256].
    static func positiveInts(_ values: [String], option: String) throws -> [Int] {
        try values.flatMap { $0.split(separator: ",") }.map { part in
            let text = part.trimmingCharacters(in: .whitespaces)
            guard let v = Int(text), v >= 1 else {
                throw ValidationError("\(option): '\(text)' is not a positive integer")
            }
            return v
        }
    }
}
