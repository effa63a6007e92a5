// Tests: FolderLoader decodes files on the engine's threads into the same batches DataLoader makes from decoded images.

import Engine
import Foundation
import Testing
@testable import Vision

struct FolderLoaderTests {
    static func folder() throws -> String {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("loom-folder-\(UUID().uuidString)").path
        for c in 0..<2 {
            try FileManager.default.createDirectory(atPath: root + "/c\(c)", withIntermediateDirectories: true)
            for i in 0..<5 {
                var px = [UInt8](repeating: 0, count: 40 * 30 * 3)
                for k in 0..<px.count { px[k] = UInt8((k * (3 + i) + 50 * c) % 256) }
                let image = Image(width: 40, height: 30, pixels: px)
                if i % 2 == 0 { try JPEG.write(image, to: root + "/c\(c)/\(i).jpg") } else { try PNG.write(image, to: root + "/c\(c)/\(i).png") }
            }
        }
        return root
    }

    @Test func batchesEqualDataLoadersOnTheDecodedFolder() throws {
        let root = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let pipeline = AugmentPipeline([.image(RandomResizedCrop(size: 16)), .image(HorizontalFlip()), .normalize(.imagenet)])
        let files = try FolderLoader(folder: root, pipeline: pipeline, batchSize: 4, shuffle: true, seed: 3)
        let memory = DataLoader(try ImageFolder.load(root: root), pipeline: pipeline, batchSize: 4, shuffle: true, seed: 3)
        #expect(files.batchCount == 3 && files.order(epoch: 2) == memory.order(epoch: 2))
        let order = files.order(epoch: 2)
        for b in 0..<files.batchCount {
            let x = try files.batch(b, epoch: 2, order: order), y = memory.batch(b, epoch: 2, order: order)
            #expect(x.labels == y.labels && x.indices == y.indices)
            #expect(x.images.shape == y.images.shape && x.images.scalars == y.images.scalars)
        }
    }

    /// The same folder trained from its files read per batch (what an image-folder run does) and from the images
    /// decoded in memory (what it did before): same order, same augmentation streams, so bit-identical weights and
    /// metrics, the last partial batch dropped or not.
    @Test(arguments: [false, true])
    func trainingFromFilesEqualsTrainingFromDecodedImages(dropLast: Bool) throws {
        let root = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let train = AugmentPipeline([.image(RandomResizedCrop(size: 16)), .image(HorizontalFlip()), .normalize(.imagenet)])
        let eval = AugmentPipeline(ResizeShorterSide.timmEval(size: 16).map { .image($0) } + [.normalize(.imagenet)])
        let files = try ImageSplit.folder(root: root), decoded = ImageSplit.decoded(try ImageFolder.load(root: root))
        func run(_ split: ImageSplit) throws -> (TrainingResult, [String: Tensor]) {
            let model = ResNet(.init(block: .basic, layers: [1], channels: [4], stemWidth: 4, classes: 2), seed: 5)
            let setup = TrainingSetup(model: model,
                                      train: split.loader(pipeline: train, batchSize: 4, shuffle: true, dropLast: dropLast, seed: 7),
                                      test: split.loader(pipeline: eval, batchSize: 3, shuffle: false, seed: 0),
                                      classes: 2, optimizer: .sgd(momentum: 0.9, weightDecay: 5e-4, nesterov: true),
                                      schedule: Schedule(.constant, baseLR: 0.05, epochs: 2))
            let result = try Trainer(setup).run()
            return (result, model.stateDict())
        }
        #expect(files.loader(pipeline: train, batchSize: 4, shuffle: true, seed: 7) is FolderLoader)
        let (a, wa) = try run(files), (b, wb) = try run(decoded)
        #expect(a.completed && a.history.count == 2)
        #expect(a.history.map(\.trainLoss) == b.history.map(\.trainLoss) && a.history.map(\.testLoss) == b.history.map(\.testLoss))
        #expect(a.history.map(\.top1) == b.history.map(\.top1) && a.history.map(\.top5) == b.history.map(\.top5))
        #expect(wa.keys.sorted() == wb.keys.sorted())
        for (name, t) in wa { #expect(t.scalars == wb[name]?.scalars, "\(name) differs") }
        #expect(try files.first(3).images.map(\.pixels) == decoded.first(3).images.map(\.pixels))
    }

    /// A file that cannot be read fails the training run with its path (an error, not a crash).
    @Test func aBadFileFailsTrainingNamingIt() throws {
        let root = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Data([0xFF, 0xD8, 0xFF, 0xE0, 0, 16]).write(to: URL(fileURLWithPath: root + "/c1/3.png"))  // a truncated JPEG
        let pipeline = AugmentPipeline([.image(Resize(width: 8, height: 8)), .normalize(.imagenet)])
        let split = try ImageSplit.folder(root: root)
        let setup = TrainingSetup(model: ResNet(.init(block: .basic, layers: [1], channels: [4], stemWidth: 4, classes: 2), seed: 0),
                                  train: split.loader(pipeline: pipeline, batchSize: 4, shuffle: true, seed: 0),
                                  test: split.loader(pipeline: pipeline, batchSize: 4, shuffle: false, seed: 0),
                                  classes: 2, optimizer: .sgd(momentum: 0.9, weightDecay: 0, nesterov: false),
                                  schedule: Schedule(.constant, baseLR: 0.01, epochs: 1))
        let error = try #require(throws: (any Error).self) { try Trainer(setup).run() }
        #expect("\(error)".contains(root + "/c1/3.png"), "\(error)")
        #expect(throws: (any Error).self) { try split.checkUniformSize() }
    }

    @Test func aBadFileInABatchIsNamed() throws {
        let root = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Data("oops".utf8).write(to: URL(fileURLWithPath: root + "/c1/9.jpg"))
        let loader = try FolderLoader(folder: root, pipeline: AugmentPipeline([.image(Resize(width: 8, height: 8)), .normalize(.imagenet)]),
                                      batchSize: 11, shuffle: false, seed: 0)
        #expect(throws: ImageFileError.notAnImage(path: root + "/c1/9.jpg", leadingBytes: "6F 6F 70 73")) {
            try loader.batch(0, epoch: 0, order: loader.order(epoch: 0))
        }
        // Without a resize, images of another size than the batch's first are named.
        try PNG.write(Image(width: 12, height: 12), to: root + "/c1/9.jpg")
        let plain = try FolderLoader(folder: root, pipeline: AugmentPipeline([.normalize(.imagenet)]), batchSize: 11, shuffle: false, seed: 0)
        let error = try #require(throws: FolderLoaderError.self) { try plain.batch(0, epoch: 0, order: plain.order(epoch: 0)) }
        #expect(error.path == root + "/c1/9.jpg" && error.description.contains("12×12"))
    }

    @Test func headerSizesWithoutDecoding() throws {
        let image = Image(width: 37, height: 21)
        #expect(DataBenchmark.headerSize(try JPEG.encode(image)) ?? (0, 0) == (37, 21))
        #expect(DataBenchmark.headerSize(try PNG.encode(image)) ?? (0, 0) == (37, 21))
        #expect(DataBenchmark.headerSize([1, 2, 3]) == nil)
    }
}
