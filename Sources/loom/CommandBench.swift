// `loom bench`: the options of conv-layer, model, data-path and analysis benchmarks (measured by Experiments' Bench).
import ArgumentParser
import Experiments
import Foundation

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
        var bench = Bench()
        bench.models = model.flatMap(ModelExpression.splitList)
        bench.batches = try Self.positiveInts(batch, option: "--batch")
        bench.threads = try Self.positiveInts(threads, option: "--threads")
        bench.reps = reps
        bench.json = json
        bench.analyses = analyses
        bench.peak = peak
        bench.data = data
        bench.folder = folder
        bench.images = images
        try bench.run()
    }

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
