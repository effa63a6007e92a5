// ImageFolder: a dataset read from root/<class>/**/<image>, JPEG and PNG by content, classes sorted by name.

import Foundation

/// A folder dataset that cannot be read.
public enum ImageFolderError: Error, CustomStringConvertible, Equatable {
    /// The root folder does not exist or is not a directory.
    case missingRoot(path: String)
    /// The root has no class sub-folders.
    case noClasses(path: String)
    /// A class folder holds no (non-hidden) files.
    case emptyClass(path: String)
    /// Images of different sizes where the pipeline does not resize them to one.
    case mixedSizes(file: String, width: Int, height: Int, expectedWidth: Int, expectedHeight: Int, example: String, count: Int)

    public var description: String {
        switch self {
        case let .missingRoot(path):
            return "image folder not found: \(path) (expected root/<class>/<images>)"
        case let .noClasses(path):
            return "image folder \(path) has no class sub-folders (expected root/<class>/<images>)"
        case let .emptyClass(path):
            return "class folder \(path) holds no image files"
        case let .mixedSizes(file, w, h, ew, eh, example, count):
            return "image \(file) is \(w)×\(h), but \(example) and \(count - 1) other images are \(ew)×\(eh); a batch needs one "
                + "size: add `.resize(size: \(min(ew, eh)))` to `augment` (the evaluation resizes too), or make the files one size"
        }
    }
}

/// Reads torchvision-style `ImageFolder` datasets of JPEG and PNG files.
public enum ImageFolder {
    /// Loads `root/<class>/…` with ``files(root:)``'s order and labels, each file decoded by
    /// ``ImageFile/read(path:)`` (JPEG or PNG by content) and converted to RGB8.
    /// - Throws: ``ImageFolderError`` for the layout; for a file that is unreadable, truncated, not an image or too
    ///   large, the decoder's error naming that file.
    public static func load(root: String) throws -> LabeledImages {
        let listing = try files(root: root)
        var images: [Image] = []
        images.reserveCapacity(listing.paths.count)
        for f in listing.paths { images.append(try ImageFile.read(path: f)) }
        var set = LabeledImages(images: images, labels: listing.labels, classNames: listing.classes)
        set.sources = listing.paths
        return set
    }

    /// The files of `root/<class>/…` as torchvision's `ImageFolder` orders them: classes are the sub-folder names
    /// sorted by Unicode scalars (label = position); each class folder is walked recursively (nested folders
    /// included, as `os.walk` does), folders in sorted path order and files sorted by name within each. Hidden
    /// entries (names starting with ".") are skipped. Every other file is listed whatever its extension: the
    /// decoder chooses the format by content and refuses, naming it, a file that is not an image.
    public static func files(root: String) throws -> (paths: [String], labels: [Int], classes: [String]) {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: root, isDirectory: &isDir), isDir.boolValue else {
            throw ImageFolderError.missingRoot(path: root)
        }
        let classes = try fm.contentsOfDirectory(atPath: root).filter { name in
            var d: ObjCBool = false
            return !name.hasPrefix(".") && fm.fileExists(atPath: root + "/" + name, isDirectory: &d) && d.boolValue
        }.sorted(by: scalarOrder)
        guard !classes.isEmpty else { throw ImageFolderError.noClasses(path: root) }

        var paths: [String] = [], labels: [Int] = []
        for (label, name) in classes.enumerated() {
            let dir = root + "/" + name
            let found = try walk(dir)
            guard !found.isEmpty else { throw ImageFolderError.emptyClass(path: dir) }
            paths += found
            labels += Array(repeating: label, count: found.count)
        }
        return (paths, labels, classes)
    }

    /// Non-hidden files under `dir`: `sorted(os.walk(dir))`'s order (each folder's files sorted, folders by path).
    private static func walk(_ dir: String) throws -> [String] {
        let fm = FileManager.default
        var folders: [(String, [String])] = []
        var pending = [dir]
        while let current = pending.popLast() {
            var files: [String] = []
            for name in try fm.contentsOfDirectory(atPath: current) where !name.hasPrefix(".") {
                let path = current + "/" + name
                var d: ObjCBool = false
                guard fm.fileExists(atPath: path, isDirectory: &d) else { files.append(name); continue }  // a dangling link: reported when read
                if d.boolValue { pending.append(path) } else { files.append(name) }
            }
            folders.append((current, files.sorted(by: scalarOrder)))
        }
        return folders.sorted { scalarOrder($0.0, $1.0) }.flatMap { folder in folder.1.map { folder.0 + "/" + $0 } }
    }

    private static func scalarOrder(_ a: String, _ b: String) -> Bool {
        a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars)
    }

    /// Checks that every image has one size, for a pipeline that does not resize (batches stack images of one size).
    /// - Throws: ``ImageFolderError/mixedSizes(file:width:height:expectedWidth:expectedHeight:example:count:)`` naming the
    ///   first file whose size differs from the most common one.
    public static func checkUniformSize(_ set: LabeledImages) throws {
        try checkUniformSize(sizes: set.images.map { [$0.width, $0.height] }, names: set.sources)
    }

    /// ``checkUniformSize(_:)`` on (width, height) pairs; `names` (the files) label the error, else `#index`.
    static func checkUniformSize(sizes: [[Int]], names: [String]?) throws {
        var counts: [[Int]: Int] = [:]
        for size in sizes { counts[size, default: 0] += 1 }
        guard counts.count > 1, let common = counts.max(by: { $0.value < $1.value || ($0.value == $1.value && $0.key.lexicographicallyPrecedes($1.key)) }) else { return }
        let name = { (i: Int) in names?[i] ?? "#\(i)" }
        guard let odd = sizes.firstIndex(where: { $0 != common.key }),
              let example = sizes.firstIndex(where: { $0 == common.key }) else { return }
        throw ImageFolderError.mixedSizes(file: name(odd), width: sizes[odd][0], height: sizes[odd][1],
                                          expectedWidth: common.key[0], expectedHeight: common.key[1], example: name(example),
                                          count: common.value)
    }
}
