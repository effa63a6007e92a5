// Basic layers: Linear, Conv2d, BatchNorm2d, LayerNorm, Attention.
import Foundation

/// y = x·Wᵀ + b; weight (out, in) as PyTorch.
public final class Linear: Module {
    public let weight: Tensor
    public let bias: Tensor?

    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, rng: inout RandomGenerator) {
        weight = Init.pytorchDefault([outFeatures, inFeatures], fanIn: inFeatures, rng: &rng)
        self.bias = bias ? Init.pytorchDefault([outFeatures], fanIn: inFeatures, rng: &rng) : nil
        super.init()
        addParameter("weight", weight)
        if let b = self.bias { addParameter("bias", b) }
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { linear(x, weight: weight, bias: bias) }
}

/// 2-D convolution; weight (out, in, k, k), Kaiming-normal fan-out init (timm).
public final class Conv2d: Module {
    public let weight: Tensor
    public let bias: Tensor?
    public let stride: Int
    public let padding: Int

    public init(_ inChannels: Int, _ outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0,
                bias: Bool = false, rng: inout RandomGenerator) {
        weight = Init.kaimingNormalFanOut([outChannels, inChannels, kernel, kernel], rng: &rng)
        self.bias = bias ? Tensor.zeros([outChannels]) : nil
        self.stride = stride
        self.padding = padding
        super.init()
        addParameter("weight", weight)
        if let b = self.bias { addParameter("bias", b) }
    }

    public var inChannels: Int { weight.dim(1) }
    public var outChannels: Int { weight.dim(0) }
    public var kernel: Int { weight.dim(2) }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        conv2d(x, weight: weight, bias: bias, stride: (stride, stride), padding: Padding(padding))
    }

    /// Multiply-accumulates for one image with output size oh×ow.
    public func macs(outH: Int, outW: Int) -> Int { outChannels * inChannels * kernel * kernel * outH * outW }
}

/// Batch normalisation with PyTorch's running statistics (momentum 0.1, eps 1e-5).
public final class BatchNorm2d: Module {
    public let weight, bias, runningMean, runningVar: Tensor
    public let momentum: Float, eps: Float

    public init(_ channels: Int, momentum: Float = 0.1, eps: Float = 1e-5) {
        weight = Tensor.ones([channels]); bias = Tensor.zeros([channels])
        runningMean = Tensor.zeros([channels]); runningVar = Tensor.ones([channels])
        self.momentum = momentum; self.eps = eps
        super.init()
        addParameter("weight", weight); addParameter("bias", bias)
        addBuffer("running_mean", runningMean); addBuffer("running_var", runningVar)
    }

    /// Normalises x; with `relu`, ReLU is applied in the same pass (`batchNorm2d(relu:)`);
    /// with `residual`, relu(bn(x) + residual) in one pass.
    public func callAsFunction(_ x: Tensor, relu: Bool = false, residual: Tensor? = nil) -> Tensor {
        batchNorm2d(x, weight: weight, bias: bias, runningMean: runningMean, runningVar: runningVar,
                    training: training, momentum: momentum, eps: eps, relu: relu || residual != nil, residual: residual)
    }
}

/// bn(conv(x)), optionally followed by ReLU. In evaluation mode with no gradient recorded the
/// batch norm is folded into the convolution (weight·γ/σ, bias β − μ·γ/σ) and the ReLU into its
/// output pass, so the block is one GEMM pass with no normalisation pass or extra tensor;
/// otherwise it is `bn(conv(x), relu:)` (BN and ReLU fused there).
public func convBN(_ conv: Conv2d, _ bn: BatchNorm2d, _ x: Tensor, relu: Bool = false) -> Tensor {
    guard !bn.training && !Autograd.isRecording else { return bn(conv(x), relu: relu) }
    let o = conv.outChannels, k = conv.weight.count / o
    let w = Tensor(uninitialized: conv.weight.shape), b = Tensor(uninitialized: [o])
    let eps = bn.eps
    let wp = SendPtr(w.ptr), bp = SendPtr(b.ptr), cw = SendPtr(conv.weight.ptr), cb = conv.bias.map { SendPtr($0.ptr) }
    let gamma = SendPtr(bn.weight.ptr), beta = SendPtr(bn.bias.ptr), rm = SendPtr(bn.runningMean.ptr), rv = SendPtr(bn.runningVar.ptr)
    parallelFor(o, costPerItem: k) { lo, hi in
        for oc in lo..<hi {
            let scale = gamma[oc] / (rv[oc] + eps).squareRoot()
            let src = cw.p + oc * k, dst = wp.p + oc * k
            for j in 0..<k { dst[j] = src[j] * scale }
            bp[oc] = beta[oc] + ((cb?[oc] ?? 0) - rm[oc]) * scale
        }
    }
    return conv2d(x, weight: w, bias: b, stride: (conv.stride, conv.stride), padding: Padding(conv.padding), relu: relu)
}

/// Layer normalisation over the last dimension (timm ViT uses eps 1e-6).
public final class LayerNorm: Module {
    public let weight, bias: Tensor
    public let eps: Float

    public init(_ dim: Int, eps: Float = 1e-6) {
        weight = Tensor.ones([dim]); bias = Tensor.zeros([dim]); self.eps = eps
        super.init()
        addParameter("weight", weight); addParameter("bias", bias)
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { layerNorm(x, weight: weight, bias: bias, eps: eps) }
}

/// Multi-head self-attention with timm's parameter names (`qkv`, `proj`).
public final class Attention: Module {
    public let qkv: Linear, proj: Linear
    public let heads: Int

    public init(dim: Int, heads: Int, qkvBias: Bool = true, rng: inout RandomGenerator) {
        self.heads = heads
        qkv = Linear(dim, dim * 3, bias: qkvBias, rng: &rng)
        proj = Linear(dim, dim, rng: &rng)
        super.init()
        addChild("qkv", qkv); addChild("proj", proj)
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        multiHeadSelfAttention(x, heads: heads, qkvWeight: qkv.weight, qkvBias: qkv.bias,
                               projWeight: proj.weight, projBias: proj.bias)
    }
}
