// GradCAM: Grad-CAM overlays with true and predicted labels (docs/methods.md §7.6).
import Foundation
import Vision
import Notebook

/// `GradCAM`: per image the labels; the overlays are PNG artifacts `cam-<i>.png` (docs/methods.md §7.6).
struct GradCAMPayload: Codable {
    struct Item: Codable {
        var label: Int
        var predicted: Int
        var probability: Double
        var target: Int
    }
    var layer: String
    var items: [Item]
    var classNames: [String]
}

/// `GradCAM(run, images:, layer:, target:)`: where a model finds the evidence for a class (Selvaraju et al. 2017).
enum GradCAMAnalysis: AnalysisKind {
    static let camTarget = EnumSchema("CAMTarget", cases: [
        CaseSchema("predicted", doc: "The model's predicted class."),
        CaseSchema("label", doc: "The image's true class."),
    ])
    static let schema = CallSchema("GradCAM", [
        Vocabulary.run,
        ParameterSchema("images", .int(.within(1...64)), default: 8, doc: "Test images, the first N of the test split."),
        ParameterSchema("layer", .string, default: .absent,
                        doc: "Target layer, e.g. \"layer4\", \"layer3.1\", \"blocks.5\"; default the last stage or block."),
        ParameterSchema("target", .enumeration(camTarget), default: .case("predicted"), doc: "Class whose logit is explained."),
    ], kind: Vocabulary.Kind.output, derivable: false, doc: "Grad-CAM overlays (Selvaraju et al. 2017) with true and predicted labels.")
    static let example = "GradCAM(base, images: 3)"

    /// A forward and a backward pass (about two forwards) per image.
    static func forwardPasses(_ a: Arguments, spec: ExperimentSpec) -> Int { 3 * a.int("images") }

    static func compute(_ c: AnalysisContext) throws -> (payload: GradCAMPayload, artifacts: [NamedArtifact]) {
        let a = c.args
        let (x, y) = try c.pixels(count: a.int("images"))
        let target: GradCAMTarget = a.caseName("target") == "label" ? .trueLabel : .predicted
        let r = try GradCAM.compute(model: c.model, pixels: x, labels: y, normalization: c.normalization, batchSize: 16,
                                    layer: a.optionalString("layer"), target: target)
        let payload = GradCAMPayload(layer: r.layer, items: r.maps.map {
            GradCAMPayload.Item(label: $0.trueLabel, predicted: $0.predicted, probability: $0.probability, target: $0.target)
        }, classNames: c.classNames)
        let artifacts = r.maps.enumerated().map { NamedArtifact(name: "cam-\($0.offset).png", mime: "image/png", bytes: $0.element.overlayPNG) }
        return (payload, artifacts)
    }

    /// The overlays of each seed's model, one row per seed (where each model looks is a picture, not a number to average).
    static func outputs(_ results: [SeedResults<GradCAMPayload>], args: Arguments) throws -> [ReportOutput] {
        results.flatMap { group in
            group.seeds.map { r, p in
                let images = p.items.enumerated().compactMap { i, item -> ReportImage? in
                    guard let png = r.artifact("cam-\(i).png") else { return nil }
                    // A model's classes may outnumber the data's (e.g. 1,000-way ImageNet weights on a 10-class folder).
                    func className(_ i: Int) -> String { p.classNames.indices.contains(i) ? p.classNames[i] : "class \(i)" }
                    let truth = className(item.label), pred = className(item.predicted)
                    let caption = "true \(truth) · predicted \(pred) (\(String(format: "%.0f", item.probability * 100)) %)"
                        + (item.target != item.predicted ? " · map for \(className(item.target))" : "")
                    return ReportImage(png: png, caption: caption, alt: "Grad-CAM of \(r.target.label) on a \(truth) image")
                }
                return ReportOutput(title: "Grad-CAM of \(r.target.label) at \(p.layer)", .images(images))
            }
        }
    }
}
