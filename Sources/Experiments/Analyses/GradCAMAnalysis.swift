// GradCAM: class-activation overlays (docs/methods.md §7.6) — payload and outputs.
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

extension AnalysisKinds {
    static func camOutputs(_ results: [StoredAnalysis]) throws -> [ReportOutput] {
        try results.map { r in
            let p = try r.decode(GradCAMPayload.self)
            let images = p.items.enumerated().compactMap { i, item -> ReportImage? in
                guard let png = r.artifact("cam-\(i).png") else { return nil }
                // A model's classes may outnumber the data's (e.g. 1,000-way ImageNet weights on a 10-class folder).
                func className(_ i: Int) -> String { p.classNames.indices.contains(i) ? p.classNames[i] : "class \(i)" }
                let truth = className(item.label), pred = className(item.predicted)
                let caption = "true \(truth) · predicted \(pred) (\(String(format: "%.0f", item.probability * 100)) %)"
                    + (item.target != item.predicted ? " · map for \(className(item.target))" : "")
                return ReportImage(png: png, caption: caption, alt: "Grad-CAM of \(name(r)) on a \(truth) image")
            }
            return ReportOutput(title: "Grad-CAM of \(name(r)) at \(p.layer)", .images(images))
        }
    }
}
