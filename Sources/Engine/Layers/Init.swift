// Initialisers as PyTorch/timm use them: kaiming normal (fan-out), trunc normal, uniform.
import Foundation

public enum Init {
    /// Kaiming normal with fan_out and ReLU gain: std = √(2 / (out·kh·kw)) (timm ResNet convs).
    public static func kaimingNormalFanOut(_ shape: [Int], rng: inout RandomGenerator) -> Tensor {
        let fanOut = shape[0] * shape.dropFirst(2).reduce(1, *)
        return Tensor.randn(shape, std: (2 / Float(fanOut)).squareRoot(), rng: &rng)
    }

    /// Normal(0, std) truncated to [−2, 2] absolute (timm's `trunc_normal_(std=.02)`),
    /// by rejection.
    public static func truncNormal(_ shape: [Int], std: Float = 0.02, a: Float = -2, b: Float = 2, rng: inout RandomGenerator) -> Tensor {
        let t = Tensor(uninitialized: shape)
        for i in 0..<t.count {
            var v: Float
            repeat { v = std * rng.normal() } while v < a || v > b
            t.ptr[i] = v
        }
        return t
    }

    /// PyTorch's default Linear/Conv init: U(−1/√fan_in, 1/√fan_in) (kaiming uniform a=√5).
    public static func pytorchDefault(_ shape: [Int], fanIn: Int, rng: inout RandomGenerator) -> Tensor {
        let bound = 1 / Float(fanIn).squareRoot()
        return Tensor.uniform(shape, low: -bound, high: bound, rng: &rng)
    }
}
