// Tests: the configs' analytic forward FLOPs and parameter counts against the FLOP counter and the built models.

import Engine
import Testing
import Vision

struct ModelCostTests {
    /// FLOPs the counter records for one forward pass of one `size`×`size` image.
    func counted(_ model: Classifier, size: Int) -> Int {
        var rng = RandomGenerator(seed: 1)
        let x = Tensor.randn([1, 3, size, size], rng: &rng)
        model.eval()
        return FLOPCounter.measure { Autograd.noGrad { model(x) } }.1
    }

    static let resnets: [ResNet.Config] = [
        ResNet.Config(block: .basic, layers: [1, 1], channels: [8, 16], classes: 5),
        ResNet.Config(block: .basic, layers: [2, 1, 1], channels: [16, 32, 64], stemWidth: 16, classes: 6),
        ResNet.Config(block: .basic, layers: [1, 2], channels: [8, 16], stem: .imagenet, stemWidth: 8, classes: 10),
        ResNet.Config(block: .bottleneck, layers: [2], channels: [8], stemWidth: 16, classes: 10),
        ResNet.Config(block: .bottleneck, layers: [1], channels: [8], stem: .imagenet, stemWidth: 8, classes: 0),
        ResNet.Config.depth(18, width: 0.25, classes: 10)!,
    ]

    /// Exact where the estimate's one simplification does not apply: bottlenecks that do not downsample.
    @Test(arguments: resnets)
    func resnetFLOPsMatchTheCounter(config: ResNet.Config) {
        #expect(config.forwardFLOPs(imageSize: 16) == counted(ResNet(config, seed: 1), size: 16))
    }

    /// A downsampling bottleneck's first 1×1 conv runs at the block's input side; the estimate counts it at the output
    /// side, so it is short by 3/4 of that conv's FLOPs.
    @Test func resnetFLOPsOfADownsamplingBottleneck() {
        let config = ResNet.Config(block: .bottleneck, layers: [1, 2], channels: [8, 16], stem: .imagenet, stemWidth: 8, classes: 10)
        let conv1 = 2 * (4 * 4) * 32 * 16  // stage 2's first block: 32 → 16 channels on the 4×4 input
        #expect(config.forwardFLOPs(imageSize: 16) + conv1 * 3 / 4 == counted(ResNet(config, seed: 1), size: 16))
    }

    /// Every block but the last counts as the model computes it (the last computes its query, projection and MLP for
    /// the class token only): one block more adds exactly the counter's difference.
    @Test(arguments: [ViT.Config(image: 8, patch: 4, dim: 16, depth: 1, heads: 2, classes: 10),
                      ViT.Config(image: 16, patch: 4, dim: 24, depth: 1, heads: 3, mlpRatio: 2, qkvBias: false, classes: 7)])
    func vitBlockFLOPsMatchTheCounter(config: ViT.Config) {
        var deeper = config
        deeper.depth += 1
        #expect(deeper.forwardFLOPs - config.forwardFLOPs
                == counted(ViT(deeper, seed: 1), size: config.image) - counted(ViT(config, seed: 1), size: config.image))
    }

    @Test(arguments: resnets + [
        ResNet.Config(block: .basic, layers: [1, 1], channels: [8, 16], attention: .se, classes: 5),
        ResNet.Config(block: .bottleneck, layers: [1, 1], channels: [8, 24], stem: .imagenet, attention: .cbam, classes: 0),
        ResNet.Config.depth(50, attention: .se, classes: 100)!,
    ])
    func resnetParametersMatchTheModel(config: ResNet.Config) {
        #expect(config.parameterCount == ResNet(config, seed: 1).parameterCount)
    }

    @Test(arguments: [ViT.Config(image: 8, patch: 4, dim: 16, depth: 2, heads: 2, classes: 10),
                      ViT.Config(image: 16, patch: 4, dim: 24, depth: 1, heads: 3, mlpRatio: 2, qkvBias: false, classes: 0),
                      ViT.Config(image: 32, patch: 4, dim: 192, depth: 6, heads: 3, classes: 100)])
    func vitParametersMatchTheModel(config: ViT.Config) {
        #expect(config.parameterCount == ViT(config, seed: 1).parameterCount)
    }
}
