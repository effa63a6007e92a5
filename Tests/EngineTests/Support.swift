// Test support: fixture loading and tolerance comparisons.
import Engine
import Foundation
import Testing

/// The repository's `Tests/Fixtures` folder, found relative to this file.
let fixturesRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Fixtures/pytorch")

func fixture(_ relative: String) throws -> SafeTensors {
    try SafeTensors.read(fixturesRoot.appendingPathComponent(relative).path)
}

/// Largest |a−b| / (atol + rtol·|b|) over elements; ≤ 1 means close.
func closeness(_ a: [Float], _ b: [Float], rtol: Float, atol: Float) -> Float {
    precondition(a.count == b.count, "compare \(a.count) vs \(b.count) elements")
    var worst: Float = 0
    for (x, y) in zip(a, b) {
        if !x.isFinite { return .infinity }
        worst = max(worst, abs(x - y) / (atol + rtol * abs(y)))
    }
    return worst
}

/// Expects `actual` to match `expected` elementwise within tolerances (and in shape).
func expectClose(_ actual: Tensor?, _ expected: Tensor, rtol: Float = 1e-4, atol: Float = 1e-5,
                 _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
    guard let actual else {
        Issue.record("\(what): missing", sourceLocation: sourceLocation)
        return
    }
    #expect(actual.count == expected.count, "\(what): shape \(actual.shape) vs \(expected.shape)", sourceLocation: sourceLocation)
    guard actual.count == expected.count else { return }
    let c = closeness(actual.scalars, expected.scalars, rtol: rtol, atol: atol)
    #expect(c <= 1, "\(what): off by \(c)× tolerance (rtol \(rtol), atol \(atol))", sourceLocation: sourceLocation)
}

/// A parameter-like tensor that collects gradients.
func param(_ t: Tensor) -> Tensor {
    let p = t.copy()
    p.requiresGrad = true
    return p
}

/// Backward of sum(out * gradOut), as the fixtures define gradients.
func backwardWith(_ out: Tensor, _ gradOut: Tensor) {
    out.backward(gradOut.reshaped(out.shape).detached())
}
