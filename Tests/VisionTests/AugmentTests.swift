// Tests: augmentation steps — determinism, geometry sanity, RandomResizedCrop, policy parsing, erasing, pipeline.

import Testing
@testable import Vision

struct AugmentTests {
    static let image = ShapesDataset(ShapesConfig(trainCount: 4, seed: 3)).sample(.train, index: 1).image

    static func allImageSteps() throws -> [any ImageAugmentation] {
        [RandomCrop(size: 32, padding: 4), HorizontalFlip(), RandomResizedCrop(size: 24), Resize(width: 16, height: 20),
         ColorJitter(brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1),
         AutoAugment(policy: .cifar10), AutoAugment(policy: .v0), try AutoAugment("v0r-mstd0.5"),
         try RandAugment("rand-m9-n2-mstd0.5"), try RandAugment("rand-m9-n3-mstd101-inc1"), TrivialAugmentWide()]
    }

    @Test func everyStepIsDeterministicGivenTheSeed() throws {
        for step in try Self.allImageSteps() {
            var differs = false
            for seed in UInt64(0)..<12 {
                var r1 = SeededRNG(seed: seed), r2 = SeededRNG(seed: seed), r3 = SeededRNG(seed: seed + 100)
                let a = step.apply(Self.image, rng: &r1)
                #expect(a == step.apply(Self.image, rng: &r2), "\(step.name) not deterministic")
                if a != step.apply(Self.image, rng: &r3) { differs = true }
            }
            #expect(differs || step is Resize, "\(step.name) ignores its RNG")
        }
    }

    @Test func flipAndQuarterTurnsAreInvolutions() {
        let img = Self.image
        #expect(img.flippedHorizontally().flippedHorizontally() == img)
        #expect(img.flippedHorizontally().pixel(x: 0, y: 5) == img.pixel(x: 31, y: 5))
        #expect(img.rotated(quarterTurns: 1).rotated(quarterTurns: 3) == img)
        #expect(img.rotated(degrees: 90, interpolation: .nearest) == img.rotated(quarterTurns: 1))
        #expect(img.rotated(degrees: 90).pixel(x: 0, y: 0) == img.pixel(x: 31, y: 0))  // CCW: top-right → top-left
        #expect(img.rotated(degrees: 360) == img && img.rotated(degrees: -180) == img.rotated(quarterTurns: 2))
    }

    @Test func translateShiftsContentAndFills() {
        let img = Self.image
        let t = img.translatedX(5, interpolation: .nearest, fill: RGB(1, 2, 3))
        #expect(t.pixel(x: 0, y: 4) == img.pixel(x: 5, y: 4))
        #expect(t.pixel(x: 27, y: 9) == RGB(1, 2, 3))
        let down = img.translatedY(-3, interpolation: .nearest, fill: RGB(1, 2, 3))
        #expect(down.pixel(x: 7, y: 10) == img.pixel(x: 7, y: 7))
        #expect(down.pixel(x: 7, y: 0) == RGB(1, 2, 3))
        #expect(img.shearedX(0, interpolation: .bilinear) == img)
        #expect(img.affineTransformed([1, 0, 0, 0, 1, 0], interpolation: .bicubic) == img)
    }

    @Test func paddedCropStaysInsideThePaddedImage() {
        let crop = RandomCrop(size: 32, padding: 4)
        for seed in UInt64(0)..<20 {
            var rng = SeededRNG(seed: seed)
            let out = crop.apply(Self.image, rng: &rng)
            #expect(out.width == 32 && out.height == 32)
        }
        let corner = Self.image.cropped(x: -4, y: -4, width: 32, height: 32)
        #expect(corner.pixel(x: 0, y: 0) == .black && corner.pixel(x: 4, y: 4) == Self.image.pixel(x: 0, y: 0))
    }

    @Test func randomResizedCropOutputSizeAndBox() {
        let rrc = RandomResizedCrop(width: 40, height: 24)
        for seed in UInt64(0)..<30 {
            var rng = SeededRNG(seed: seed)
            let out = rrc.apply(Self.image, rng: &rng)
            #expect(out.width == 40 && out.height == 24)
            var r2 = SeededRNG(seed: seed)
            let b = rrc.box(width: 32, height: 32, rng: &r2)
            #expect(b.top >= 0 && b.left >= 0 && b.top + b.height <= 32 && b.left + b.width <= 32)
            let area = Double(b.width * b.height) / 1024
            #expect(area > 0.05 && area <= 1.0)
        }
        // Impossible constraints fall back to the centre crop clamped to the ratio range.
        var rng = SeededRNG(seed: 1)
        let wide = RandomResizedCrop(size: 8, scale: 2...3, ratio: 2...3).box(width: 32, height: 32, rng: &rng)
        #expect(wide.width == 32 && wide.height == 16 && wide.top == 8 && wide.left == 0)
    }

    @Test func resizeKeepsFlatImagesFlatAndIdentityIsExact() {
        let flat = Image(width: 32, height: 32, fill: RGB(10, 200, 77))
        #expect(flat.resized(width: 13, height: 50) == Image(width: 13, height: 50, fill: RGB(10, 200, 77)))
        #expect(Self.image.resized(width: 32, height: 32) == Self.image)
    }

    @Test func colorJitterWithZeroStrengthIsIdentity() {
        var rng = SeededRNG(seed: 9)
        #expect(ColorJitter().apply(Self.image, rng: &rng) == Self.image)
        #expect(Self.image.enhancedBrightness(1) == Self.image && Self.image.enhancedContrast(1) == Self.image)
    }

