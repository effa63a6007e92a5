// Weights import: `loom weights import`'s work — a checkpoint on disk to safetensors under timm's names, checked twice.
import Engine
import Foundation
import Vision

/// One `loom weights import`: a `.pth`, `.pth.tar`, `.bin`, `.pt` or `.safetensors` checkpoint for the model a
/// model expression names, converted by the torch backend's Python (`python/loom_weights.py`, which reads pickles
/// only with `torch.load(weights_only=True)`), then loaded by Loom and checked against torch's logits.
public struct WeightsImport {
    public var file: String
    public var model: String
    /// Where to write the safetensors; default `output/weights/<file name>.safetensors`.
    public var out: String?
    /// The Python with torch, timm and safetensors; default `$LOOM_TORCH_PYTHON`, else `python3`.
    public var python: String?
    public var environment: [String: String]
    /// Largest |Loom − torch| logit difference accepted, relative to max(1, max |logit|) (as the torch backend's).
    public var parityTolerance: Double = TorchExecution().parityTolerance

    public init(file: String, model: String, out: String? = nil, python: String? = nil,
                environment: [String: String] = BLASCore.childEnvironment()) {
        self.file = file; self.model = model; self.out = out; self.python = python; self.environment = environment
    }

    /// Where the safetensors go.
    public var outputPath: String {
        if let out { return out }
        var name = URL(fileURLWithPath: file).lastPathComponent
        for ext in [".safetensors", ".pth.tar", ".pth", ".bin", ".pt"] where name.hasSuffix(ext) {
            name = String(name.dropLast(ext.count)); break
        }
        return "output/weights/\(name).safetensors"
    }

    /// Converts, loads and checks; returns the lines to print. Nothing is left at ``outputPath`` unless every check
    /// passed.
    public func run() throws -> [String] {
        guard FileManager.default.isReadableFile(atPath: file) else {
            throw ToolError("\(file): no such readable file (give a .pth, .pth.tar, .bin, .pt or .safetensors checkpoint)")
        }
        let (spec, classesWritten) = try parseModel()
        let probe = FileManager.default.temporaryDirectory.appendingPathComponent("loom-probe-\(UUID().uuidString).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: probe) }
        var result = try convert(spec, probe: probe)
        var used = spec
        if case .mismatch(let m) = result, !classesWritten, let head = m.headClasses, head != spec.classes {
            used = try ModelExpression.parse(model, defaultClasses: head)  // the head decides, as `loom predict` does
            result = try convert(used, probe: probe)
        }
        switch result {
        case .mismatch(let m): throw ToolError(m.message(file: file, model: used.expression, classesWritten: classesWritten))
        case .converted(let tensors, let parameters, let skipped):
            let parity = try check(used, probe: probe)
            var lines = ["imported \(tensors) tensors (\(parameters) parameters) from \(file)",
                         "  model    \(used.expression)",
                         "  wrote    \(outputPath)",
                         "  parity   Loom's logits match torch's on 4 random \(parity.size)×\(parity.size) inputs: "
                             + "max |Δ| \(String(format: "%.2e", parity.difference)) (tolerance "
                             + "\(String(format: "%.0e", parityTolerance)) × max(1, max |logit| \(String(format: "%.3g", parity.scale))))"]
            if !skipped.isEmpty { lines.append("  skipped  non-tensor entries: " + skipped.prefix(8).joined(separator: ", ")) }
            return lines
        }
    }

    /// The model spec, and whether the expression wrote `classes:` itself (parsed with two defaults to tell).
    func parseModel() throws -> (ModelSpec, Bool) {
        let spec = try ModelExpression.parse(model, defaultClasses: 1000)
        let other = try ModelExpression.parse(model, defaultClasses: 1001)
        return (spec, spec.classes == other.classes)
    }

    /// The probe's input side: a ViT's own size; a ResNet's 224 with the ImageNet stem, 32 with the CIFAR stem.
    static func probeSize(_ spec: ModelSpec) -> Int {
        if let size = spec.requiredImageSize { return size }
        if case let .resnet(c) = spec, c.stem == .cifar { return 32 }
        return 224
    }

    /// Loads the written file into Loom's model and compares its logits with torch's on the probe.
    func check(_ spec: ModelSpec, probe: String) throws -> (difference: Double, scale: Double, size: Int) {
        let path = outputPath
        do {
            let model = spec.build(seed: 0)
            try Predictor.load(try SafeTensors.read(path), from: path, into: model, expression: spec.expression)
            let parity = try probeParity(model: model, probe: probe)
            guard parity.difference <= parityTolerance * max(1, parity.scale) else {
                throw ToolError("Loom's logits differ from torch's by \(parity.difference) on random inputs (largest "
                                + "|logit| \(parity.scale)): the weights do not mean the same in both engines for "
                                + "\(spec.expression); nothing was kept")
            }
            return (parity.difference, parity.scale, parity.height)
        } catch {
            try? FileManager.default.removeItem(atPath: path)
            throw error
        }
    }
}

/// What `python/loom_weights.py` reported.
enum WeightsConversion {
    case converted(tensors: Int, parameters: Int, skipped: [String])
    case mismatch(WeightsMismatch)
}

/// Names that do not fit: the checkpoint's extra tensors, the model's absent ones, and shapes that differ.
struct WeightsMismatch {
    var missing: [String]
    var unexpected: [String]
    /// (name, the checkpoint's shape, the model's shape).
    var wrong: [(String, [Int], [Int])]
    var headClasses: Int?
    var tensors: Int

