// The generated part of the seed corpora (Fuzz/Corpus/<target>/), written by `scripts/fuzz.sh seeds`.
// Text seeds come from the repository's notebooks; binary seeds are written by Loom's own writers, so they are
// valid files the fuzzer can mutate. Seeds that are not generated (PNG variants) are committed as they are.
import Engine
import Experiments
import Foundation
import Notebook
import Vision

enum Seeds {
    /// The fingerprint the checkpoint target's seeds are written with and loaded against.
    static let fingerprint = "fuzz-fingerprint"

    /// The checkpoint target's model: a linear layer and a batch norm, with AdamW state after one step.
    static func checkpointModel() -> (Module, Optimizer) {
        var rng = RandomGenerator(seed: 7)
        let model = Module()
        model.addChild("fc", Linear(3, 2, rng: &rng))
        model.addChild("bn", BatchNorm2d(2))
        let optimizer = Optimizer(.adamw(), parameters: model.namedParameters(), learningRate: 0.01)
        return (model, optimizer)
    }

    /// Checkpoint's FNV-1a 64 checksum (Checkpoint.checksum is internal to Vision; this is the same function).
    static func checkpointChecksum(_ tensors: [String: Tensor]) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for name in tensors.keys.sorted() {
            for b in name.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
            let t = tensors[name]!
            for b in UnsafeRawBufferPointer(start: t.ptr, count: t.count * 4) { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        }
        return String(h, radix: 16)
    }

    /// Writes every generated seed under `directory/<target>/`, reading notebooks from `repository/notebooks`.
    static func write(to directory: String, repository: String) throws {
        let fm = FileManager.default
        func put(_ target: String, _ name: String, _ bytes: Data) throws {
            try fm.createDirectory(atPath: directory + "/" + target, withIntermediateDirectories: true)
            guard fm.createFile(atPath: directory + "/" + target + "/" + name, contents: bytes) else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: directory + "/" + target + "/" + name])
            }
        }

        // Cells and front matter of the repository's notebooks.
        let notebooks = repository + "/notebooks"
        for file in try fm.contentsOfDirectory(atPath: notebooks).sorted() where file.hasSuffix(".md") {
            let stem = String(file.dropLast(3))
            let document = try Document(contentsOf: URL(fileURLWithPath: notebooks + "/" + file))
            for cell in document.cells {
                try put("cell", "\(stem)-\(cell.index)", Data(cell.source.utf8))
            }
            if !document.frontMatterText.isEmpty {
                try put("frontmatter", stem, Data(document.frontMatterText.utf8))
            }
        }

        // safetensors in every dtype the reader converts (the fixtures under Tests/Fixtures are all F32).
        for (dtype, size) in [("F64", 8), ("F32", 4), ("F16", 2), ("BF16", 2), ("I64", 8), ("I32", 4), ("U8", 1),
                              ("I8", 1), ("BOOL", 1)] {
            let header = #"{"__metadata__":{"case":"fuzz"},"t":{"dtype":"\#(dtype)","shape":[2,3],"data_offsets":[0,\#(6 * size)]}}"#
            var data = Data(count: 8)
            data.withUnsafeMutableBytes { $0.storeBytes(of: UInt64(header.utf8.count).littleEndian, as: UInt64.self) }
            data.append(Data(header.utf8))
            data.append(Data((0..<(6 * size)).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 1) }))
            try put("safetensors", dtype.lowercased(), data)
        }

        // An RGB PNG from Loom's own encoder (grey, palette, alpha, 16-bit and interlaced seeds are committed).
        var image = Image(width: 5, height: 3)
        for i in image.pixels.indices { image.pixels[i] = UInt8(truncatingIfNeeded: i &* 29) }
        try put("png", "rgb8-loom", Data(try PNG.encode(image)))

        // CIFAR folders: mode byte, names, NUL, (coarse names, NUL,) records with in-range labels.
        let pixels = (0..<3072).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let ten = (0..<10).map { "class\($0)" }.joined(separator: "\n")
        let fine = (0..<100).map { "fine\($0)" }.joined(separator: "\n")
        let coarse = (0..<20).map { "coarse\($0)" }.joined(separator: "\n")
        for mode: UInt8 in [0, 2] {
            try put("cifar", "cifar10-\(mode)", Data([mode] + Array(ten.utf8) + [0] + [3] + pixels + [9] + pixels))
        }
        for mode: UInt8 in [1, 3] {
            try put("cifar", "cifar100-\(mode)", Data([mode] + Array(fine.utf8) + [0] + Array(coarse.utf8) + [0]
                                                    + [4, 42] + pixels))
        }

        // A checkpoint of the target's model, raw (mode 0) and for checksum repair (mode 1).
        let (model, optimizer) = checkpointModel()
        for p in model.parameters { p.grad = Tensor(shape: p.shape, data: [Float](repeating: 0.5, count: p.count)) }
        optimizer.step()
        let checkpoints = NSTemporaryDirectory() + "loom-fuzz-seeds-\(getpid())"
        defer { try? fm.removeItem(atPath: checkpoints) }
        try Checkpoint.save(directory: checkpoints, model: model, optimizer: optimizer,
                            progress: TrainProgress(epoch: 2, batch: 1, lossSum: 3.5, seen: 64, seconds: 1.5,
                                                    history: [EpochMetrics(epoch: 1, trainLoss: 2.0, testLoss: 1.9, top1: 0.3, top5: 0.8,
                                                                           learningRate: 0.01, imagesPerSecond: 100, seconds: 1.5)]),
                            fingerprint: fingerprint)
        let checkpoint = try Data(contentsOf: URL(fileURLWithPath: checkpoints + "/checkpoint.safetensors"))
        try put("checkpoint", "raw", Data([0]) + checkpoint)
        try put("checkpoint", "repair", Data([1]) + checkpoint)

        // Results stores: freshly migrated, and one holding a finished run with epochs, a result and an artifact.
        for filled in [false, true] {
            let path = checkpoints + "/store-\(filled).sqlite"
            do {
                let store = try ResultsStore(path: path)
                if filled {
                    let env = RunEnvironment(gitCommit: "0123abcd", engineVersion: "numerics-1", blasConfig: "OpenBLAS",
                                             threads: 2, cpu: "fuzz")
                    try store.beginRun(RunRecord(key: "k1", notebook: "study.md", cell: "base",
                                                 config: #"{"epochs":2}"#, seeds: [0], environment: env,
                                                 startedAt: Date(timeIntervalSince1970: 1_700_000_000)))
                    try store.appendEpoch(EpochRecord(runKey: "k1", seed: 0, epoch: 1, trainLoss: 2.0))
                    try store.finishRun(key: "k1", outcome: .succeeded, summary: ["top1": 0.5],
                                        artifacts: [NamedArtifact(name: "a.png", mime: "image/png", bytes: Data([1, 2]))],
                                        endedAt: Date(timeIntervalSince1970: 1_700_000_060))
                }
            }
            try put("store", filled ? "one-run" : "empty", try Data(contentsOf: URL(fileURLWithPath: path)))
        }
    }
}
