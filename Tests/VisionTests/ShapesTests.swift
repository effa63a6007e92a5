// Tests: the `.shapes` dataset — determinism, balance, texture cue and cue-conflict labels.

import Testing
@testable import Vision

struct ShapesTests {
    let config = ShapesConfig(classes: 10, trainCount: 200, testCount: 100, seed: 42)

    @Test func sameSeedSameImagesDifferentSeedDifferent() {
        let a = ShapesDataset(config).load(.train)
        let b = ShapesDataset(config).load(.train)
        var other = config
        other.seed = 43
        let c = ShapesDataset(other).load(.train)
        #expect(a.images == b.images)
        #expect(a.labels == b.labels)
        #expect(a.images != c.images)
        #expect(ShapesDataset(config).sample(.train, index: 17).image == a.images[17])
    }

    @Test func classesAreBalancedAndSized() {
        let d = ShapesDataset(config).load(.train)
        #expect(d.count == 200)
        #expect(d.classNames.count == 10)
        #expect(Set(d.classNames).count == 10)
        for k in 0..<10 { #expect(d.labels.filter { $0 == k }.count == 20) }
        #expect(d.images.allSatisfy { $0.width == 32 && $0.height == 32 })
        var big = config
        big.size = 48
        #expect(ShapesDataset(big).sample(.test, index: 0).image.width == 48)
    }

    @Test func splitsDiffer() {
        let ds = ShapesDataset(config)
        #expect(ds.sample(.train, index: 3).image != ds.sample(.test, index: 3).image)
    }

    @Test func fullTextureCueTiesTextureToClass() {
        var c = config
        c.textureCue = 1
        let ds = ShapesDataset(c)
        for i in 0..<100 {
            let s = ds.sample(.train, index: i)
            #expect(s.textureIndex == s.label)
            // The test split follows the same distribution.
            let t = ds.sample(.test, index: i)
            #expect(t.textureIndex == t.label)
        }
        // Without the cue, textures are spread over the catalogue independently of the class.
        let free = ShapesDataset(config)
        let matches = (0..<200).filter { free.sample(.train, index: $0).textureIndex == $0 % 10 }.count
        #expect(matches < 60)
    }

    @Test func cueConflictCarriesAnotherClassTexture() {
        let d = ShapesDataset(config).load(.cueConflict)
        let textures = try! #require(d.textureLabels)
        #expect(textures.count == d.count)
        for i in 0..<d.count {
            #expect(textures[i] != d.labels[i])
            #expect((0..<10).contains(textures[i]))
        }
        let s = ShapesDataset(config).sample(.cueConflict, index: 5)
        #expect(s.textureIndex == s.textureClass)
    }

    @Test func imagesHaveForegroundAndBackground() {
        // Each image should show some spread of intensities (a shape on a background), not a flat field.
        let d = ShapesDataset(config).load(.test)
        for img in d.images.prefix(20) {
            let g = img.greyLevels()
            #expect(Int(g.max()!) - Int(g.min()!) > 40)
        }
    }

    @Test func hardEdgesWithoutAntialias() {
        var c = config
        c.antialias = false
        let a = ShapesDataset(c).sample(.train, index: 0).image
        let b = ShapesDataset(config).sample(.train, index: 0).image
        #expect(a != b)
    }
}
