// ImageSplit: one split of a dataset, decoded in memory (CIFAR, .shapes) or an image folder's files read per batch.
import Foundation

/// One split of a dataset as training, evaluation and the analyses see it. CIFAR and `.shapes` are small and are held
/// decoded; an image folder (ImageNet has 1.28 million files) is held as its file list, and its images are read and
/// decoded per batch on the engine's threads, so memory stays at a few batches whatever the folder's size.
public enum ImageSplit {
    case decoded(LabeledImages)
    /// An image folder's files in ``ImageFolder/files(root:)``'s order, with their labels and the class names.
    case files(paths: [String], labels: [Int], classNames: [String])

    /// The files of `root/<class>/…` (nothing is decoded).
    public static func folder(root: String) throws -> ImageSplit {
        let listing = try ImageFolder.files(root: root)
        return .files(paths: listing.paths, labels: listing.labels, classNames: listing.classes)
    }

    /// Images in the split.
    public var count: Int { labels.count }

    public var labels: [Int] {
        switch self {
        case .decoded(let set): return set.labels
        case .files(_, let labels, _): return labels
        }
    }

    public var classNames: [String] {
        switch self {
        case .decoded(let set): return set.classNames
        case .files(_, _, let names): return names
        }
    }

    /// The images when they are held decoded; nil for a folder's files.
    public var inMemory: LabeledImages? {
        if case .decoded(let set) = self { return set }
        return nil
    }

    /// The first `n` images (all when `n` ≥ ``count``), decoded: a folder reads only those `n` files.
    /// - Throws: the decoder's error naming a file that cannot be read.
    public func first(_ n: Int) throws -> LabeledImages {
        switch self {
        case .decoded(let set):
            guard n < set.count else { return set }
            var subset = LabeledImages(images: Array(set.images.prefix(n)), labels: Array(set.labels.prefix(n)),
                                       classNames: set.classNames)
            subset.sources = set.sources.map { Array($0.prefix(n)) }
            return subset
        case let .files(paths, labels, names):
            let chosen = Array(paths.prefix(max(n, 0)))
            var set = LabeledImages(images: try chosen.map { try ImageFile.read(path: $0) },
                                    labels: Array(labels.prefix(chosen.count)), classNames: names)
            set.sources = chosen
            return set
        }
    }

    /// A loader over the split: ``DataLoader`` for decoded images, ``FolderLoader`` for files. Both give the same
    /// batches for the same images.
    public func loader(pipeline: AugmentPipeline, batchSize: Int, shuffle: Bool, dropLast: Bool = false,
                       seed: UInt64) -> any BatchLoader {
        switch self {
        case .decoded(let set):
            return DataLoader(set, pipeline: pipeline, batchSize: batchSize, shuffle: shuffle, dropLast: dropLast, seed: seed)
        case let .files(paths, labels, _):
            return FolderLoader(paths: paths, labels: labels, pipeline: pipeline, batchSize: batchSize, shuffle: shuffle,
                                dropLast: dropLast, seed: seed)
        }
    }

    /// Checks that every image has one size, for a pipeline that does not resize. A folder's files are decoded one
    /// at a time for their sizes (none is kept), so the check costs one pass over the folder but no memory.
    /// - Throws: ``ImageFolderError/mixedSizes(file:width:height:expectedWidth:expectedHeight:example:count:)``, or
    ///   the decoder's error naming a file that cannot be read.
    public func checkUniformSize() throws {
        switch self {
        case .decoded(let set):
            try ImageFolder.checkUniformSize(sizes: set.images.map { [$0.width, $0.height] }, names: set.sources)
        case .files(let paths, _, _):
            let sizes = try paths.map { path -> [Int] in
                let image = try ImageFile.read(path: path)
                return [image.width, image.height]
            }
            try ImageFolder.checkUniformSize(sizes: sizes, names: paths)
        }
    }
}
