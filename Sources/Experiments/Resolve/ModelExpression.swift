// ModelExpression: a ResNet or ViT named on the command line in the cell language's syntax, or by a short name.
import Engine
import Foundation

/// A model the command line names: `.resnet(depth: 18, width: 16)`, `.resnet(layers: [2, 2], ...)`,
/// `.vit(image: 32, patch: 4, dim: 192, depth: 6, heads: 3)`, or a short name (`r18`, `r50`, `se50`,
/// `vit6`, `vit12`, `timm_r50`, `timm_se50`) matching the models of `bench/torch_cpu.py`.
///
/// The labels and defaults follow the notebook's `.resnet`/`.vit` vocabulary; `classes` and ViT's
/// `image` have no dataset to default from here, so they default to the values passed to `parse`.
public enum ModelExpression: Equatable, Sendable, CustomStringConvertible {
    case resnet(ResNet.Config)
    case vit(ViT.Config)

    /// Short names and the expressions they stand for (100 classes unless `parse` is given others).
    public static let shortNames: [(name: String, expression: String, about: String)] = [
        ("r18", ".resnet(depth: 18)", "CIFAR ResNet-18: 3×3 stem, no max-pool, basic [2,2,2,2], 64–512"),
        ("r34", ".resnet(depth: 34)", "CIFAR ResNet-34"),
        ("r50", ".resnet(depth: 50)", "CIFAR ResNet-50: bottleneck [3,4,6,3]"),
        ("se50", ".resnet(depth: 50, attention: .se)", "CIFAR SE-ResNet-50 (r = 16)"),
        ("cbam50", ".resnet(depth: 50, attention: .cbam)", "CIFAR CBAM-ResNet-50"),
        ("timm_r50", ".resnet(depth: 50, stem: .imagenet)", "timm resnet50 (ImageNet stem)"),
        ("timm_se50", ".resnet(depth: 50, stem: .imagenet, attention: .se)", "timm seresnet50 (ImageNet stem)"),
        ("vit6", ".vit(image: 32, patch: 4, dim: 192, depth: 6, heads: 3)", "ViT p4 d192 depth 6 h3 MLP 768"),
        ("vit12", ".vit(image: 32, patch: 4, dim: 192, depth: 12, heads: 3)", "ViT p4 d192 depth 12 h3 MLP 768"),
    ]

    static let depths = [18, 34, 50, 101, 152]
    static let resnetLabels = ["depth", "layers", "block", "channels", "width", "stem", "attention", "classes"]
    static let vitLabels = ["image", "patch", "dim", "depth", "heads", "mlpRatio", "qkvBias", "classes"]

    /// Parses `text`.
    /// - Parameters:
    ///   - defaultClasses: `classes` when the expression omits it (e.g. inferred from a weights file).
    ///   - defaultImage: ViT's `image` when omitted.
    /// - Throws: `ModelExpressionError` naming the bad label or value and the valid ones.
    public static func parse(_ text: String, defaultClasses: Int = 100, defaultImage: Int = 32) throws -> ModelExpression {
        var parser = ExpressionParser(text)
        let call = try parser.parseCall()
        guard let arguments = call.arguments else {
            if let short = shortNames.first(where: { $0.name == call.name }) {
                return try parse(short.expression, defaultClasses: defaultClasses, defaultImage: defaultImage)
            }
            let names = shortNames.map(\.name)
            let hint = ["resnet", "vit"].contains(call.name) ? " (add the arguments: .\(call.name)(...))"
                : didYouMean(call.name, names)
            throw ModelExpressionError(text: text, column: call.column,
                                       message: "unknown model '\(call.name)'\(hint); write .resnet(...), .vit(...) or one of "
                                           + names.joined(separator: ", "))
        }
        var reader = ArgumentReader(text: text, model: call.name, arguments: arguments)
        switch call.name {
        case "resnet":
            try reader.checkLabels(resnetLabels)
            return .resnet(try resnet(&reader, defaultClasses: defaultClasses))
        case "vit":
            try reader.checkLabels(vitLabels)
            return .vit(try vit(&reader, defaultClasses: defaultClasses, defaultImage: defaultImage))
        default:
            throw ModelExpressionError(text: text, column: call.column,
                                       message: "unknown model '.\(call.name)'\(didYouMean(call.name, ["resnet", "vit"], prefix: "."))"
                                           + "; valid: .resnet, .vit")
        }
    }

