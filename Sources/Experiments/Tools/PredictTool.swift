// Predict tool: `loom predict`'s work — a model expression with safetensors weights on images or a tensor → top-k lines.
import Engine
import Foundation
import Vision

extension Predictor {
    /// Builds the model `expression` names (see ``ModelExpression``) and loads `weights` into it (strict: every name,
    /// no extras). When the expression omits `classes`, the class count is read from the head (`fc.weight` or
    /// `head.weight`) in the file.
    public static func loadModel(_ expression: String, weights path: String) throws -> (ModelSpec, Classifier) {
        let file = try SafeTensors.read(path)
        let spec = try ModelExpression.parse(expression, defaultClasses: headClasses(file) ?? 100)
        let model = spec.build(seed: 0)
        try load(file, from: path, into: model, expression: spec.expression)
        return (spec, model)
    }
}

/// One `loom predict` invocation: which model, weights and inputs, and what to print and write.
public struct PredictTool {
    public var model: String
    public var weights: String
    /// An already-normalised tensor file instead of images.
    public var input: String?
    public var images: [String]
    public var top: Int
    /// Where to also write the logits, if anywhere.
    public var logits: String?
    /// One of ``normalizationNames``.
    public var normalize: String

    /// The `--normalize` names and the normalisations they stand for (`half`: weights trained with `normalize: .half`).
    static let normalizations: [(String, Normalization)] = [("imagenet", .imagenet), ("cifar10", .cifar10),
                                                            ("cifar100", .cifar100), ("half", NormalizeSpec.half.normalization),
                                                            ("none", .unit)]

    /// The valid `normalize` names, in the order help and errors list them.
    public static let normalizationNames = normalizations.map(\.0)

    public init(model: String, weights: String, input: String?, images: [String], top: Int, logits: String?,
                normalize: String) {
        self.model = model; self.weights = weights; self.input = input; self.images = images
        self.top = top; self.logits = logits; self.normalize = normalize
    }

    /// Runs the model on the inputs and prints a header and one line of `class:probability` per input.
    public func run() throws {
        let (spec, model) = try Predictor.loadModel(self.model, weights: weights)
        let batch: Tensor, sources: [String]
        if let input {
            batch = try Predictor.readInputTensor(input, imageSize: spec.requiredImageSize)
            sources = (0..<batch.dim(0)).map { "\(input)[\($0)]" }
        } else {
            let n = Self.normalizations.first { $0.0 == normalize }!.1
            batch = try Predictor.readImages(images, normalization: n, imageSize: spec.requiredImageSize)
            sources = images
        }
        let out = Predictor.logits(model, batch)
        print("# \(spec.expression)")
        print("# \(batch.dim(0)) input\(batch.dim(0) == 1 ? "" : "s") \(batch.dim(2))×\(batch.dim(3))"
              + (input == nil ? ", normalisation \(normalize)" : ", pre-normalised tensor")
              + "; per input: class:probability, most probable first")
        for p in Predictor.top(min(top, spec.classes), of: out, sources: sources) {
            print(p.source + "  " + p.top.map { "\($0.index):\(String(format: "%.4f", $0.probability))" }.joined(separator: "  "))
        }
        if let logits {
            try SafeTensors.write(["logits": out.copy()], metadata: ["model": spec.expression], to: logits)
        }
    }
}
