// `loom predict`: a model expression with safetensors weights on JPEG/PNG images or a tensor → top-k classes.
import ArgumentParser
import Experiments
import Foundation

struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Run a model with safetensors weights on images or a tensor and print the top-k classes.",
        discussion: """
            MODEL is a cell-language expression, e.g. '.resnet(depth: 18, width: 16, classes: 10)' or \
            '.vit(image: 32, patch: 4, dim: 192, depth: 6, heads: 3)', or a short name (\
            \(ModelExpression.shortNames.map(\.name).joined(separator: ", "))). Without classes:, the class \
            count comes from the weights' head. Weights use timm's state-dict names without a prefix. \
            Images are not resized.
            """)

    @Option(name: .long, help: ArgumentHelp("The model expression or short name.", valueName: "expr"))
    var model: String

    @Option(name: .long, help: ArgumentHelp("Weights as safetensors with timm's names.", valueName: "file.safetensors"))
    var weights: String

    @Option(name: .long, help: ArgumentHelp("An already-normalised float tensor named 'input', shape (N, 3, H, W), instead of images.",
                                            valueName: "file.safetensors"))
    var input: String?

    @Argument(help: ArgumentHelp("JPEG or PNG images, all one size (the model's size for a ViT).", valueName: "image.png"))
    var images: [String] = []

    @Option(name: .long, help: "How many classes to print per input.")
    var top = 5

    @Option(name: .long, help: ArgumentHelp("Also write the logits as a float tensor named 'logits' (N, classes).",
                                            valueName: "out.safetensors"))
    var logits: String?

    @Option(name: .long, help: "Normalisation of image pixels: imagenet, cifar10, cifar100, half (mean = std = 0.5) or none (pixels/255).")
    var normalize = "imagenet"

    func validate() throws {
        if input == nil && images.isEmpty { throw ValidationError("give --input X.safetensors or one or more JPEG/PNG images") }
        if input != nil && !images.isEmpty { throw ValidationError("give --input or images, not both") }
        if top < 1 { throw ValidationError("--top must be at least 1, got \(top)") }
        if !PredictTool.normalizationNames.contains(normalize) {
            throw ValidationError("unknown --normalize '\(normalize)'; valid: "
                                  + PredictTool.normalizationNames.joined(separator: ", "))
        }
    }

    func run() throws {
        try PredictTool(model: model, weights: weights, input: input, images: images, top: top, logits: logits,
                        normalize: normalize).run()
    }
}
