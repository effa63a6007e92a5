// Tests: timm's evaluation transform from a pretrained_cfg (crop_pct, crop_mode, bicubic/lanczos/bilinear) on the two
// real photographs, against timm's `create_transform(**resolve_data_config(...))` through PIL (Fixtures/timm_eval).

import Foundation
import Testing
@testable import Vision

struct TimmEvalTransformTests {
    /// The cases of `timm_eval/make_timm_eval.py`: three timm weights' cfgs and three other settings.
    static let cases = ["resnet50.a1_in1k", "vit_small_patch16_224.dino", "vit_small_patch16_224.augreg_in21k_ft_in1k",
                        "squash_bicubic_160", "center_lanczos_96", "center_bilinear_128"]

    /// Every output pixel equal to timm's (PIL's resize filters reproduced in 22-bit fixed point, as PIL computes them;
    /// the resize fixtures' tolerance is 1 level, and these match exactly): a 48×48 centre crop compared value by value
    /// for a measured difference, then the whole output by its hash.
    @Test(arguments: cases)
    func matchesTimmOnRealPhotographs(name: String) throws {
        let ref = try readFixture("timm_eval/timm_eval.safetensors")
        let meta = try readFixtureMetadata("timm_eval/timm_eval.safetensors")
        struct Cfg: Decodable { var input_size: [Int]; var crop_pct: Double; var crop_mode: String; var interpolation: String }
        let cfg = try JSONDecoder().decode(Cfg.self, from: Data(try #require(meta[name + ".cfg"]).utf8))
        let transform = try TimmEvalTransform(size: cfg.input_size[1], cropPct: cfg.crop_pct, cropMode: cfg.crop_mode,
                                              interpolation: cfg.interpolation)
        for photo in ["photo_china", "photo_flower"] {
            var x = try ImageFile.read(path: fixturePath("jpeg/\(photo).jpg"))
            var rng = SeededRNG(seed: 0, stream: 0)
            for step in transform.steps { x = step.apply(x, rng: &rng) }
            let side = cfg.input_size[1]
            #expect(x.width == side && x.height == side)
            let crop = x.cropped(x: side / 2 - 24, y: side / 2 - 24, width: 48, height: 48)
            let (worst, count) = JPEGTests.difference(crop.pixels, try #require(ref["\(name).\(photo).crop"]).bytes)
            #expect(worst == 0, "\(name) \(photo): max difference \(worst), \(count) values differ")
            #expect(JPEGTests.fnv1a64(x.pixels) == meta["\(name).\(photo).fnv1a64"], "\(name) \(photo)")
        }
    }

    @Test func resnet50CfgIsResize235BicubicAndCentreCrop() throws {
        let t = try TimmEvalTransform(size: 224, cropPct: 0.95, cropMode: nil, interpolation: "bicubic")
        #expect(t.scaleSize == 235 && t.cropMode == .center && t.interpolation == .bicubic)
        #expect(t.steps.map(\.name) == ["ResizeShorterSide(235, bicubic)", "CenterCrop(224x224)"])
        // timm's defaults when the cfg leaves them out: crop_pct 0.875, bilinear; the names of the transform used before.
        #expect(try TimmEvalTransform(size: 224, cropPct: nil, cropMode: nil, interpolation: nil).steps.map(\.name)
                == ResizeShorterSide.timmEval(size: 224).map(\.name))
        #expect(ResizeShorterSide.timmEval(size: 224).map(\.name) == ["ResizeShorterSide(256)", "CenterCrop(224x224)"])
    }

    @Test(arguments: [
        (0.875, "border", "bicubic", "crop_mode `border` is not reproduced"),
        (0.875, "center", "nearest", "interpolation `nearest` is not reproduced"),
        (1.5, "center", "bicubic", "crop_pct 1.5 is outside (0, 1]"),
        (0.0, "center", "bicubic", "crop_pct 0.0 is outside (0, 1]"),
    ])
    func unreproducibleSettingsAreNamed(pct: Double, mode: String, interpolation: String, fragment: String) {
        #expect { try TimmEvalTransform(size: 224, cropPct: pct, cropMode: mode, interpolation: interpolation) }
            throws: { "\($0)".contains(fragment) }
    }
}