    @Test func randAugmentStringsFollowTimm() throws {
        let a = try RandAugment("rand-m9-n2-mstd0.5")
        #expect(a.m == 9 && a.n == 2 && a.p == 0.5 && a.params.magnitudeStd == 0.5 && !a.increasing)
        #expect(a.ops.count == 15 && a.ops.contains(.posterize))
        let b = try RandAugment("rand-m7-mstd101-inc1-mmax12-p0.8")
        #expect(b.n == 2 && b.m == 7 && b.params.magnitudeStd == .infinity && b.increasing)
        #expect(b.params.magnitudeMax == 12 && b.p == 0.8 && b.ops.contains(.posterizeIncreasing))
        #expect(try RandAugment("rand-m9").m == 9)
        for bad in ["rand-m9-x3", "augmix-m9", "rand-mmax", "rand-m9.5", "rand-m9-n", "rand-mstdabc1"] {
            #expect(throws: AugmentConfigError.self, "\(bad) accepted") { try RandAugment(bad) }
        }
        #expect(throws: AugmentConfigError.self) { try AutoAugment("v1") }
    }

    @Test func magnitudeMappingsMatchMethods() {
        var rng = SeededRNG(seed: 0)
        #expect(TimmOp.posterize.resolve(level: 6, width: 32, height: 32, translateConst: 14, rng: &rng) == .posterize(2))
        #expect(TimmOp.posterizeIncreasing.resolve(level: 6, width: 32, height: 32, translateConst: 14, rng: &rng) == .posterize(2))
        #expect(TimmOp.posterizeOriginal.resolve(level: 6, width: 32, height: 32, translateConst: 14, rng: &rng) == .posterize(6))
        #expect(TimmOp.solarize.resolve(level: 3, width: 32, height: 32, translateConst: 14, rng: &rng) == .solarize(76))
        #expect(TimmOp.solarizeAdd.resolve(level: 7, width: 32, height: 32, translateConst: 14, rng: &rng) == .solarizeAdd(77))
        #expect(TimmOp.color.resolve(level: 5, width: 32, height: 32, translateConst: 14, rng: &rng) == .color(1.0))
        if case let .rotate(d) = TimmOp.rotate.resolve(level: 5, width: 32, height: 32, translateConst: 14, rng: &rng) { #expect(abs(d) == 15) }
        if case let .translateY(p) = TimmOp.translateYRel.resolve(level: 10, width: 32, height: 20, translateConst: 14, rng: &rng) { #expect(abs(p) == 9) }
        #expect(TorchvisionOp.posterize.resolve(bin: 9, bins: 10, wide: false, width: 32, height: 32, negative: false) == .posterize(4))
        #expect(TorchvisionOp.posterize.resolve(bin: 30, bins: 31, wide: true, width: 32, height: 32, negative: false) == .posterize(2))
        #expect(TorchvisionOp.translateX.resolve(bin: 9, bins: 10, wide: false, width: 32, height: 32, negative: false) == .translateX(-14))
        if case let .brightness(f) = TorchvisionOp.brightness.resolve(bin: 9, bins: 10, wide: false, width: 32, height: 32, negative: true) {
            #expect(abs(f - 0.1) < 1e-6)
        } else { Issue.record("Brightness resolved to another op") }
        #expect(TorchvisionOp.solarize.resolve(bin: 0, bins: 10, wide: false, width: 32, height: 32, negative: false) == .solarize(255))
    }

    @Test func randomErasingModes() {
        let base = Self.image.planar(.cifar10)
        for mode in [RandomErasing.Mode.const, .rand, .pixel] {
            var img = base
            var rng = SeededRNG(seed: 5)
            RandomErasing(probability: 1, mode: mode, minCount: 1, maxCount: 3).apply(&img, rng: &rng)
            let changed = zip(img.data, base.data).filter { $0 != $1 }.count
            #expect(changed > 0 && changed < base.data.count / 2, "\(mode): \(changed) values changed")
            if mode == .const { #expect(zip(img.data, base.data).allSatisfy { $0 == $1 || $0 == 0 }) }
        }
        var untouched = base
        var rng = SeededRNG(seed: 5)
        RandomErasing(probability: 0).apply(&untouched, rng: &rng)
        #expect(untouched == base)
    }

    @Test func cutoutZeroesAtMostASquare() {
        var img = Self.image.planar(.cifar10)
        var rng = SeededRNG(seed: 2)
        Cutout(size: 8).apply(&img, rng: &rng)
        let zeros = img.data.filter { $0 == 0 }.count
        #expect(zeros > 0 && zeros <= 3 * 64)
    }

    @Test func pipelineRunsInOrderAndMakesAGrid() throws {
        let pipe = AugmentPipeline([.image(RandomCrop(size: 32, padding: 4)), .image(HorizontalFlip()),
                                    .image(try RandAugment("rand-m9-n2-mstd0.5")), .normalize(.cifar100),
                                    .planar(RandomErasing(probability: 0.5, mode: .pixel))])
        var r1 = AugmentPipeline.rng(seed: 1, epoch: 0, index: 3), r2 = AugmentPipeline.rng(seed: 1, epoch: 0, index: 3)
        let a = pipe(Self.image, rng: &r1)
        #expect(a == pipe(Self.image, rng: &r2))
        #expect(a.channels == 3 && a.height == 32 && a.width == 32)
        #expect(pipe.normalization == .cifar100)
        let png = try pipe.sampleGridPNG([Self.image, Self.image.inverted()], samples: 4, scale: 1)
        let grid = try PNG.decode(png)
        #expect(grid.width == 5 * 32 + 6 && grid.height == 2 * 32 + 3)
    }
}
