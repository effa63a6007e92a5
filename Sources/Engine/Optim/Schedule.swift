// Learning-rate schedules evaluated per epoch exactly as timm's schedulers.
import Foundation

/// A learning-rate schedule over epochs t = 0, 1, … (timm steps once per epoch).
/// Warmup is linear from `warmupLR` over `warmupEpochs` and is not a prefix: the main
/// schedule's clock counts the warmup epochs (timm's default `warmup_prefix=False`).
public struct Schedule: Equatable, Sendable, Codable {
    public enum Shape: Equatable, Sendable, Codable {
        case constant
        /// lr = base·rate^⌊(t − warmupEpochs)/epochs⌋
        case step(decayEpochs: Int, decayRate: Float)
        /// lr = base·rate^(number of milestones ≤ t)
        case multiStep(milestones: [Int], decayRate: Float)
        /// lr = min + ½(base − min)(1 + cos(π·t/T)), T = total epochs
        case cosine(minLR: Float)
    }

    public var shape: Shape
    public var baseLR: Float
    public var epochs: Int
    public var warmupEpochs: Int
    public var warmupLR: Float

    public init(_ shape: Shape, baseLR: Float, epochs: Int, warmupEpochs: Int = 0, warmupLR: Float = 1e-5) {
        self.shape = shape; self.baseLR = baseLR; self.epochs = epochs
        self.warmupEpochs = warmupEpochs; self.warmupLR = warmupLR
    }

    /// The learning rate for epoch `t` (0-based).
    public func learningRate(epoch t: Int) -> Float {
        if t < warmupEpochs {
            return Float(Double(warmupLR) + Double(t) * (Double(baseLR) - Double(warmupLR)) / Double(warmupEpochs))
        }
        let base = Double(baseLR)
        switch shape {
        case .constant:
            return baseLR
        case let .step(decayEpochs, rate):
            // timm 1.0's step schedule (as the PyTorch/timm fixture shows) counts decay
            // epochs from the end of warmup: decays at W + k·decayEpochs.
            return Float(base * pow(Double(rate), Double((t - warmupEpochs) / max(decayEpochs, 1))))
        case let .multiStep(milestones, rate):
            return Float(base * pow(Double(rate), Double(milestones.filter { $0 <= t }.count)))
        case let .cosine(minLR):
            let m = Double(minLR)
            if t >= epochs { return minLR }
            return Float(m + 0.5 * (base - m) * (1 + cos(Double.pi * Double(t) / Double(epochs))))
        }
    }
}
