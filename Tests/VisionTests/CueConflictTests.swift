// Cue-conflict stimuli: the category data, the folder layout and its errors, the 16-way mean decision, shape bias.
import Engine
import Foundation
import Testing
@testable import Vision

@Suite struct CueConflictTests {
    /// A scratch folder with 8×8 PNG stimuli at the given relative paths.
    func folder(_ files: [String]) throws -> String {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("loom-cue-\(UUID().uuidString)").path
        for (i, f) in files.enumerated() {
            let path = root + "/" + f
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            let pixels = (0..<(8 * 8 * 3)).map { UInt8(($0 * 7 + i * 31) % 256) }
            try PNG.write(Image(width: 8, height: 8, pixels: pixels), to: path)
        }
        return root
    }

    @Test func categoryDataIsTheReferenceCodes() {
        #expect(CueConflict.categories == CueConflict.categories.sorted() && CueConflict.categories.count == 16)
        #expect(CueConflict.imageNetIndices.map(\.count) == [1, 4, 2, 49, 5, 7, 3, 6, 4, 3, 109, 2, 2, 1, 1, 8])
        let all = CueConflict.imageNetIndices.flatMap { $0 }
        #expect(Set(all).count == all.count, "an ImageNet class in two categories")
        #expect(all.allSatisfy { (0..<1_000).contains($0) })
        #expect(CueConflict.imageNetIndices[10].first == 152 && CueConflict.imageNetIndices[10].last == 268)
        #expect(!CueConflict.imageNetIndices[10].contains(192) && !CueConflict.imageNetIndices[10].contains(260))
    }

    @Test func layoutIsReadInOrder() throws {
        let root = try folder(["elephant/elephant1-cat3.png", "cat/cat2-cat1.png", "cat/cat1-elephant2.png", ".DS_Store/x.png"])
        defer { try? FileManager.default.removeItem(atPath: root) }
        let s = try CueConflict.stimuli(root: root)
        let cat = 7, elephant = 11
        #expect(s.map { ($0.path as NSString).lastPathComponent } == ["cat1-elephant2.png", "cat2-cat1.png", "elephant1-cat3.png"])
        #expect(s.map(\.shape) == [cat, cat, elephant] && s.map(\.texture) == [elephant, cat, cat])
    }

    @Test(arguments: [
        (["cat/cat1_elephant2.png"], "expected a name <shape><n>-<texture><m>"),
        (["cat/cat1-tiger2.png"], "expected a name <shape><n>-<texture><m>"),
        (["tiger/tiger1-cat2.png"], "`tiger` is not one of the 16 categories"),
        (["cat/dog1-cat2.png"], "its shape `dog` is not its folder's `cat`"),
        ([String](), "holds no stimuli"),
    ])
    func badLayoutsNameTheFile(files: [String], message: String) throws {
        let root = try folder(files)
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect { try CueConflict.stimuli(root: root) } throws: { "\($0)".contains(message) }
        #expect { try CueConflict.stimuli(root: root + "/absent") } throws: { "\($0)".contains("cue-conflict folder not found") }
    }

    @Test func decisionAveragesEachCategorysProbabilities() {
        // Row 0: knife's one class at logit 3; each of dog's 109 classes at logit 0. The sum over dog's classes is larger,
        // the mean is not: the reference code's mean picks knife. Row 1: one-hot on a bird class.
        var values = [Float](repeating: -20, count: 2_000)
        values[499] = 3
        for k in CueConflict.imageNetIndices[10] { values[k] = 0 }
        values[1_000 + 130] = 10
        let logits = Tensor(shape: [2, 1_000], data: values)
        let knife = 13, bird = 3
        #expect(CueConflict.decisions(logits: logits) == [knife, bird])
    }

    @Test func shapeBiasOfAThousandWayModelAndAnotherModelsError() throws {
        let root = try folder(["cat/cat1-elephant2.png", "cat/cat2-cat1.png", "elephant/elephant1-cat3.png",
                               "dog/dog1-bird2.png"])
        defer { try? FileManager.default.removeItem(atPath: root) }
        let stimuli = try CueConflict.stimuli(root: root)
        let pixels = Tensor(shape: [stimuli.count, 3, 8, 8], data: (0..<(stimuli.count * 192)).map { Float($0 % 17) / 16 })
        let model = ResNet(ResNet.Config(block: .basic, layers: [1], channels: [4], classes: 1_000), seed: 3)
        let r = try CueConflict.shapeBias(model: model, stimuli: stimuli, pixels: pixels, normalization: .imagenet)
        #expect(r.dropped == 1 && r.n == 3 && r.shapeDecisions + r.textureDecisions + r.neither == 3)
        let small = ResNet(ResNet.Config(block: .basic, layers: [1], channels: [4], classes: 10), seed: 3)
        #expect { try CueConflict.shapeBias(model: small, stimuli: stimuli, pixels: pixels, normalization: .imagenet) }
            throws: { "\($0)".contains("needs a 1,000-class ImageNet classifier") }
    }
}
