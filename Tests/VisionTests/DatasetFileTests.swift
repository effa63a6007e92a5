// Tests: CIFAR-10/100 binary readers and ImageFolder on files written in the exact formats to a temp dir.

import Foundation
import Testing
@testable import Vision

struct DatasetFileTests {
    static func tempDir() -> String {
        let p = NSTemporaryDirectory() + "loom-vision-\(UInt64.random(in: 0...UInt64.max))"
        try! FileManager.default.createDirectory(atPath: p, withIntermediateDirectories: true)
        return p
    }

    /// One CIFAR record's pixels: R plane = value, G = x, B = y (so layout mistakes show).
    static func planes(_ value: UInt8) -> [UInt8] {
        var p = [UInt8](repeating: value, count: 1024)
        for i in 0..<1024 { p.append(UInt8(i % 32)) }
        for i in 0..<1024 { p.append(UInt8(i / 32)) }
        return p
    }

    static func writeCIFAR10(_ dir: String, records: Int) throws {
        try (0..<10).map { "class\($0)" }.joined(separator: "\n").appending("\n\n")
            .write(toFile: dir + "/batches.meta.txt", atomically: true, encoding: .utf8)
        for name in (1...5).map({ "data_batch_\($0).bin" }) + ["test_batch.bin"] {
            var bytes: [UInt8] = []
            for r in 0..<records { bytes.append(UInt8(r % 10)); bytes += planes(UInt8(r)) }
            try Data(bytes).write(to: URL(fileURLWithPath: dir + "/" + name))
        }
    }

    @Test func cifar10ReadsLabelsNamesAndPlanes() throws {
        let dir = Self.tempDir()
        try Self.writeCIFAR10(dir, records: 4)
        let train = try CIFAR.load10(directory: dir, split: .train, recordsPerFile: 4)
        #expect(train.count == 20)
        #expect(train.labels.prefix(5) == [0, 1, 2, 3, 0])
        #expect(train.classNames == (0..<10).map { "class\($0)" })
        let img = train.images[3]
        #expect(img.pixel(x: 5, y: 7) == RGB(3, 5, 7))
        let test = try CIFAR.load10(directory: dir, split: .test, recordsPerFile: 4)
        #expect(test.count == 4)
    }

