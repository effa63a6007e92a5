// Cue-conflict stimuli of Geirhos et al. (2019): their folder layout, the 16 categories and ImageNet's classes per
// category, the 16-way decision of a 1,000-way model, and the shape bias on them (docs/methods.md §7.7).
import Engine
import Foundation

/// A cue-conflict folder that cannot be used, with the file or folder at fault.
public struct CueConflictError: Error, CustomStringConvertible, Equatable {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// One stimulus: an image with the shape of one category and the texture of another.
public struct CueConflictStimulus: Equatable, Sendable {
    public var path: String
    /// Index into ``CueConflict/categories``.
    public var shape: Int
    public var texture: Int
}

/// A number printed in a paper, carried as data with the words that cite it.
public struct PublishedFigure: Equatable, Sendable {
    /// What was measured, as a row label (e.g. "human observers").
    public var label: String
    /// The value in percent, as printed.
    public var percent: Double
    /// The source: paper, section or figure, and how the number was checked.
    public var source: String
}

/// The published cue-conflict measure: 16 entry-level categories, ImageNet's classes mapped onto them.
public enum CueConflict {
    /// Geirhos et al.'s human observers on these stimuli: 95.9 % of their shape-or-texture decisions were by shape.
    /// Shown beside the models' values whenever `ShapeBias` measures on `.cueConflict` (docs/methods.md §7.7). The
    /// paper's raw data (rgeirhos/texture-vs-shape, `raw-data/style-transfer-512-nomask-experiment`, 10 observers,
    /// images whose shape and texture agree excluded) give 95.87 % pooled over observers (95.76 % as the mean of
    /// the observers' own values), which rounds to the printed figure.
    public static let humanShapeBias = PublishedFigure(
        label: "human observers",
        percent: 95.9,
        source: "Geirhos et al. 2019, \"ImageNet-trained CNNs are biased towards texture; increasing shape bias improves "
            + "accuracy and robustness\", ICLR 2019, section 3 and figure 4: human observers' shape decisions among their "
            + "shape-or-texture decisions on the same cue-conflict stimuli (10 observers in the lab)")

    /// The 16 categories, sorted (model-vs-human's `get_human_object_recognition_categories`).
    public static let categories = ["airplane", "bear", "bicycle", "bird", "boat", "bottle", "car", "cat", "chair",
                                    "clock", "dog", "elephant", "keyboard", "knife", "oven", "truck"]

    /// ImageNet-1k class indices per category, in ``categories`` order. Data from bethgelab/model-vs-human,
    /// `modelvshuman/helper/human_categories.py` (`HumanCategories.<category>_indices`), which the paper's
    /// reference code uses to aggregate a 1,000-way model's probabilities.
    public static let imageNetIndices: [[Int]] = [
        [404],                                                         // airplane
        [294, 295, 296, 297],                                          // bear
        [444, 671],                                                    // bicycle
        [8, 10, 11, 12, 13, 14, 15, 16, 18, 19, 20, 22, 23, 24, 80, 81, 82, 83, 87, 88, 89, 90, 91, 92, 93, 94, 95, 96, 98,
         99, 100, 127, 128, 129, 130, 131, 132, 133, 135, 136, 137, 138, 139, 140, 141, 142, 143, 144, 145],  // bird
        [472, 554, 625, 814, 914],                                     // boat
        [440, 720, 737, 898, 899, 901, 907],                           // bottle
        [436, 511, 817],                                               // car
        [281, 282, 283, 284, 285, 286],                                // cat
        [423, 559, 765, 857],                                          // chair
        [409, 530, 892],                                               // clock
        Array(152...191) + Array(193...203) + Array(205...226) + Array(228...241) + Array(243...250)
            + Array(252...257) + [259] + Array(261...263) + Array(265...268),                                    // dog
        [385, 386],                                                    // elephant
        [508, 878],                                                    // keyboard
        [499],                                                         // knife
        [766],                                                         // oven
        [555, 569, 656, 675, 717, 734, 864, 867],                      // truck
    ]