    private static func resnet(_ r: inout ArgumentReader, defaultClasses: Int) throws -> ResNet.Config {
        let stem = try r.member("stem", [StemKind.cifar, .imagenet], default: .cifar)
        let attention = try r.member("attention", [AttentionKind.none, .se, .cbam], default: AttentionKind.none)
        let classes = try r.int("classes", default: defaultClasses, atLeast: 0)
        guard classes != 1 else { throw r.failure("classes", "classes must be 0 (no head, timm's num_classes=0) or at least 2") }
        let width = try r.optionalInt("width", atLeast: 1)
        let depth = try r.optionalInt("depth", atLeast: 1)
        let layers = try r.optionalInts("layers", atLeast: 1)
        switch (depth, layers) {
        case (nil, nil):
            throw r.failure(nil, "give depth: (\(depths.map(String.init).joined(separator: ", "))) or layers: [blocks per stage]")
        case (_?, _?):
            throw r.failure("layers", "give depth: or layers:, not both")
        case let (d?, nil):
            guard depths.contains(d) else {
                throw r.failure("depth", "depth \(d) is not a standard ResNet depth; valid: "
                                    + depths.map(String.init).joined(separator: ", ") + " (or use layers: [..])")
            }
            for label in ["block", "channels"] where r.has(label) {
                throw r.failure(label, "'\(label)' goes with layers: [..]; depth: \(d) fixes it")
            }
            return ResNet.Config.depth(d, width: Double(width ?? 64) / 64, stem: stem, attention: attention, classes: classes)!
        case let (nil, l?):
            guard !l.isEmpty else { throw r.failure("layers", "layers must list at least one stage") }
            let block = try r.member("block", [BlockKind.basic, .bottleneck], default: .basic)
            let w = width ?? 64
            let channels = try r.optionalInts("channels", atLeast: 1) ?? l.indices.map { w << $0 }
            guard channels.count == l.count else {
                throw r.failure("channels", "channels has \(channels.count) entries but layers has \(l.count); give one per stage")
            }
            return ResNet.Config(block: block, layers: l, channels: channels, stem: stem, stemWidth: w,
                                 attention: attention, classes: classes)
        }
    }

    private static func vit(_ r: inout ArgumentReader, defaultClasses: Int, defaultImage: Int) throws -> ViT.Config {
        let image = try r.int("image", default: defaultImage, atLeast: 1)
        let patch = try r.int("patch", default: 4, atLeast: 1)
        let dim = try r.int("dim", default: 192, atLeast: 1)
        let depth = try r.int("depth", default: 12, atLeast: 1)
        let heads = try r.int("heads", default: 3, atLeast: 1)
        let mlpRatio = try r.number("mlpRatio", default: 4)
        let qkvBias = try r.bool("qkvBias", default: true)
        let classes = try r.int("classes", default: defaultClasses, atLeast: 0)
        guard classes != 1 else { throw r.failure("classes", "classes must be 0 (no head, timm's num_classes=0) or at least 2") }
        guard image % patch == 0 else { throw r.failure("patch", "patch \(patch) does not divide image \(image)") }
        guard dim % heads == 0 else { throw r.failure("heads", "heads \(heads) does not divide dim \(dim)") }
        guard mlpRatio > 0, Int(Double(dim) * mlpRatio) >= 1 else {
            throw r.failure("mlpRatio", "mlpRatio must be positive, got \(mlpRatio)")
        }
        return ViT.Config(image: image, patch: patch, dim: dim, depth: depth, heads: heads, mlpRatio: mlpRatio,
                          qkvBias: qkvBias, classes: classes)
    }

