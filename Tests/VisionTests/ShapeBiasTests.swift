// Shape bias counts on hand-made predictors, the cue-conflict split, and the patch-shuffle proxy.
import Engine
import Foundation
import Testing
@testable import Vision

/// A hand-made classifier that reads the answer from the image: pixel (0, 0) holds the shape
/// label / 10 in red and the texture label / 10 in green; it predicts one of them (or a fixed class).
private final class LabelReader: Classifier {
    enum Mode { case shape, texture, constant(Int) }
    let mode: Mode, classes: Int
    init(_ mode: Mode, classes: Int) { self.mode = mode; self.classes = classes; super.init() }
    override func forward(_ x: Tensor) -> Tensor {
        let n = x.dim(0), hw = x.dim(2) * x.dim(3)
        let out = Tensor.zeros([n, classes])
        for i in 0..<n {
            let base = i * 3 * hw
            let c: Int
            switch mode {
            case .shape: c = Int((x.ptr[base] * 10).rounded())
            case .texture: c = Int((x.ptr[base + hw] * 10).rounded())
            case let .constant(k): c = k
            }
            out.ptr[i * classes + c] = 5
        }
        return out
    }
}

/// Images whose pixel (0, 0) encodes (shape, texture) for `LabelReader`; the rest is a gradient.
private func encoded(shapes: [Int], textures: [Int], size: Int = 8) -> Tensor {
    let hw = size * size
    let t = Tensor.zeros([shapes.count, 3, size, size])
    for i in shapes.indices {
        for p in 0..<hw { t.ptr[i * 3 * hw + 2 * hw + p] = Float(p) / Float(hw) }
        t.ptr[i * 3 * hw] = Float(shapes[i]) / 10
        t.ptr[i * 3 * hw + hw] = Float(textures[i]) / 10
    }
    return t
}

@Suite struct ShapeBiasTests {
    let shapes = [0, 1, 2, 3, 0, 1, 2, 3], textures = [1, 2, 3, 0, 0, 3, 0, 1]  // image 4 has equal labels

    @Test func texturePredictorHasBiasZeroAndShapePredictorOne() throws {
        let x = encoded(shapes: shapes, textures: textures)
        let texture = try ShapeBias.measure(model: LabelReader(.texture, classes: 4), pixels: x, shapeLabels: shapes,
                                            textureLabels: textures, normalization: .unit, batchSize: 3)
        #expect(texture.shapeBias == 0)
        #expect(texture.n == 7 && texture.dropped == 1)
        #expect(texture.textureDecisions == 7 && texture.shapeDecisions == 0 && texture.neither == 0)
        #expect(texture.textureAccuracy == 1 && texture.shapeAccuracy == 0)

        let shape = try ShapeBias.measure(model: LabelReader(.shape, classes: 4), pixels: x, shapeLabels: shapes,
                                          textureLabels: textures, normalization: .unit, batchSize: 8)
        #expect(shape.shapeBias == 1)
        #expect(shape.shapeDecisions == 7 && shape.textureDecisions == 0)
        #expect(shape.shapeAccuracy == 1 && shape.textureAccuracy == 0)
    }

    @Test func countsMixedDecisionsAndNeither() throws {
        // Kept images (labels differ): predictions shape, texture, shape, neither, neither.
        let r = try ShapeBias.count(predictions: [0, 2, 2, 9, 1, 9], shapeLabels: [0, 1, 2, 3, 1, 0], textureLabels: [1, 2, 0, 0, 1, 2])
        #expect(r.dropped == 1 && r.n == 5)
        #expect(r.shapeDecisions == 2 && r.textureDecisions == 1 && r.neither == 2)
        #expect(r.shapeBias == 2.0 / 3.0)
        #expect(r.shapeAccuracy == 0.4 && r.textureAccuracy == 0.2)
        // A model that always answers a third class has no bias (S + T = 0).
        let none = try ShapeBias.measure(model: LabelReader(.constant(3), classes: 4), pixels: encoded(shapes: [0, 1], textures: [1, 2]),
                                         shapeLabels: [0, 1], textureLabels: [1, 2], normalization: .unit)
        #expect(none.shapeBias == nil && none.neither == 2)
        #expect(throws: GradCAMError.self) { try ShapeBias.count(predictions: [0], shapeLabels: [0, 1], textureLabels: [1, 0]) }
        #expect(throws: GradCAMError.self) { try ShapeBias.count(predictions: [0], shapeLabels: [1], textureLabels: [1]) }
        let json = try JSONDecoder().decode(ShapeBiasResult.self, from: JSONEncoder().encode(r))
        #expect(json == r)
    }