    /// The stimuli under `root` in the layout of Geirhos et al.'s `style-transfer-preprocessed-512` folder:
    /// `root/<shape>/<shape><n>-<texture><m>.<ext>` (e.g. `cat/cat4-elephant1.png`), sorted by path. Hidden files are
    /// skipped; a file whose name does not follow the pattern, or names an unknown category, is an error.
    public static func stimuli(root: String) throws -> [CueConflictStimulus] {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: root, isDirectory: &isDir), isDir.boolValue else {
            throw CueConflictError("cue-conflict folder not found: \(root) (expected root/<shape>/<shape><n>-<texture><m>.png, "
                                   + "as texture-vs-shape's stimuli/style-transfer-preprocessed-512). To fetch the 1,280 "
                                   + "stimuli: `git clone --depth 1 https://github.com/rgeirhos/texture-vs-shape && cp -r "
                                   + "texture-vs-shape/stimuli/style-transfer-preprocessed-512 \(root)`")
        }
        var out: [CueConflictStimulus] = []
        for folder in try fm.contentsOfDirectory(atPath: root).sorted() where !folder.hasPrefix(".") {
            let dir = root + "/" + folder
            guard fm.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else { continue }
            guard let folderCategory = categories.firstIndex(of: folder) else {
                throw CueConflictError("\(dir): `\(folder)` is not one of the 16 categories (\(categories.joined(separator: ", ")))")
            }
            for file in try fm.contentsOfDirectory(atPath: dir).sorted() where !file.hasPrefix(".") {
                let s = try stimulus(dir + "/" + file, name: file)
                guard s.shape == folderCategory else {
                    throw CueConflictError("\(dir)/\(file): its shape `\(categories[s.shape])` is not its folder's `\(folder)`")
                }
                out.append(s)
            }
        }
        guard !out.isEmpty else { throw CueConflictError("cue-conflict folder \(root) holds no stimuli") }
        return out
    }

    /// Parses `<shape><n>-<texture><m>.<ext>`.
    static func stimulus(_ path: String, name: String) throws -> CueConflictStimulus {
        let stem = name.split(separator: ".").first.map(String.init) ?? name
        let halves = stem.split(separator: "-", omittingEmptySubsequences: false)
        func category(_ part: Substring) -> Int? {
            let word = part.prefix { !$0.isNumber }
            guard !word.isEmpty, part.dropFirst(word.count).allSatisfy(\.isNumber) else { return nil }
            return categories.firstIndex(of: String(word))
        }
        guard halves.count == 2, let shape = category(halves[0]), let texture = category(halves[1]) else {
            throw CueConflictError("\(path): expected a name <shape><n>-<texture><m> with two of the 16 categories, "
                                   + "e.g. cat4-elephant1.png")
        }
        return CueConflictStimulus(path: path, shape: shape, texture: texture)
    }

    /// The 16-way decisions of a batch of 1,000-way logits: the softmax probabilities averaged over each category's
    /// ImageNet classes, then the category with the highest mean (first on ties), as model-vs-human's
    /// `ImageNetProbabilitiesTo16ClassesMapping` with `aggregation_function=np.mean`.
    public static func decisions(logits: Tensor) -> [Int] {
        precondition(logits.rank == 2 && logits.dim(1) == 1_000, "cue-conflict decisions need (N, 1000) logits, got \(logits.shape)")
        let p = logits.ptr
        return (0..<logits.dim(0)).map { i in
            let row = p + i * 1_000
            var top: Float = -.infinity
            for k in 0..<1_000 { top = max(top, row[k]) }
            var total: Double = 0
            for k in 0..<1_000 { total += Double(expf(row[k] - top)) }
            var best = 0, bestMean = -Double.infinity
            for (c, indices) in imageNetIndices.enumerated() {
                let mean = indices.reduce(0.0) { $0 + Double(expf(row[$1] - top)) } / total / Double(indices.count)
                if mean > bestMean { best = c; bestMean = mean }
            }
            return best
        }
    }

    /// Shape bias of a 1,000-class ImageNet model on `stimuli`, whose pixels (N, 3, H, W in [0, 1], the model's
    /// input size) the caller prepared; images whose shape and texture agree are dropped (``ShapeBias/count``).
    public static func shapeBias(model: Classifier, stimuli: [CueConflictStimulus], pixels: Tensor,
                                 normalization: Normalization, batchSize: Int = 32) throws -> ShapeBiasResult {
        guard pixels.rank == 4, pixels.dim(0) == stimuli.count else {
            throw CueConflictError("cue conflict: \(stimuli.count) stimuli but pixels of shape \(pixels.shape)")
        }
        let (decisions, classes) = AnalysisEval.predictionsAndClasses(
            model: model, count: stimuli.count, batchSize: batchSize,
            decide: { $0.dim(1) == 1_000 ? CueConflict.decisions(logits: $0) : [] }) {
            AnalysisEval.normalizedBatch(pixels, $0, normalization)
        }
        guard classes == 1_000 else {
            throw CueConflictError("cue-conflict shape bias needs a 1,000-class ImageNet classifier; this model has \(classes) "
                                   + "outputs (e.g. `.timm(\"resnet50\")` with ImageNet weights)")
        }
        return try ShapeBias.count(predictions: decisions, shapeLabels: stimuli.map(\.shape),
                                   textureLabels: stimuli.map(\.texture))
    }
}
