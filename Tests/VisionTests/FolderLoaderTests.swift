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