    @Test func cueConflictSplitNeedsTextureLabels() throws {
        let data = ShapesDataset(ShapesConfig(classes: 3, size: 16, trainCount: 4, testCount: 6, seed: 1))
        let model = ResNet(.init(block: .basic, layers: [1], channels: [4], stemWidth: 4, classes: 3), seed: 0)
        let r = try ShapeBias.measure(model: model, cueConflict: data.load(.cueConflict), normalization: .unit)
        #expect(r.n == 6 && r.dropped == 0 && r.shapeDecisions + r.textureDecisions + r.neither == 6)
        #expect(throws: GradCAMError.self) { try ShapeBias.measure(model: model, cueConflict: data.load(.test), normalization: .unit) }
    }

    @Test func patchShuffleWithOneCellIsTheIdentity() throws {
        var rng = RandomGenerator(seed: 0)
        let x = Tensor.uniform([3, 3, 8, 8], rng: &rng)
        #expect(try PatchShuffle.shuffled(x, grid: 1, seed: 7).scalars == x.scalars)
    }

    @Test func patchShufflePermutesWholePatchesDeterministically() throws {
        // Each 4×4 patch of image 0 is constant (its index), so the shuffled patches must be a permutation of 0…3.
        let size = 8, g = 2, hw = size * size
        let x = Tensor.zeros([2, 3, size, size])
        for i in 0..<2 { for c in 0..<3 { for y in 0..<size { for xx in 0..<size {
            x.ptr[(i * 3 + c) * hw + y * size + xx] = Float((y / 4) * g + xx / 4) + Float(i * 10 + c * 100)
        } } } }
        let a = try PatchShuffle.shuffled(x, grid: g, seed: 3), b = try PatchShuffle.shuffled(x, grid: g, seed: 3)
        #expect(a.scalars == b.scalars)
        var moved = false
        for i in 0..<2 {
            var seen: [Int] = []
            for py in 0..<g { for px in 0..<g {
                let v = a.ptr[(i * 3) * hw + py * 4 * size + px * 4]
                for c in 0..<3 { for y in 0..<4 { for xx in 0..<4 {
                    #expect(a.ptr[(i * 3 + c) * hw + (py * 4 + y) * size + px * 4 + xx] == v + Float(c * 100), "patches move whole")
                } } }
                seen.append(Int(v) - i * 10)
                if Int(v) - i * 10 != py * g + px { moved = true }
            } }
            #expect(seen.sorted() == [0, 1, 2, 3])
        }
        #expect(moved, "some patch should move")
        let seeds = (0..<8).map { try? PatchShuffle.shuffled(x, grid: g, seed: UInt64($0)).scalars }
        #expect(Set(seeds.map { $0!.description }).count > 1, "different seeds give different shuffles")
        #expect(throws: GradCAMError.self) { try PatchShuffle.shuffled(x, grid: 3, seed: 0) }
    }

    @Test func patchShuffleProxyReportsAccuracyPerGrid() throws {
        let shapes = [0, 1, 2, 3], textures = [1, 2, 3, 0]
        let x = encoded(shapes: shapes, textures: textures)
        let r = try PatchShuffle.measure(model: LabelReader(.shape, classes: 4), pixels: x, labels: shapes,
                                         normalization: .unit, grids: [2, 4], seed: 1)
        #expect(r.points.map(\.grid) == [1, 2, 4])
        #expect(r.points[0].accuracy == 1 && r.points[0].n == 4)
        #expect(r.kind.contains("proxy"))
        #expect(r.points.allSatisfy { (0...1).contains($0.accuracy) })
    }
}
