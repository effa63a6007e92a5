// `loom weights import`: a checkpoint on disk (.pth, .pth.tar, .bin, .pt, .safetensors) to safetensors under timm's names.
import ArgumentParser
import Experiments
import Foundation

struct WeightsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "weights",
        abstract: "Bring pretrained weights into Loom.",
        subcommands: [WeightsImportCommand.self])
}

struct WeightsImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Convert a checkpoint to safetensors under timm's names for a model, and check it against torch.",
        discussion: """
            FILE is a .pth, .pth.tar, .bin or .pt checkpoint (read with torch.load(weights_only=True), so no pickled \
            code runs) or a .safetensors file: a bare state dict or one under 'state_dict' or 'model'; 'module.' \
            prefixes are stripped. The names and shapes are checked against MODEL before anything is written; then \
            Loom loads the result and compares its logits with torch's on random inputs. Needs the torch backend's \
            Python (torch, timm, safetensors): --python or $LOOM_TORCH_PYTHON.
            """)

    @Argument(help: ArgumentHelp("The checkpoint.", valueName: "file"))
    var file: String

    @Option(name: .long, help: ArgumentHelp("The model expression or short name, e.g. '.resnet(depth: 50, stem: .imagenet)'.",
                                            valueName: "expr"))
    var model: String

    @Option(name: .long, help: ArgumentHelp("Where to write the safetensors (default output/weights/<file>.safetensors).",
                                            valueName: "path"))
    var out: String?

    @Option(name: .long, help: "The Python with torch, timm and safetensors (default: $LOOM_TORCH_PYTHON, else python3).")
    var python: String?

    func run() throws {
        for line in try WeightsImport(file: file, model: model, out: out, python: python).run() { print(line) }
    }
}
