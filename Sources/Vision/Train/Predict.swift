// Predict: a model with safetensors weights (timm names) on a batch of inputs → logits and top-k.
import Engine
import Foundation

/// An input or weights file that does not fit the model, with the file and both sizes.
public struct PredictError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public var description: String { message }
}

/// The top classes of one input.
public struct Prediction: Equatable, Sendable {
    /// The PNG path, or `input[i]` for row i of an input tensor.
    public let source: String
    /// (class index, softmax probability), most probable first.
    public let top: [Class]

    public struct Class: Equatable, Sendable {
        public let index: Int
        public let probability: Double
    }
}

/// Loading a model's weights and running it in evaluation mode on images or a tensor.
public enum Predictor {
    /// The class count of the head (`fc.weight` or `head.weight`) in a weights file, nil when it has none.
    public static func headClasses(_ file: SafeTensors) -> Int? {
        (file["fc.weight"] ?? file["head.weight"])?.shape.first
    }

    /// Loads `file` (read from `path`) into `model` (strict: every name, no extras) and puts it in evaluation mode.
    /// `expression` names the model in the error when the tensors do not fit.
    public static func load(_ file: SafeTensors, from path: String, into model: Classifier, expression: String) throws {
        var state: [String: Tensor] = [:]
        for (name, entry) in file.entries { state[name] = entry.tensor }
        do {
            try model.load(stateDict: state)
        } catch let error as StateDictError {
            throw PredictError(message: "\(path): \(error)\n  model: \(expression)")
        }
        model.eval()
    }

    /// Reads the float tensor named `input` (N, 3, H, W), already normalised, and checks it has the side `imageSize`
    /// a model requires (a ViT's; nil when any size works).
    public static func readInputTensor(_ path: String, imageSize: Int?) throws -> Tensor {
        let file = try SafeTensors.read(path)
        guard let entry = file["input"] else {
            throw PredictError(message: "\(path): no tensor named 'input' (the file has: "
                               + (file.names.isEmpty ? "nothing" : file.names.joined(separator: ", ")) + ")")
        }
        let s = entry.shape
        guard s.count == 4, s[1] == 3, s[0] >= 1, s[2] >= 1, s[3] >= 1 else {
            throw PredictError(message: "\(path): 'input' has shape \(s); expected (N, 3, H, W) with N ≥ 1")
        }
        if let side = imageSize, s[2] != side || s[3] != side {
            throw PredictError(message: "\(path): 'input' is \(s[2])×\(s[3]) but the model takes \(side)×\(side) images")
        }
        return entry.tensor
    }

    /// Reads JPEG or PNG files (by content) into one normalised (N, 3, H, W) batch. Images are not resized: they must share
    /// one size, and `imageSize` when the model requires one (a ViT's `image`).
    public static func readImages(_ paths: [String], normalization: Normalization, imageSize: Int?) throws -> Tensor {
        guard !paths.isEmpty else { throw PredictError(message: "no input images") }
        let images = try paths.map { try ImageFile.read(path: $0) }
        let (w, h) = (images[0].width, images[0].height)
        if let side = imageSize {
            let wrong = zip(paths, images).filter { $1.width != side || $1.height != side }
            if !wrong.isEmpty {
                throw PredictError(message: "the model takes \(side)×\(side) images; "
                                   + wrong.map { "\($0) is \($1.width)×\($1.height)" }.joined(separator: ", ")
                                   + " (resize them first; loom predict does not resize)")
            }
        } else if images.contains(where: { $0.width != w || $0.height != h }) {
            throw PredictError(message: "images differ in size ("
                               + zip(paths, images).map { "\($0) \($1.width)×\($1.height)" }.joined(separator: ", ")
                               + "); one batch needs one size (loom predict does not resize)")
        }
        let batch = Tensor(uninitialized: [images.count, 3, h, w])
        let per = 3 * h * w
        for (i, image) in images.enumerated() {
            image.writePlanar(into: UnsafeMutableBufferPointer(start: batch.ptr + i * per, count: per), normalization: normalization)
        }
        return batch
    }

    /// Logits (N, classes) of `model` in evaluation mode, without recording gradients.
    public static func logits(_ model: Classifier, _ input: Tensor) -> Tensor {
        model.eval()
        return Autograd.noGrad { model(input) }
    }

    /// The `k` most probable classes of each row of `logits` (N, classes), by softmax in Double.
    public static func top(_ k: Int, of logits: Tensor, sources: [String]) -> [Prediction] {
        let n = logits.dim(0), classes = logits.dim(1)
        let values = logits.scalars
        return (0..<n).map { i in
            let row = values[(i * classes)..<((i + 1) * classes)].map(Double.init)
            let m = row.max() ?? 0
            let e = row.map { Foundation.exp($0 - m) }
            let sum = e.reduce(0, +)
            let order = e.indices.sorted { e[$0] != e[$1] ? e[$0] > e[$1] : $0 < $1 }
            return Prediction(source: i < sources.count ? sources[i] : "input[\(i)]",
                              top: order.prefix(max(0, k)).map { Prediction.Class(index: $0, probability: e[$0] / sum) })
        }
    }
}
