// The whole loop: a small CNN learns a toy separable image problem.
import Engine
import Testing

/// Two classes of 8×8 single-channel images: a bright blob in the left half vs the right half,
/// on noise; positions random.
func toyImages(_ n: Int, seed: UInt64) -> (Tensor, [Int]) {
    var rng = RandomGenerator(seed: seed)
    let x = Tensor.randn([n, 1, 8, 8], std: 0.3, rng: &rng)
    var labels: [Int] = []
    for i in 0..<n {
        let label = rng.below(2)
        labels.append(label)
        let cx = label == 0 ? rng.below(3) : 5 + rng.below(2), cy = rng.below(7)
        for dy in 0..<2 { for dx in 0..<2 where cx + dx < 8 && cy + dy < 8 {
            x.ptr[i * 64 + (cy + dy) * 8 + cx + dx] += 2
        } }
    }
    return (x, labels)
}

final class TinyCNN: Module {
    let conv: Conv2d, bn: BatchNorm2d, fc: Linear
    init(rng: inout RandomGenerator) {
        conv = Conv2d(1, 8, kernel: 3, padding: 1, rng: &rng)
        bn = BatchNorm2d(8)
        fc = Linear(8 * 4 * 4, 2, rng: &rng)
        super.init()
        addChild("conv", conv); addChild("bn", bn); addChild("fc", fc)
    }
    func callAsFunction(_ x: Tensor) -> Tensor {
        fc(maxPool2d(relu(bn(conv(x))), kernel: 2, stride: 2).flattened())
    }
}

@Suite struct LearningTests {
    @Test func smallCNNLearnsToyProblem() {
        var rng = RandomGenerator(seed: 42)
        let model = TinyCNN(rng: &rng)
        let (train, trainLabels) = toyImages(256, seed: 1)
        let (test, testLabels) = toyImages(200, seed: 2)
        let opt = Optimizer(.sgd(momentum: 0.9, weightDecay: 5e-4, nesterov: true),
                            parameters: model.namedParameters(), learningRate: 0.05)
        for _ in 0..<6 {
            for b in stride(from: 0, to: 256, by: 32) {
                let xb = train.sliced(axis: 0, b..<(b + 32))
                let loss = crossEntropy(model(xb), labels: Array(trainLabels[b..<(b + 32)]))
                opt.zeroGrad()
                loss.backward()
                opt.step()
            }
        }
        model.eval()
        let pred = Autograd.noGrad { model(test) }.argmax(axis: 1)
        let acc = Float(zip(pred, testLabels).filter { $0 == $1 }.count) / Float(testLabels.count)
        #expect(acc > 0.95, "test accuracy \(acc)")
    }

    @Test func stateDictNamesAndLoad() throws {
        var rng = RandomGenerator(seed: 1)
        let a = TinyCNN(rng: &rng), b = TinyCNN(rng: &rng)
        #expect(a.stateDict().keys.sorted() == ["bn.bias", "bn.running_mean", "bn.running_var", "bn.weight",
                                                 "conv.weight", "fc.bias", "fc.weight"])
        #expect(a.parameterCount == 8 * 9 + 16 + 128 * 2 + 2)
        try b.load(stateDict: a.stateDict())
        #expect(b.conv.weight.scalars == a.conv.weight.scalars)
        #expect(throws: StateDictError.self) { try b.load(stateDict: ["conv.weight": Tensor.zeros([1])]) }
    }
}
