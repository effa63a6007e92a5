// Model building blocks with timm's names: conv+BN, SE (SEModule), CBAM (CbamModule).
import Engine

/// A container whose children are named "0", "1", … (as `nn.Sequential`), used for timm's
/// `downsample.0` (conv) / `downsample.1` (BN).
public final class ConvBN: Module {
    public let conv: Conv2d, bn: BatchNorm2d
    public init(_ cin: Int, _ cout: Int, kernel: Int, stride: Int, rng: inout RandomGenerator) {
        conv = Conv2d(cin, cout, kernel: kernel, stride: stride, padding: (stride - 1 + kernel - 1) / 2, rng: &rng)
        bn = BatchNorm2d(cout)
        super.init()
        addChild("0", conv); addChild("1", bn)
    }
    public func callAsFunction(_ x: Tensor) -> Tensor { convBN(conv, bn, x) }
}

/// timm's `make_divisible`: round to a multiple of `divisor`, not below 90 % of `v`.
public func makeDivisible(_ v: Double, divisor: Int = 8, roundLimit: Double = 0.9) -> Int {
    var n = max(divisor, Int(v + Double(divisor) / 2) / divisor * divisor)
    if Double(n) < roundLimit * v { n += divisor }
    return n
}

/// Squeeze-and-excitation (Hu et al.; timm `SEModule`): x·σ(fc2(ReLU(fc1(mean_hw x)))),
/// 1×1 convs with bias, reduced width make_divisible(C/16, 8).
public final class SEModule: Module {
    public let fc1: Conv2d, fc2: Conv2d
    public init(_ channels: Int, rng: inout RandomGenerator) {
        let rd = makeDivisible(Double(channels) / 16, divisor: 8)
        fc1 = Conv2d(channels, rd, kernel: 1, bias: true, rng: &rng)
        fc2 = Conv2d(rd, channels, kernel: 1, bias: true, rng: &rng)
        super.init()
        addChild("fc1", fc1); addChild("fc2", fc2)
    }
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let s = globalAvgPool(x).reshaped([x.dim(0), x.dim(1), 1, 1])
        return x * sigmoid(fc2(relu(fc1(s))))
    }
}

/// CBAM (Woo et al. 2018; timm `CbamModule`): channel gate from avg- and max-pooled vectors
/// through a shared MLP (summed, then σ), then a spatial gate from [mean, max] over channels
/// through a 7×7 conv + BN, then σ.
public final class CBAMModule: Module {
    final class ChannelGate: Module {
        let fc1: Conv2d, fc2: Conv2d
        init(_ c: Int, rng: inout RandomGenerator) {
            let rd = max(1, Int(Double(c) / 16 + 0.5))
            fc1 = Conv2d(c, rd, kernel: 1, rng: &rng)
            fc2 = Conv2d(rd, c, kernel: 1, rng: &rng)
            super.init()
            addChild("fc1", fc1); addChild("fc2", fc2)
        }
        func callAsFunction(_ x: Tensor) -> Tensor {
            let n = x.dim(0), c = x.dim(1)
            let avg = globalAvgPool(x).reshaped([n, c, 1, 1]), mx = globalMaxPool(x).reshaped([n, c, 1, 1])
            return x * sigmoid(fc2(relu(fc1(avg))) + fc2(relu(fc1(mx))))
        }
    }
    final class SpatialGate: Module {
        let conv: ConvNorm
        init(rng: inout RandomGenerator) {
            conv = ConvNorm(2, 1, kernel: 7, rng: &rng)
            super.init()
            addChild("conv", conv)
        }
        func callAsFunction(_ x: Tensor) -> Tensor {
            let n = x.dim(0), h = x.dim(2), w = x.dim(3)
            let mean = x.mean(axes: [1], keepDims: true)
            let mx = x.reshaped([n, x.dim(1), h * w]).max(axis: 1).reshaped([n, 1, h, w])
            return x * sigmoid(conv(concat([mean, mx], axis: 1)))
        }
    }
    /// timm's `ConvNormAct` without activation: children `conv` and `bn`.
    final class ConvNorm: Module {
        let conv: Conv2d, bn: BatchNorm2d
        init(_ cin: Int, _ cout: Int, kernel: Int, rng: inout RandomGenerator) {
            conv = Conv2d(cin, cout, kernel: kernel, padding: kernel / 2, rng: &rng)
            bn = BatchNorm2d(cout)
            super.init()
            addChild("conv", conv); addChild("bn", bn)
        }
        func callAsFunction(_ x: Tensor) -> Tensor { bn(conv(x)) }
    }

    let channel: ChannelGate, spatial: SpatialGate
    public init(_ channels: Int, rng: inout RandomGenerator) {
        channel = ChannelGate(channels, rng: &rng)
        spatial = SpatialGate(rng: &rng)
        super.init()
        addChild("channel", channel); addChild("spatial", spatial)
    }
    public func callAsFunction(_ x: Tensor) -> Tensor { spatial(channel(x)) }
}
