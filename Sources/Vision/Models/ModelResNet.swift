// ResNet (He et al.) with timm's structure and names; CIFAR or ImageNet stem; SE/CBAM.
import Engine

/// Residual block kind: basic (two 3×3) or bottleneck (1×1, 3×3, 1×1, expansion 4).
public enum BlockKind: String, Sendable, Codable { case basic, bottleneck }
/// Stem: CIFAR (3×3 s1, no max-pool) or ImageNet (7×7 s2 + 3×3 s2 max-pool).
public enum StemKind: String, Sendable, Codable { case cifar, imagenet }
/// Attention module in each block, after the last BN and before the residual add.
public enum AttentionKind: String, Sendable, Codable { case none, se, cbam }

/// An image classifier: a module mapping (N, 3, H, W) to logits (N, classes).
open class Classifier: Module {
    open func forward(_ x: Tensor) -> Tensor { fatalError("subclass must implement forward") }

    /// Bytes of the largest activation one image of `height`×`width` pixels makes in a forward
    /// pass; micro-batches are sized from it (`MicroBatch`). 0 (the default) means unknown: never split.
    open func activationBytesPerImage(height: Int, width: Int) -> Int { 0 }

    /// The forward pass as consecutive steps for micro-batched inference (`forwardSharded`).
    /// Default: `forward` as one step of `activationBytesPerImage`.
    open func inferenceSteps(height: Int, width: Int) -> [InferenceStep] {
        [InferenceStep(bytesPerImage: activationBytesPerImage(height: height, width: width), run: forward)]
    }

    /// Whether, in training mode, each image's logits depend on that image alone (no batch
    /// statistics such as BatchNorm's), so a batch's gradient may be accumulated over micro-batches.
    open var imagesIndependentInTraining: Bool { false }

    /// Runs the model; a batch of independent images (no gradient recording, evaluation mode)
    /// runs in shards and micro-batches (`MicroBatch`): the same values, computed faster.
    public func callAsFunction(_ x: Tensor) -> Tensor { forwardSharded(x) ?? forward(x) }
}

/// One residual block (timm `BasicBlock` / `Bottleneck`).
final class ResidualBlock: Module {
    let kind: BlockKind
    let convs: [Conv2d], bns: [BatchNorm2d]
    let se: Module?
    let seForward: ((Tensor) -> Tensor)?
    let downsample: ConvBN?

    init(_ kind: BlockKind, inplanes: Int, planes: Int, stride: Int, attention: AttentionKind, rng: inout RandomGenerator) {
        self.kind = kind
        let out = kind == .basic ? planes : planes * 4
        switch kind {
        case .basic:
            convs = [Conv2d(inplanes, planes, kernel: 3, stride: stride, padding: 1, rng: &rng),
                     Conv2d(planes, planes, kernel: 3, padding: 1, rng: &rng)]
            bns = [BatchNorm2d(planes), BatchNorm2d(planes)]
        case .bottleneck:
            convs = [Conv2d(inplanes, planes, kernel: 1, rng: &rng),
                     Conv2d(planes, planes, kernel: 3, stride: stride, padding: 1, rng: &rng),
                     Conv2d(planes, out, kernel: 1, rng: &rng)]
            bns = [BatchNorm2d(planes), BatchNorm2d(planes), BatchNorm2d(out)]
        }
        bns.last!.weight.fill(0)  // timm zero_init_last
        switch attention {
        case .none: se = nil; seForward = nil
        case .se: let m = SEModule(out, rng: &rng); se = m; seForward = { m($0) }
        case .cbam: let m = CBAMModule(out, rng: &rng); se = m; seForward = { m($0) }
        }
        downsample = stride != 1 || inplanes != out ? ConvBN(inplanes, out, kernel: 1, stride: stride, rng: &rng) : nil
        super.init()
        for (i, (c, b)) in zip(convs, bns).enumerated() { addChild("conv\(i + 1)", c); addChild("bn\(i + 1)", b) }
        if let se { addChild("se", se) }
        if let downsample { addChild("downsample", downsample) }
    }

    func callAsFunction(_ x: Tensor) -> Tensor {
        var y = x
        let last = convs.count - 1
        for i in 0..<last {
            y = convBN(convs[i], bns[i], y, relu: true)  // BN+ReLU fused (train) or folded (inference)
        }
        if seForward == nil && bns[last].training {
            // Training: relu(bn(conv(y)) + shortcut) in one op, the normalised tensor never stored.
            return bns[last](convs[last](y), residual: downsample?(x) ?? x)
        }
        y = convBN(convs[last], bns[last], y)
        if let seForward { y = seForward(y) }
        return addReLU(y, downsample?(x) ?? x)
    }
}

/// ResNet with timm's state-dict names (`conv1`, `bn1`, `layerK.i.*`, `fc`).
public final class ResNet: Classifier {
    public struct Config: Equatable, Sendable, Codable {
        public var block: BlockKind
        public var layers: [Int]
        public var channels: [Int]
        public var stem: StemKind
        public var stemWidth: Int
        public var attention: AttentionKind
        public var classes: Int

        public init(block: BlockKind, layers: [Int], channels: [Int] = [64, 128, 256, 512], stem: StemKind = .cifar,
                    stemWidth: Int = 64, attention: AttentionKind = .none, classes: Int) {
            self.block = block; self.layers = layers; self.channels = channels; self.stem = stem
            self.stemWidth = stemWidth; self.attention = attention; self.classes = classes
        }

