// ImageFolder: a dataset read from root/<class>/*.png, classes sorted by name.

import Foundation

/// A folder dataset that cannot be read.
public enum ImageFolderError: Error, CustomStringConvertible, Equatable {
    /// The root folder does not exist or is not a directory.
    case missingRoot(path: String)
    /// The root has no class sub-folders.
    case noClasses(path: String)
    /// A class folder holds no PNG files.
    case emptyClass(path: String)
    /// Images of different sizes where the pipeline does not resize them to one.
    case mixedSizes(file: String, width: Int, height: Int, expectedWidth: Int, expectedHeight: Int, example: String, count: Int)

    public var description: String {
        switch self {
        case let .missingRoot(path):
            return "image folder not found: \(path) (expected root/<class>/*.png)"
        case let .noClasses(path):
            return "image folder \(path) has no class sub-folders (expected root/<class>/*.png)"
        case let .emptyClass(path):
            return "class folder \(path) holds no .png files"
        case let .mixedSizes(file, w, h, ew, eh, example, count):
            return "image \(file) is \(w)×\(h), but \(example) and \(count - 1) other images are \(ew)×\(eh); a batch needs one "
                + "size: add `.resize(size: \(min(ew, eh)))` to `augment` (the evaluation resizes too), or make the files one size"
        }
    }
}

/// Reads torchvision-style `ImageFolder` datasets of PNG files.
public enum ImageFolder {
    /// Loads `root/<class>/*.png`. Classes are the sub-folder names sorted by Unicode scalars
    /// (label = position); within a class, files are sorted by name, so the order is deterministic.
    /// Hidden entries are skipped; non-PNG files are ignored. Every image is converted to RGB8.
    public static func load(root: String) throws -> LabeledImages {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: root, isDirectory: &isDir), isDir.boolValue else {
            throw ImageFolderError.missingRoot(path: root)
        }
        let classes = try fm.contentsOfDirectory(atPath: root).filter { name in
            var d: ObjCBool = false
            return !name.hasPrefix(".") && fm.fileExists(atPath: root + "/" + name, isDirectory: &d) && d.boolValue
        }.sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) }
        guard !classes.isEmpty else { throw ImageFolderError.noClasses(path: root) }

        var images: [Image] = [], labels: [Int] = [], sources: [String] = []
        for (label, name) in classes.enumerated() {
            let dir = root + "/" + name
            let files = try fm.contentsOfDirectory(atPath: dir)
                .filter { !$0.hasPrefix(".") && $0.lowercased().hasSuffix(".png") }
                .sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) }
            guard !files.isEmpty else { throw ImageFolderError.emptyClass(path: dir) }
            for f in files {
                images.append(try PNG.read(path: dir + "/" + f))
                labels.append(label)
                sources.append(dir + "/" + f)
            }
        }
        var set = LabeledImages(images: images, labels: labels, classNames: classes)
        set.sources = sources
        return set
    }

    /// Checks that every image has one size, for a pipeline that does not resize (batches stack images of one size).
    /// - Throws: ``ImageFolderError/mixedSizes(file:width:height:expectedWidth:expectedHeight:example:count:)`` naming the
    ///   first file whose size differs from the most common one.
    public static func checkUniformSize(_ set: LabeledImages) throws {
        var counts: [[Int]: Int] = [:]
        for image in set.images { counts[[image.width, image.height], default: 0] += 1 }
        guard counts.count > 1, let common = counts.max(by: { $0.value < $1.value || ($0.value == $1.value && $0.key.lexicographicallyPrecedes($1.key)) }) else { return }
        let name = { (i: Int) in set.sources?[i] ?? "#\(i)" }
        guard let odd = set.images.firstIndex(where: { [$0.width, $0.height] != common.key }),
              let example = set.images.firstIndex(where: { [$0.width, $0.height] == common.key }) else { return }
        throw ImageFolderError.mixedSizes(file: name(odd), width: set.images[odd].width, height: set.images[odd].height,
                                          expectedWidth: common.key[0], expectedHeight: common.key[1], example: name(example),
                                          count: common.value)
    }
}
