// Optimizer state from a file: step counts that cannot convert to Int are refused, not trapped on (found by fuzzing).
import Engine
import Testing

@Suite struct StateDictValueTests {
    func optimizer() -> Optimizer {
        Optimizer(.adamw(), parameters: [("w", Tensor(shape: [2], data: [1, 2]))], learningRate: 0.1)
    }

    @Test(arguments: [Float.nan, .infinity, -.infinity, -1, 0.5, 1e30])
    func refusesAStepCountThatIsNotAWholeNumberInRange(steps: Float) {
        let opt = optimizer()
        #expect {
            try opt.load(stateDict: ["__steps__": Tensor(scalar: steps)])
        } throws: { error in
            guard case .badValue(name: "__steps__", _, _)? = error as? StateDictError else { return false }
            return "\(error)".contains("__steps__") && "\(error)".contains("whole number")
        }
        #expect(opt.steps == 0, "a refused state dict leaves the step count alone")
    }

    @Test func refusesAStepCountWithMoreThanOneElement() {
        let opt = optimizer()
        #expect(throws: StateDictError.badValue(name: "__steps__", found: "shape [2]",
                                                expected: "one whole number of optimizer steps in 0...1099511627776")) {
            try opt.load(stateDict: ["__steps__": Tensor(shape: [2], data: [1, 2])])
        }
    }

    @Test func restoresAValidStepCount() throws {
        let opt = optimizer()
        try opt.load(stateDict: ["__steps__": Tensor(scalar: 42)])
        #expect(opt.steps == 42)
    }
}