    @Test func cifar10TruncatedAndMissingFilesAreTypedErrors() throws {
        let dir = Self.tempDir()
        try Self.writeCIFAR10(dir, records: 4)
        let path = dir + "/data_batch_3.bin"
        try Data(count: 4 * 3073 - 100).write(to: URL(fileURLWithPath: path))
        #expect(throws: CIFARError.wrongSize(path: path, expectedBytes: 4 * 3073, actualBytes: 4 * 3073 - 100)) {
            try CIFAR.load10(directory: dir, split: .train, recordsPerFile: 4)
        }
        // The official size is expected by default.
        #expect(throws: CIFARError.wrongSize(path: dir + "/test_batch.bin", expectedBytes: 30_730_000, actualBytes: 4 * 3073)) {
            try CIFAR.load10(directory: dir, split: .test)
        }
        var bad = [UInt8](repeating: 0, count: 4 * 3073)
        bad[2 * 3073] = 10
        try Data(bad).write(to: URL(fileURLWithPath: dir + "/test_batch.bin"))
        #expect(throws: CIFARError.badLabel(path: dir + "/test_batch.bin", record: 2, label: 10, classes: 10)) {
            try CIFAR.load10(directory: dir, split: .test, recordsPerFile: 4)
        }
        try FileManager.default.removeItem(atPath: dir + "/test_batch.bin")
        do {
            _ = try CIFAR.load10(directory: dir, split: .test, recordsPerFile: 4)
            Issue.record("missing file accepted")
        } catch let e as CIFARError {
            #expect(e == .missingFile(path: dir + "/test_batch.bin", expectedBytes: 4 * 3073))
            #expect(e.description.contains("https://www.cs.toronto.edu/~kriz/cifar.html"))
            #expect(e.description.contains("test_batch.bin"))
        }
    }

    @Test func cifar100ReadsCoarseAndFineLabels() throws {
        let dir = Self.tempDir()
        try (0..<100).map { "fine\($0)" }.joined(separator: "\n").write(toFile: dir + "/fine_label_names.txt", atomically: true, encoding: .utf8)
        try (0..<20).map { "coarse\($0)" }.joined(separator: "\n").write(toFile: dir + "/coarse_label_names.txt", atomically: true, encoding: .utf8)
        var bytes: [UInt8] = []
        for r in 0..<3 { bytes += [UInt8(r + 10), UInt8(r * 30)]; bytes += Self.planes(UInt8(200 + r)) }
        try Data(bytes).write(to: URL(fileURLWithPath: dir + "/test.bin"))
        let d = try CIFAR.load100(directory: dir, split: .test, testRecords: 3)
        #expect(d.labels == [0, 30, 60])
        #expect(d.coarseLabels == [10, 11, 12])
        #expect(d.classNames[30] == "fine30")
        #expect(d.coarseClassNames?[11] == "coarse11")
        #expect(d.images[2].pixel(x: 31, y: 0) == RGB(202, 31, 0))
        #expect(throws: CIFARError.wrongSize(path: dir + "/test.bin", expectedBytes: 30_740_000, actualBytes: 3 * 3074)) {
            try CIFAR.load100(directory: dir, split: .test)
        }
        #expect(throws: CIFARError.missingFile(path: dir + "/train.bin", expectedBytes: 153_700_000)) {
            try CIFAR.load100(directory: dir, split: .train)
        }
    }

    @Test func imageFolderSortsClassesAndFiles() throws {
        let root = Self.tempDir()
        for (cls, n) in [("zebra", 2), ("apple", 3)] {
            try FileManager.default.createDirectory(atPath: root + "/" + cls, withIntermediateDirectories: true)
            for i in 0..<n {
                try PNG.write(Image(width: 4, height: 3, fill: RGB(UInt8(i), 0, cls == "apple" ? 1 : 2)), to: "\(root)/\(cls)/\(i).png")
            }
        }
        // Every non-hidden file is an image by content: a stray text file is named, not silently skipped.
        try "not an image".write(toFile: root + "/apple/notes.txt", atomically: true, encoding: .utf8)
        #expect(throws: ImageFileError.notAnImage(path: root + "/apple/notes.txt", leadingBytes: "6E 6F 74 20 61 6E 20 69")) {
            try ImageFolder.load(root: root)
        }
        try FileManager.default.removeItem(atPath: root + "/apple/notes.txt")
        let d = try ImageFolder.load(root: root)
        #expect(d.classNames == ["apple", "zebra"])
        #expect(d.labels == [0, 0, 0, 1, 1])
        #expect(d.images[1].pixel(x: 0, y: 0) == RGB(1, 0, 1))
        #expect(d.images[4].pixel(x: 3, y: 2) == RGB(1, 0, 2))

        try FileManager.default.createDirectory(atPath: root + "/empty", withIntermediateDirectories: true)
        #expect(throws: ImageFolderError.emptyClass(path: root + "/empty")) { try ImageFolder.load(root: root) }
        #expect(throws: ImageFolderError.missingRoot(path: root + "/nope")) { try ImageFolder.load(root: root + "/nope") }
        let bare = Self.tempDir()
        #expect(throws: ImageFolderError.noClasses(path: bare)) { try ImageFolder.load(root: bare) }
    }

    /// torchvision's `ImageFolder` order with JPEG and PNG told apart by content: a JPEG named `.png`, a PNG without
    /// an extension, a nested folder (walked as `os.walk` does), hidden files and folders skipped.
    @Test func imageFolderReadsJPEGAndPNGByContent() throws {
        let root = Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let fm = FileManager.default
        for dir in ["b", "a", "a/nested", "a/.cache", ".hidden-class"] {
            try fm.createDirectory(atPath: root + "/" + dir, withIntermediateDirectories: true)
        }
        let red = Image(width: 16, height: 8, fill: RGB(250, 10, 10)), blue = Image(width: 16, height: 8, fill: RGB(10, 10, 250))
        let jpeg = try JPEG.encode(red, quality: 95, subsampling: .s444)
        try Data(jpeg).write(to: URL(fileURLWithPath: root + "/a/2.jpg"))
        try Data(jpeg).write(to: URL(fileURLWithPath: root + "/a/1.png"))  // a JPEG whatever its name says
        try PNG.write(blue, to: root + "/a/3")                                 // a PNG without an extension
        try PNG.write(blue, to: root + "/a/nested/0.png")
        try PNG.write(red, to: root + "/b/x.JPEG")                             // a PNG named as a JPEG
        for junk in ["/a/.DS_Store", "/a/.cache/junk.jpg", "/.hidden-class/y.png", "/b/._x.JPEG"] {
            try Data("junk".utf8).write(to: URL(fileURLWithPath: root + junk))
        }
        let (paths, labels, classes) = try ImageFolder.files(root: root)
        #expect(classes == ["a", "b"])
        #expect(paths.map { String($0.dropFirst(root.count + 1)) } == ["a/1.png", "a/2.jpg", "a/3", "a/nested/0.png", "b/x.JPEG"])
        #expect(labels == [0, 0, 0, 0, 1])
        let d = try ImageFolder.load(root: root)
        let decodedRed = try JPEG.decode(jpeg)
        #expect(d.images == [decodedRed, decodedRed, blue, blue, red])
        #expect(abs(Int(decodedRed.pixel(x: 3, y: 3).r) - 250) <= 2)

        // A damaged file stops the load with an error naming it and the reason.
        try Data(jpeg[0..<(jpeg.count / 2)]).write(to: URL(fileURLWithPath: root + "/b/cut.jpg"))
        #expect(throws: JPEGError.truncated(source: root + "/b/cut.jpg")) { try ImageFolder.load(root: root) }
        try fm.removeItem(atPath: root + "/b/cut.jpg")
        try fm.createSymbolicLink(atPath: root + "/b/dangling.png", withDestinationPath: root + "/nowhere.png")
        #expect(throws: ImageFileError.unreadable(path: root + "/b/dangling.png", reason: "No such file or directory")) {
            try ImageFolder.load(root: root)
        }
    }
}
