// Analysis timings for `loom bench --analyses`: each analysis as a notebook cell runs it, on given models and images.
import Engine
import Foundation

/// One timed analysis.
public struct AnalysisBenchRow: Sendable, Codable {
    public let analysis: String
    public let model: String
    /// Images the analysis read (per forward pass set).
    public let images: Int
    /// Forward passes of one image it made.
    public let passes: Int
    public let seconds: Double
}

/// Times every analysis on `model` with the notebook cells' default settings (FilteredAccuracy with radii
/// 2…12, FrequencyNoise's 11 bands, a Fourier heat map on `heatmapImages`, Grad-CAM on 8 images, ShapeBias
/// on the cue-conflict split when given). `pixels` are raw [0, 1] test images at the model's size.
public func benchAnalyses(name: String, model: Classifier, pixels: Tensor, labels: [Int], normalization: Normalization,
                          cueConflict: (pixels: Tensor, shape: [Int], texture: [Int])? = nil, heatmapImages: Int = 100,
                          only: Set<String>? = nil) throws -> [AnalysisBenchRow] {
    let n = pixels.dim(0), side = pixels.dim(2), batch = 100
    var rows: [AnalysisBenchRow] = []
    func time(_ analysis: String, images: Int, passes: Int, _ body: () throws -> Void) rethrows {
        guard only?.contains(analysis) ?? true else { return }
        let t0 = DispatchTime.now().uptimeNanoseconds
        try body()
        let s = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        rows.append(AnalysisBenchRow(analysis: analysis, model: name, images: images, passes: passes, seconds: s))
    }
    try time("FrequencyAnalysis", images: n, passes: n) {
        _ = try FourierAnalyses.latentSpectra(model: model, pixels: pixels, normalization: normalization, batchSize: batch)
    }
    let cutoffs: [Double] = [2, 4, 6, 8, 12]
    try time("FilteredAccuracy", images: n, passes: n * (1 + 2 * cutoffs.count)) {
        _ = try FourierAnalyses.filteredAccuracy(model: model, pixels: pixels, labels: labels, normalization: normalization,
                                                 batchSize: batch, cutoffs: cutoffs)
    }
    try time("FrequencyNoise", images: n, passes: n * 12) {
        _ = try FourierAnalyses.frequencyNoise(model: model, pixels: pixels, labels: labels, normalization: normalization,
                                               batchSize: batch)
    }
    let m = min(heatmapImages, n)
    try time("FourierHeatmap", images: m, passes: m * (1 + side * (side / 2 + 1))) {
        _ = try FourierAnalyses.fourierHeatmap(model: model, pixels: pixels, labels: labels, normalization: normalization,
                                               batchSize: batch, examples: m)
    }
    let cams = min(8, n)
    try time("GradCAM", images: cams, passes: 3 * cams) {
        _ = try GradCAM.compute(model: model, pixels: pixels.sliced(axis: 0, 0..<cams), labels: Array(labels.prefix(cams)),
                                normalization: normalization, batchSize: 16)
    }
    try time("ShapeBias", images: n, passes: n * 5) {
        if let c = cueConflict {
            _ = try ShapeBias.measure(model: model, pixels: c.pixels, shapeLabels: c.shape, textureLabels: c.texture,
                                      normalization: normalization, batchSize: batch)
        }
        _ = try FourierAnalyses.hybridShapeBias(model: model, pixels: pixels, labels: labels, normalization: normalization,
                                                batchSize: batch, radii: [4, 6])
        if side % 4 == 0 {
            _ = try PatchShuffle.measure(model: model, pixels: pixels, labels: labels, normalization: normalization,
                                         batchSize: batch, grids: [2, 4])
        }
    }
    return rows
}