    func message(file: String, model: String, classesWritten: Bool) -> String {
        func list(_ names: [String]) -> String {
            names.prefix(6).joined(separator: ", ") + (names.count > 6 ? ", … (\(names.count) in all)" : "")
        }
        var lines = ["\(file) (\(tensors) tensors) does not fit \(model):"]
        if !missing.isEmpty { lines.append("  missing from the checkpoint: " + list(missing)) }
        if !unexpected.isEmpty { lines.append("  not in the model: " + list(unexpected)) }
        if !wrong.isEmpty {
            lines.append("  wrong shape: " + list(wrong.map { "\($0.0) \($0.1) (model \($0.2))" }))
        }
        if let headClasses, classesWritten {
            lines.append("  hint: the checkpoint's head has \(headClasses) classes; check `classes:` and the architecture")
        } else {
            lines.append("  hint: check depth, width, stem and attention (or patch, dim, depth, heads) against the checkpoint")
        }
        return lines.joined(separator: "\n")
    }
}

extension WeightsImport {
    /// Runs the converter for `spec`: the job as JSON in a temporary folder, the Python as an argv array (no shell).
    func convert(_ spec: ModelSpec, probe: String) throws -> WeightsConversion {
        let python = try TorchLaunch.executable(self.python ?? TorchLaunch.defaultPython(environment: environment),
                                                environment: environment)
        let job: [String: Any] = ["file": file, "out": outputPath, "probe": probe, "model": TorchConfig.model(spec),
                                  "image": Self.probeSize(spec)]
        let (status, stdout, stderr) = try TorchLaunch.runWeightsConverter(job: job, python: python, environment: environment)
        return try Self.decode(stdout: stdout, stderr: stderr, status: status, python: python)
    }


    /// The converter's last stdout line as a result, or an error that quotes what it printed.
    static func decode(stdout: String, stderr: String, status: Int32, python: String) throws -> WeightsConversion {
        guard let line = stdout.split(separator: "\n").last,
              let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
              let kind = object["status"] as? String else {
            let tail = stderr.split(separator: "\n").suffix(3).joined(separator: "\n")
            throw ToolError("the weights converter (\(python)) exited \(status) without a result" + (tail.isEmpty ? "" : ":\n" + tail))
        }
        switch kind {
        case "ok":
            return .converted(tensors: object["tensors"] as? Int ?? 0, parameters: object["parameters"] as? Int ?? 0,
                              skipped: object["skipped"] as? [String] ?? [])
        case "mismatch":
            let wrong = (object["wrong"] as? [[Any]] ?? []).compactMap { row -> (String, [Int], [Int])? in
                guard row.count == 3, let name = row[0] as? String, let got = row[1] as? [Int], let want = row[2] as? [Int] else { return nil }
                return (name, got, want)
            }
            return .mismatch(WeightsMismatch(missing: object["missing"] as? [String] ?? [],
                                             unexpected: object["unexpected"] as? [String] ?? [], wrong: wrong,
                                             headClasses: object["head_classes"] as? Int, tensors: object["tensors"] as? Int ?? 0))
        default:
            throw ToolError(object["message"] as? String ?? "the weights converter failed without a message")
        }
    }
}
