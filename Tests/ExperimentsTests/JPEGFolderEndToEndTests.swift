// End-to-end: a notebook trains and analyses a tiny JPEG image folder cut from the fixtures' two real photographs.

import Experiments
import Foundation
import Notebook
import Testing
import Vision

@Suite struct JPEGFolderEndToEndTests {
    /// `Tests/Fixtures/jpeg/<name>` beside this file.
    static func fixture(_ name: String, filePath: String = #filePath) -> String {
        URL(fileURLWithPath: filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/jpeg/\(name)").path
    }

    /// `root/{train,val}/{china,flower}/`: crops of the two 640×427 photographs (sizes 48×48 and 56×40), written as
    /// JPEG (quality 90, 4:2:0) except one PNG per validation class, so the folder mixes formats and sizes.
    static func makeFolder(at root: String) throws -> Int {
        var written = 0
        for name in ["china", "flower"] {
            let photo = try ImageFile.read(path: fixture("photo_\(name).jpg"))
            for (split, count) in [("train", 8), ("val", 4)] {
                let dir = root + "/\(split)/\(name)"
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                for i in 0..<count {
                    let k = i + (split == "val" ? 8 : 0)
                    let (w, h) = k % 3 == 0 ? (56, 40) : (48, 48)
                    let crop = photo.cropped(x: 40 + (k % 4) * 140, y: 30 + (k / 4) * 110, width: w, height: h)
                    if split == "val" && i == 0 {
                        try PNG.write(crop, to: dir + "/\(k).png")
                    } else {
                        try JPEG.write(crop, to: dir + "/\(k).jpg", quality: 90)
                    }
                    written += 1
                }
            }
        }
        return written
    }

    /// A run opens an image folder as its file lists (decoded per batch); CIFAR and `.shapes` stay decoded.
    @Test func anImageFolderOpensAsFilesNotPixels() throws {
        let box = try Sandbox()
        _ = try Self.makeFolder(at: box.root + "/photos")
        let d = try DataSpec.imageFolder(path: "photos", test: nil).open(root: box.root)
        guard case let .files(paths, labels, names) = d.train else { Issue.record("the training split was decoded"); return }
        #expect(d.test.inMemory == nil && d.test.count == 8 && names == ["china", "flower"] && d.classNames == names)
        #expect(paths.count == 16 && labels == Array(repeating: 0, count: 8) + Array(repeating: 1, count: 8))
        #expect(paths[0].hasSuffix("/photos/train/china/0.jpg"))
        let shapes = try DataSpec.shapes(classes: 2, size: 8, train: 4, test: 2, textureCue: 0, seed: 0).open(root: "")
        #expect(shapes.train.inMemory?.count == 4 && shapes.test.inMemory?.count == 2)
    }

    @Test func aNotebookTrainsAndAnalysesATinyJPEGFolder() throws {
        let box = try Sandbox()
        #expect(try Self.makeFolder(at: box.root + "/photos") == 24)
        let path = try box.write("""
            ---
            data: .
            ---

            Two classes of crops from two photographs, JPEG and PNG mixed.

            ```swift config
            let photos = Experiment(model: .resnet(layers: [1, 1], block: .basic, channels: [4, 8], classes: 2),
                                    data: .imageFolder(path: "photos"), augment: [.resize(size: 32), .horizontalFlip],
                                    epochs: 3)
            Table(photos, columns: [.model, .top1])
            FrequencyAnalysis(photos, examples: 4)
            GradCAM(photos, images: 2)
            ```
            """)
        let (s, c, html) = try box.run(path)
        #expect(s.trained == 1 && s.analysed == 2 && s.failed == 0 && s.errors == 0, "log: \(c.text)")
        let store = try box.store()
        let run = try #require(try store.runs().first)
        #expect(run.status == .succeeded)
        let top1 = try #require(run.summary["top1"])
        #expect((0...1).contains(top1))
        #expect(try store.epochs(key: run.key).count == 3)
        let cam = try #require(try store.results().first { $0.kind == "GradCAM" })
        let overlay = try PNG.decode([UInt8](try #require(try store.artifact(named: "cam-0.png", of: cam.key)).bytes), name: "cam-0.png")
        #expect(overlay.width == 32 && overlay.height == 32)
        #expect(html.contains("Grad-CAM of photos") && html.contains(">photos<"))

        // A damaged file in the folder is named in the report; nothing else is lost.
        try Data("truncated".utf8).write(to: URL(fileURLWithPath: box.root + "/photos/train/china/99.jpg"))
        let (s2, c2, html2) = try box.run(path) { $0.force = ["photos"] }
        #expect(s2.trained == 0 && (s2.failed + s2.errors) >= 1, "log: \(c2.text)")
        #expect(c2.text.contains("photos/train/china/99.jpg") || html2.contains("photos/train/china/99.jpg"), "\(c2.text)")
    }
}
