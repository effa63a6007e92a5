// Optimizers and schedules against PyTorch/timm fixtures (Tests/Fixtures/pytorch/optim).
import Engine
import Foundation
import Testing

@Suite struct OptimTests {
    static let kinds: [String: (OptimizerKind, Float)] = [
        "sgd_momentum": (.sgd(momentum: 0.9, weightDecay: 1e-4, nesterov: false), 0.1),
        "sgd_nesterov": (.sgd(momentum: 0.9, weightDecay: 5e-4, nesterov: true), 0.1),
        "adamw": (.adamw(beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.05), 0.01),
        "lion": (.lion(beta1: 0.9, beta2: 0.99, weightDecay: 0.1), 0.01),
    ]

    @Test(arguments: ["sgd_momentum", "sgd_nesterov", "adamw", "lion"])
    func threeSteps(name: String) throws {
        let f = try fixture("optim/\(name).safetensors")
        let p = param(try f.tensor("param.initial"))
        let (kind, lr) = Self.kinds[name]!
        let opt = Optimizer(kind, parameters: [("w", p)], learningRate: lr)
        for step in 1...3 {
            p.zeroGrad()
            p.grad = try f.tensor("grad.step\(step)")
            opt.step()
            expectClose(p, try f.tensor("param.step\(step)"), rtol: 1e-5, atol: 1e-6, "\(name) step \(step)")
        }
    }

    @Test func oneDimensionalExemptFromDecay() {
        let w = param(Tensor.ones([2, 2])), b = param(Tensor.ones([2]))
        let opt = Optimizer(.sgd(momentum: 0, weightDecay: 0.5), parameters: [("w", w), ("b", b)],
                            learningRate: 1, exemptOneDimensional: true)
        w.grad = Tensor.zeros([2, 2]); b.grad = Tensor.zeros([2])
        opt.step()
        #expect(w.scalars == [0.5, 0.5, 0.5, 0.5])
        #expect(b.scalars == [1, 1])
    }

    @Test func stateRoundTripContinuesIdentically() throws {
        var rng = RandomGenerator(seed: 5)
        let g = Tensor.randn([3, 4], rng: &rng)
        func run(split: Bool) throws -> [Float] {
            let p = param(Tensor.ones([3, 4]))
            var opt = Optimizer(.adamw(), parameters: [("p", p)], learningRate: 0.1)
            for i in 0..<4 {
                if split && i == 2 {
                    let saved = opt.stateDict()
                    opt = Optimizer(.adamw(), parameters: [("p", p)], learningRate: 0.1)
                    try opt.load(stateDict: saved)
                }
                p.grad = g
                opt.step()
            }
            return p.scalars
        }
        #expect(try run(split: true) == run(split: false))
    }

    @Test(arguments: ["cosine_warmup", "step_warmup"])
    func schedule(name: String) throws {
        let data = try Data(contentsOf: fixturesRoot.appendingPathComponent("optim/schedules.json"))
        let all = try JSONSerialization.jsonObject(with: data) as! [String: [String: Any]]
        let c = all[name]!
        let base = Float(c["base_lr"] as! Double), epochs = c["epochs"] as! Int
        let warm = c["warmup_epochs"] as! Int, warmLR = Float(c["warmup_lr"] as! Double)
        let shape: Schedule.Shape = name == "cosine_warmup"
            ? .cosine(minLR: Float(c["min_lr"] as! Double))
            : .step(decayEpochs: c["decay_epochs"] as! Int, decayRate: Float(c["decay_rate"] as! Double))
        let s = Schedule(shape, baseLR: base, epochs: epochs, warmupEpochs: warm, warmupLR: warmLR)
        let expected = (c["lr_at_epoch"] as! [Double]).map(Float.init)
        let got = (0..<epochs).map { s.learningRate(epoch: $0) }
        #expect(closeness(got, expected, rtol: 1e-6, atol: 1e-9) <= 1, "\(name): \(got) vs \(expected)")
    }

    @Test func multiStep() {
        let s = Schedule(.multiStep(milestones: [60, 120, 160], decayRate: 0.2), baseLR: 0.1, epochs: 200)
        #expect(abs(s.learningRate(epoch: 59) - 0.1) < 1e-7)
        #expect(abs(s.learningRate(epoch: 60) - 0.02) < 1e-7)
        #expect(abs(s.learningRate(epoch: 160) - 0.0008) < 1e-8)
    }
}