        /// Block kind and blocks per stage of each standard depth.
        static let depthTable: [Int: (BlockKind, [Int])] = [18: (.basic, [2, 2, 2, 2]), 34: (.basic, [3, 4, 6, 3]),
                                                            50: (.bottleneck, [3, 4, 6, 3]), 101: (.bottleneck, [3, 4, 23, 3]),
                                                            152: (.bottleneck, [3, 8, 36, 3])]

        /// The depths ``depth(_:width:stem:attention:classes:)`` knows, ascending.
        public static let standardDepths = depthTable.keys.sorted()

        /// The standard depths: 18/34 basic, 50/101/152 bottleneck; `width` scales all channels.
        public static func depth(_ d: Int, width: Double = 1, stem: StemKind = .cifar, attention: AttentionKind = .none,
                                 classes: Int) -> Config? {
            guard let (b, l) = depthTable[d] else { return nil }
            let ch = [64, 128, 256, 512].map { max(1, Int((Double($0) * width).rounded())) }
            return Config(block: b, layers: l, channels: ch, stem: stem,
                          stemWidth: max(1, Int((64 * width).rounded())), attention: attention, classes: classes)
        }
    }

    public let config: Config
    let conv1: Conv2d, bn1: BatchNorm2d
    let stages: [[ResidualBlock]]
    let fc: Linear?

    public init(_ config: Config, seed: UInt64 = 0) {
        self.config = config
        var rng = RandomGenerator(seed: seed)
        conv1 = config.stem == .cifar
            ? Conv2d(3, config.stemWidth, kernel: 3, padding: 1, rng: &rng)
            : Conv2d(3, config.stemWidth, kernel: 7, stride: 2, padding: 3, rng: &rng)
        bn1 = BatchNorm2d(config.stemWidth)
        var inplanes = config.stemWidth
        var stages: [[ResidualBlock]] = []
        for (s, (n, planes)) in zip(config.layers, config.channels).enumerated() {
            var blocks: [ResidualBlock] = []
            for i in 0..<n {
                let b = ResidualBlock(config.block, inplanes: inplanes, planes: planes, stride: i == 0 && s > 0 ? 2 : 1,
                                      attention: config.attention, rng: &rng)
                inplanes = config.block == .basic ? planes : planes * 4
                blocks.append(b)
            }
            stages.append(blocks)
        }
        self.stages = stages
        fc = config.classes > 0 ? Linear(inplanes, config.classes, rng: &rng) : nil
        super.init()
        addChild("conv1", conv1); addChild("bn1", bn1)
        for (s, blocks) in stages.enumerated() {
            let stage = Module()
            for (i, b) in blocks.enumerated() { stage.addChild(String(i), b) }
            addChild("layer\(s + 1)", stage)
        }
        if let fc { addChild("fc", fc) }
    }

    /// The classifier on pooled features; the features themselves without a head (`classes: 0`).
    func head(_ pooled: Tensor) -> Tensor { fc.map { $0(pooled) } ?? pooled }

    /// conv1, bn1 and ReLU, then the ImageNet stem's max-pool.
    func stem(_ x: Tensor) -> Tensor {
        let y = convBN(conv1, bn1, x, relu: true)
        return config.stem == .imagenet ? maxPool2d(y, kernel: 3, stride: 2, padding: 1) : y
    }

    /// Features after the stem and after each block, in order (for analyses).
    public func blockOutputs(_ x: Tensor) -> [Tensor] {
        var y = stem(x)
        var outs = [y]
        for blocks in stages { for b in blocks { y = b(y); outs.append(y) } }
        return outs
    }

    public override func forward(_ x: Tensor) -> Tensor {
        head(globalAvgPool(blockOutputs(x).last!))
    }

    /// One step per resolution: the stem and first stage, then each later stage; a downsampling
    /// block belongs to the step before it (it reads that step's wide maps), and the pooling and
    /// head to the last. Each step's size is the widest tensor its blocks read or make (input,
    /// first convolution's output, output), so the later, narrower stages run in larger
    /// micro-batches than the first.
    public override func inferenceSteps(height: Int, width: Int) -> [InferenceStep] {
        let f = MemoryLayout<Float>.size
        var h = height, w = width
        if config.stem == .imagenet { h = (h + 1) / 2; w = (w + 1) / 2 }
        var bytes = max(3 * height * width, config.stemWidth * h * w) * f
        if config.stem == .imagenet { h = (h + 1) / 2; w = (w + 1) / 2 }
        var units: [(Tensor) -> Tensor] = [{ self.stem($0) }]
        var steps: [InferenceStep] = []
        func close() {
            let chain = units
            steps.append(InferenceStep(bytesPerImage: bytes) { x in chain.reduce(x) { $1($0) } })
            units = []; bytes = 0
        }
        var channels = config.stemWidth
        for (s, blocks) in stages.enumerated() {
            let planes = config.channels[s], out = config.block == .basic ? planes : planes * 4
            for (i, block) in blocks.enumerated() {
                let down = i == 0 && s > 0
                let (ho, wo) = down ? ((h + 1) / 2, (w + 1) / 2) : (h, w)
                let inner = config.block == .bottleneck ? planes * h * w : planes * ho * wo
                bytes = max(bytes, max(channels * h * w, inner, out * ho * wo) * f)
                units.append { block($0) }
                channels = out; h = ho; w = wo
                if down { close() }
            }
        }
        units.append { self.head(globalAvgPool($0)) }
        close()
        return steps
    }

    /// The widest tensor any inference step reads or makes (the stem's output or a stage's, ×4
    /// channels for bottlenecks): one walk over the resolutions, `inferenceSteps`'.
    public override func activationBytesPerImage(height: Int, width: Int) -> Int {
        inferenceSteps(height: height, width: width).map(\.bytesPerImage).max() ?? 0
    }
}
