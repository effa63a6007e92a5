// Checkpoints found by fuzzing the checkpoint reader (Fuzz/, target `checkpoint`): each must be refused with a
// located error instead of crashing the process. Inputs live in Tests/Fixtures/fuzz/.
import Engine
import Foundation
import Testing
import Vision

@Suite struct CheckpointFuzzTests {
    /// The fuzz target's model: `fc` = Linear(3, 2) and `bn` = BatchNorm2d(2), with AdamW.
    func model() -> (Module, Optimizer) {
        var rng = RandomGenerator(seed: 7)
        let model = Module()
        model.addChild("fc", Linear(3, 2, rng: &rng))
        model.addChild("bn", BatchNorm2d(2))
        return (model, Optimizer(.adamw(), parameters: model.namedParameters(), learningRate: 0.01))
    }

    func fixture(_ name: String, filePath: String = #filePath) -> String {
        URL(fileURLWithPath: filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/fuzz/\(name)").path
    }

    /// A well-formed checkpoint (valid checksum and fingerprint) whose `optim.__steps__` is NaN used to trap in
    /// `Int(Float)` inside Optimizer.load.
    @Test func nanStepCountIsRefused() {
        let path = fixture("checkpoint-nan-steps.safetensors")
        let (model, optimizer) = model()
        #expect {
            _ = try Checkpoint.load(path: path, model: model, optimizer: optimizer, fingerprint: "fuzz-fingerprint")
        } throws: { error in
            let text = "\(error)"
            return error is CheckpointError && text.contains(path) && text.contains("__steps__") && text.contains("nan")
        }
    }
}
