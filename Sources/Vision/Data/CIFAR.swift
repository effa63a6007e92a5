// CIFAR-10 / CIFAR-100 binary-version readers (docs/methods.md §1.1), with errors that say what to fetch.

import Foundation

/// A CIFAR file that is missing, unreadable, the wrong size, or holds an impossible label.
public enum CIFARError: Error, CustomStringConvertible, Equatable {
    /// The file does not exist.
    case missingFile(path: String, expectedBytes: Int?)
    /// The file exists but its size is not what the format requires (e.g. a truncated download).
    case wrongSize(path: String, expectedBytes: Int, actualBytes: Int)
    /// A record's label byte is out of range.
    case badLabel(path: String, record: Int, label: Int, classes: Int)
    /// A label-name file has the wrong number of names.
    case badNames(path: String, expected: Int, actual: Int)

    /// Where the official archives come from.
    public static let source = "https://www.cs.toronto.edu/~kriz/cifar.html (the binary version: "
        + "cifar-10-binary.tar.gz → cifar-10-batches-bin/, cifar-100-binary.tar.gz → cifar-100-binary/)"

    public var description: String {
        switch self {
        case let .missingFile(path, expected):
            let size = expected.map { " (expected \($0) bytes)" } ?? ""
            return "CIFAR file not found: \(path)\(size). Download \(CIFARError.source)"
        case let .wrongSize(path, expected, actual):
            return "CIFAR file \(path) has \(actual) bytes, expected \(expected) (truncated or not the binary version?). "
                + "Download \(CIFARError.source)"
        case let .badLabel(path, record, label, classes):
            return "CIFAR file \(path): record \(record) has label \(label), expected 0..<\(classes)"
        case let .badNames(path, expected, actual):
            return "CIFAR label names \(path): \(actual) names, expected \(expected). Download \(CIFARError.source)"
        }
    }
}

/// Readers for the binary CIFAR archives. Images come back in file order; pixels are converted from
/// the files' R, G, B planes (32×32, row-major) to `Image`'s interleaved layout.
public enum CIFAR {
    /// Which part of a dataset to read.
    public enum Split: Sendable { case train, test }

    /// Reads CIFAR-10 from `cifar-10-batches-bin/`: `data_batch_1…5.bin` (train) or `test_batch.bin`,
    /// each `recordsPerFile` records of 1 label byte + 3072 pixel bytes, and `batches.meta.txt`.
    /// `recordsPerFile` is 10,000 for the official files; tests pass smaller counts.
    public static func load10(directory: String, split: Split, recordsPerFile: Int = 10_000) throws -> LabeledImages {
        let names = try readNames(directory + "/batches.meta.txt", count: 10)
        let files = split == .train ? (1...5).map { "data_batch_\($0).bin" } : ["test_batch.bin"]
        var images: [Image] = [], labels: [Int] = []
        for f in files {
            let path = directory + "/" + f
            let bytes = try readExact(path, bytes: recordsPerFile * 3073)
            let first = images.count
            try decode(bytes, path: path, records: recordsPerFile, labelBytes: 1) { lab, img in
                guard lab[0] < 10 else {
                    throw CIFARError.badLabel(path: path, record: images.count - first, label: lab[0], classes: 10)
                }
                labels.append(lab[0]); images.append(img)
            }
        }
        return LabeledImages(images: images, labels: labels, classNames: names)
    }

    /// Reads CIFAR-100 from `cifar-100-binary/`: `train.bin` (50,000 records) or `test.bin` (10,000),
    /// each record coarse label byte, fine label byte, 3072 pixel bytes; names from
    /// `fine_label_names.txt` and `coarse_label_names.txt`. `labels` are the fine labels.
    public static func load100(directory: String, split: Split,
                               trainRecords: Int = 50_000, testRecords: Int = 10_000) throws -> LabeledImages {
        let fine = try readNames(directory + "/fine_label_names.txt", count: 100)
        let coarse = try readNames(directory + "/coarse_label_names.txt", count: 20)
        let records = split == .train ? trainRecords : testRecords
        let path = directory + (split == .train ? "/train.bin" : "/test.bin")
        let bytes = try readExact(path, bytes: records * 3074)
        var images: [Image] = [], labels: [Int] = [], coarseLabels: [Int] = []
        images.reserveCapacity(records)
        try decode(bytes, path: path, records: records, labelBytes: 2) { lab, img in
            guard lab[0] < 20 else { throw CIFARError.badLabel(path: path, record: images.count, label: lab[0], classes: 20) }
            guard lab[1] < 100 else { throw CIFARError.badLabel(path: path, record: images.count, label: lab[1], classes: 100) }
            coarseLabels.append(lab[0]); labels.append(lab[1]); images.append(img)
        }
        return LabeledImages(images: images, labels: labels, classNames: fine,
                             coarseLabels: coarseLabels, coarseClassNames: coarse)
    }

    /// One record's 3072 plane-major bytes (R plane, G plane, B plane) as an interleaved 32×32 image.
    public static func image(planes: UnsafeBufferPointer<UInt8>) -> Image {
        precondition(planes.count == 3072, "a CIFAR record has 3072 pixel bytes, got \(planes.count)")
        var px = [UInt8](repeating: 0, count: 3072)
        px.withUnsafeMutableBufferPointer { dst in
            for i in 0..<1024 {
                dst[3 * i] = planes[i]; dst[3 * i + 1] = planes[1024 + i]; dst[3 * i + 2] = planes[2048 + i]
            }
        }
        return Image(width: 32, height: 32, pixels: px)
    }

    // MARK: - Helpers

    private static func decode(_ bytes: [UInt8], path: String, records: Int, labelBytes: Int,
                               _ body: ([Int], Image) throws -> Void) throws {
        let recordSize = labelBytes + 3072
        try bytes.withUnsafeBufferPointer { buf in
            for r in 0..<records {
                let base = r * recordSize
                let labels = (0..<labelBytes).map { Int(buf[base + $0]) }
                let planes = UnsafeBufferPointer(rebasing: buf[(base + labelBytes)..<(base + recordSize)])
                try body(labels, image(planes: planes))
            }
        }
    }

    private static func readExact(_ path: String, bytes expected: Int) throws -> [UInt8] {
        guard FileManager.default.fileExists(atPath: path) else {
            throw CIFARError.missingFile(path: path, expectedBytes: expected)
        }
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        guard data.count == expected else {
            throw CIFARError.wrongSize(path: path, expectedBytes: expected, actualBytes: data.count)
        }
        return [UInt8](data)
    }

    private static func readNames(_ path: String, count: Int) throws -> [String] {
        guard FileManager.default.fileExists(atPath: path) else {
            throw CIFARError.missingFile(path: path, expectedBytes: nil)
        }
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let names = text.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard names.count == count else { throw CIFARError.badNames(path: path, expected: count, actual: names.count) }
        return names
    }
}
