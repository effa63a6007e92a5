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

    public var description: String {
        switch self {
        case let .missingRoot(path):
            return "image folder not found: \(path) (expected root/<class>/*.png)"
        case let .noClasses(path):
            return "image folder \(path) has no class sub-folders (expected root/<class>/*.png)"
        case let .emptyClass(path):
            return "class folder \(path) holds no .png files"
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

        var images: [Image] = [], labels: [Int] = []
        for (label, name) in classes.enumerated() {
            let dir = root + "/" + name
            let files = try fm.contentsOfDirectory(atPath: dir)
                .filter { !$0.hasPrefix(".") && $0.lowercased().hasSuffix(".png") }
                .sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) }
            guard !files.isEmpty else { throw ImageFolderError.emptyClass(path: dir) }
            for f in files {
                images.append(try PNG.read(path: dir + "/" + f))
                labels.append(label)
            }
        }
        return LabeledImages(images: images, labels: labels, classNames: classes)
    }
}