    /// Splits a comma list of models (`r18,.resnet(depth: 18, width: 16)`) at top-level commas only.
    public static func splitList(_ text: String) -> [String] {
        var parts: [String] = [], current = "", nesting = 0
        for c in text {
            if c == "(" || c == "[" { nesting += 1 }
            if c == ")" || c == "]" { nesting -= 1 }
            if c == ",", nesting == 0 {
                parts.append(current); current = ""
            } else {
                current.append(c)
            }
        }
        parts.append(current)
        return parts.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// A freshly initialised model (timm's initialisation) for this configuration.
    public func makeModel(seed: UInt64 = 0) -> Classifier {
        switch self {
        case let .resnet(c): return ResNet(c, seed: seed)
        case let .vit(c): return ViT(c, seed: seed)
        }
    }

    /// Output classes.
    public var classes: Int {
        switch self {
        case let .resnet(c): return c.classes
        case let .vit(c): return c.classes
        }
    }

    /// The input side the model requires (ViT), or nil when any size works (ResNet).
    public var requiredImageSize: Int? {
        if case let .vit(c) = self { return c.image }
        return nil
    }

    /// The canonical expression, every argument written out.
    public var description: String {
        switch self {
        case let .resnet(c):
            let tail = "stem: .\(c.stem.rawValue), attention: .\(c.attention.rawValue), classes: \(c.classes))"
            for d in Self.depths {
                if let std = ResNet.Config.depth(d, width: Double(c.stemWidth) / 64, stem: c.stem,
                                                 attention: c.attention, classes: c.classes), std == c {
                    return ".resnet(depth: \(d), width: \(c.stemWidth), " + tail
                }
            }
            return ".resnet(layers: \(c.layers), block: .\(c.block.rawValue), channels: \(c.channels), "
                + "width: \(c.stemWidth), " + tail
        case let .vit(c):
            return ".vit(image: \(c.image), patch: \(c.patch), dim: \(c.dim), depth: \(c.depth), heads: \(c.heads), "
                + "mlpRatio: \(c.mlpRatio), qkvBias: \(c.qkvBias), classes: \(c.classes))"
        }
    }
}

/// Typed access to a call's arguments, each read at most once, with errors that name the label.
struct ArgumentReader {
    let text: String
    let model: String
    private var arguments: [String: ExpressionCall.Argument] = [:]
    private let order: [ExpressionCall.Argument]

    init(text: String, model: String, arguments: [ExpressionCall.Argument]) {
        self.text = text
        self.model = model
        order = arguments
        for a in arguments.reversed() { self.arguments[a.label] = a }  // the first of a repeated label wins
    }

    /// Rejects unknown and repeated labels, suggesting the nearest valid one.
    func checkLabels(_ valid: [String]) throws {
        var seen = Set<String>()
        for a in order {
            guard valid.contains(a.label) else {
                throw ModelExpressionError(text: text, column: a.column, message: "unknown label '\(a.label)' for .\(model)"
                    + didYouMean(a.label, valid) + "; valid labels: " + valid.joined(separator: ", "))
            }
            guard seen.insert(a.label).inserted else {
                throw ModelExpressionError(text: text, column: a.column, message: "label '\(a.label)' is given twice")
            }
        }
    }

    func has(_ label: String) -> Bool { arguments[label] != nil }

    func failure(_ label: String?, _ message: String) -> ModelExpressionError {
        ModelExpressionError(text: text, column: label.flatMap { arguments[$0]?.column }, message: message)
    }

    func optionalInt(_ label: String, atLeast low: Int) throws -> Int? {
        guard let a = arguments[label] else { return nil }
        guard case let .int(v) = a.value else { throw failure(label, "\(label): expects an integer, got \(a.value.text)") }
        guard v >= low else { throw failure(label, "\(label): must be at least \(low), got \(v)") }
        return v
    }

    func int(_ label: String, default value: Int, atLeast low: Int) throws -> Int {
        try optionalInt(label, atLeast: low) ?? value
    }

    func optionalInts(_ label: String, atLeast low: Int) throws -> [Int]? {
        guard let a = arguments[label] else { return nil }
        guard case let .array(items) = a.value else {
            throw failure(label, "\(label): expects a list of integers such as [2, 2, 2, 2], got \(a.value.text)")
        }
        return try items.map { item in
            guard case let .int(v) = item, v >= low else {
                throw failure(label, "\(label): entries must be integers of at least \(low), got \(item.text)")
            }
            return v
        }
    }

    func number(_ label: String, default value: Double) throws -> Double {
        guard let a = arguments[label] else { return value }
        switch a.value {
        case let .int(v): return Double(v)
        case let .number(v): return v
        default: throw failure(label, "\(label): expects a number, got \(a.value.text)")
        }
    }

    func bool(_ label: String, default value: Bool) throws -> Bool {
        guard let a = arguments[label] else { return value }
        guard case let .bool(v) = a.value else { throw failure(label, "\(label): expects true or false, got \(a.value.text)") }
        return v
    }

    func member<E: RawRepresentable>(_ label: String, _ cases: [E], default value: E) throws -> E where E.RawValue == String {
        guard let a = arguments[label] else { return value }
        let valid = cases.map { "." + $0.rawValue }
        guard case let .member(name) = a.value else {
            throw failure(label, "\(label): expects one of \(valid.joined(separator: ", ")), got \(a.value.text)")
        }
        guard let v = cases.first(where: { $0.rawValue == name }) else {
            throw failure(label, "\(label): unknown case .\(name)"
                              + didYouMean(name, cases.map(\.rawValue), prefix: ".")
                              + "; valid: " + valid.joined(separator: ", "))
        }
        return v
    }
}
