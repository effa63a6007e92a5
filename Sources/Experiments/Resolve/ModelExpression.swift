// ModelExpression: a model named on the command line, read as a cell's `model:` argument or as a short name.
import Notebook
import Vision

/// A model the command line names: `.resnet(depth: 18, width: 16)`, `.resnet(layers: [2, 2], ...)`,
/// `.vit(image: 32, patch: 4, dim: 192, depth: 6, heads: 3)`, or a short name (`r18`, `r50`, `se50`,
/// `vit6`, `vit12`, `timm_r50`, `timm_se50`) matching the models of `bench/torch_cpu.py`.
///
/// The expression goes through the cell parser, the checker with the vocabulary's `Model` schema and the
/// ``Resolver``, exactly as `model:` of an `Experiment` cell does, so it gets a cell's errors and did-you-means.
/// `classes` and ViT's `image` have no dataset to default from here, so they default to the values passed to
/// `parse`. The leading dot is optional (`resnet(depth: 18)`).
public enum ModelExpression {
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

    /// Parses, checks and resolves `text`.
    /// - Parameters:
    ///   - defaultClasses: `classes` when the expression omits it (e.g. inferred from a weights file).
    ///   - defaultImage: ViT's `image` when omitted.
    /// - Throws: ``ModelExpressionError`` with the cell checker's or resolver's messages.
    public static func parse(_ text: String, defaultClasses: Int = 100, defaultImage: Int = 32) throws -> ModelSpec {
        if let short = shortNames.first(where: { $0.name == text.trimmingCharacters(in: .whitespaces) }) {
            return try parse(short.expression, defaultClasses: defaultClasses, defaultImage: defaultImage)
        }
        let cell = Cell(source: text)
        let expr: CellExpr
        do {
            expr = try CellParser.parseExpression(cell)
        } catch {
            if text.allSatisfy(\.isWhitespace) {
                throw ModelExpressionError(text: text, column: 1,
                                           message: "expected a model such as .resnet(...), .vit(...) or a short name")
            }
            throw ModelExpressionError(text: text, diagnostics: [error])
        }
        let model = try modelCase(expr, text: text)
        let value = try check(model, in: cell, text: text)
        do {
            return try Resolver.model(value, defaultClasses: defaultClasses, defaultImage: defaultImage)
        } catch let error as ResolveError {
            throw ModelExpressionError(text: text, column: nil, message: error.message)
        }
    }

    /// `expr` as an enum case: `resnet(...)` written without its dot is `.resnet(...)`; a bare name that is not a
    /// short name is reported here, since a cell has no short names.
    static func modelCase(_ expr: CellExpr, text: String) throws -> CellExpr {
        switch expr.kind {
        case let .call(name, arguments):
            return CellExpr(.enumCase(name: name, arguments: arguments), range: expr.range)
        case let .name(name):
            let cases = Vocabulary.model.cases.map(\.name)
            let column = expr.range.start.column
            if cases.contains(name) {
                throw ModelExpressionError(text: text, column: column,
                                           message: "unknown model `\(name)`; add the arguments: `.\(name)(...)`")
            }
            let names = shortNames.map(\.name)
            throw ModelExpressionError(
                text: text, column: column,
                message: Suggestion.message("unknown model `\(name)`; write " + cases.map { ".\($0)(...)" }.joined(separator: ", ")
                                                + " or one of " + names.joined(separator: ", "),
                                            nearest: Suggestion.nearest(to: name, in: names)))
        default:
            return expr
        }
    }

    /// The checked value of `model` as `Experiment(model: model)` would check it in a cell.
    static func check(_ model: CellExpr, in cell: Cell, text: String) throws -> ResolvedValue {
        let label = CellName("model", range: model.range)
        let call = CellExpr(.call(name: CellName("Experiment", range: model.range),
                                  arguments: [CellArgument(label: label, value: model)]), range: model.range)
        var bindings = Bindings()
        let checked = Checker(registry: Vocabulary.registry()).check(
            ParsedCell(cell: cell, statements: [CellStatement(binding: nil, value: call, range: model.range)]),
            bindings: &bindings)
        let errors = checked.diagnostics.filter { $0.severity == .error }
        guard errors.isEmpty, let value = checked.statements.first?.value["model"] else {
            throw ModelExpressionError(text: text, diagnostics: errors)
        }
        return value
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
}

/// A model expression that could not be read or does not describe a valid model.
public struct ModelExpressionError: Error, CustomStringConvertible, Equatable {
    /// The expression as given.
    public let text: String
    /// 1-based column of the offending text, when one part is to blame.
    public let column: Int?
    /// What is wrong: the cell checker's or resolver's message (one line per error).
    public let message: String

    public init(text: String, column: Int?, message: String) {
        self.text = text
        self.column = column
        self.message = message
    }

    /// The errors a cell would show, the first one's column standing for all.
    init(text: String, diagnostics: [Diagnostic]) {
        self.init(text: text, column: diagnostics.first?.range.start.column,
                  message: diagnostics.map(\.message).joined(separator: "\n"))
    }

    public var description: String {
        let at = column.map { " (column \($0))" } ?? ""
        return "model '\(text)'\(at): \(message)"
    }
}

extension ModelSpec {
    /// The input side the model requires (ViT), or nil when any size works (ResNet).
    public var requiredImageSize: Int? {
        if case let .vit(c) = self { return c.image }
        return nil
    }

    /// Trainable parameters, from the config (see `ResNet.Config.parameterCount`).
    public var parameterCount: Int {
        switch self {
        case let .resnet(c): return c.parameterCount
        case let .vit(c): return c.parameterCount
        }
    }

    /// The canonical expression, every argument written out; ``ModelExpression/parse(_:defaultClasses:defaultImage:)``
    /// reads it back to the same spec.
    public var expression: String {
        switch self {
        case let .resnet(c):
            let tail = "stem: .\(c.stem.rawValue), attention: .\(c.attention.rawValue), classes: \(c.classes))"
            for d in ResNet.Config.standardDepths {
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
