// The fuzz targets: each feeds one input to one of Loom's readers of untrusted bytes and ignores thrown errors.
// A target passes an input when the reader returns or throws; a trap, a sanitizer report, a hang or runaway memory
// is a finding. Adding a reader (a JPEG decoder, say) is one entry in `FuzzTarget.all` plus a seed folder under
// Fuzz/Corpus/<name>/ (and, if generated, a case in Seeds.swift).
import Engine
import Experiments
import Foundation
import Notebook
import Vision

/// One fuzz target: a name for LOOM_FUZZ_TARGET and scripts/fuzz.sh, and the code that reads one input.
struct FuzzTarget {
    let name: String
    let run: ([UInt8]) -> Void

    static let all: [FuzzTarget] = [
        FuzzTarget(name: "cell", run: cell),
        FuzzTarget(name: "frontmatter", run: frontMatter),
        FuzzTarget(name: "document", run: document),
        FuzzTarget(name: "safetensors", run: safetensors),
        FuzzTarget(name: "png", run: png),
        FuzzTarget(name: "cifar", run: cifar),
        FuzzTarget(name: "checkpoint", run: checkpoint),
        FuzzTarget(name: "store", run: store),
    ]

    /// The vocabulary `loom` checks notebooks against.
    static let registry = Vocabulary.registry()

    /// A private folder for targets whose reader takes a path; removed at exit.
    static let scratch: String = {
        let dir = NSTemporaryDirectory() + "loom-fuzz-\(getpid())"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: FuzzTarget.scratch) }
        return dir
    }()

    static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    // MARK: - Notebook text

    /// One config cell: the lexer, the parser (statement and expression forms) and the checker with the vocabulary.
    static func cell(_ bytes: [UInt8]) {
        let source = text(bytes)
        // As in a notebook: the cell starts on line 3 of the file, its first line indented by two (a list item).
        let cell = Cell(source: source, line: 3, columnOffsets: [2])
        _ = try? CellLexer.tokenize(cell)
        _ = try? CellParser.parseExpression(cell)
        var bindings = Bindings()
        let checked = Checker(registry: registry).check(cell, bindings: &bindings)
        let file = SourceText(fileName: "fuzz.md", text: "```swift config\n\n" + source.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n"))
        _ = checked.diagnostics.rendered(in: file)
    }

    /// The YAML front matter block, then the notebook default backend it may name.
    static func frontMatter(_ bytes: [UInt8]) {
        let yaml = text(bytes)
        let document = Document(text: "---\n\(yaml)\n---\n\n# Notes\n", fileName: "fuzz.md")
        _ = document.diagnostics.rendered(in: document.source)
        _ = try? NotebookBackend.value(document.frontMatter)
    }

    /// A whole notebook: the Markdown reader (cells, prose, inline results, front matter) and the checker over it.
    static func document(_ bytes: [UInt8]) {
        let markdown = text(bytes)
        let document = Document(text: markdown, fileName: "fuzz.md")
        let check = Checker(registry: registry).check(document)
        _ = check.diagnostics.rendered(in: document.source)
        _ = try? NotebookBackend.value(document.frontMatter)
    }

    // MARK: - Binary files

    /// A safetensors file from memory, every tensor converted as a weights load would.
    static func safetensors(_ bytes: [UInt8]) {
        guard let file = try? SafeTensors.parse(Data(bytes), path: "fuzz.safetensors") else { return }
        for name in file.names { _ = try? file.tensor(name) }
    }

    /// A PNG from memory through libpng's simplified API.
    static func png(_ bytes: [UInt8]) {
        _ = try? PNG.decode(bytes, name: "fuzz.png")
    }

    /// A CIFAR folder built from the input: byte 0 picks CIFAR-10 or -100 and the split, then label-name text,
    /// a NUL, (CIFAR-100) the coarse names and a NUL, then records. The record count is what the data's size
    /// suggests, so whole records decode and a partial one is a size error.
    static func cifar(_ bytes: [UInt8]) {
        guard let mode = bytes.first else { return }
        let parts = bytes.dropFirst().split(separator: 0, maxSplits: 2, omittingEmptySubsequences: false)
        let dir = scratch + "/cifar"
        try? FileManager.default.removeItem(atPath: dir)
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        func put(_ name: String, _ part: ArraySlice<UInt8>?) {
            _ = FileManager.default.createFile(atPath: dir + "/" + name, contents: Data(part ?? []))
        }
        let split: CIFAR.Split = mode & 2 == 0 ? .test : .train
        if mode & 1 == 0 {
            let data = parts.count > 1 ? parts[1...].joined(separator: [0]).map { $0 } : []
            put("batches.meta.txt", parts.first)
            let records = max(1, data.count / 3073)
            for name in split == .test ? ["test_batch.bin"] : (1...5).map({ "data_batch_\($0).bin" }) { put(name, data[...]) }
            _ = try? CIFAR.load10(directory: dir, split: split, recordsPerFile: records)
        } else {
            let data = parts.count > 2 ? parts[2] : []
            put("fine_label_names.txt", parts.first)
            put("coarse_label_names.txt", parts.count > 1 ? parts[1] : nil)
            put(split == .train ? "train.bin" : "test.bin", data)
            let records = max(1, data.count / 3074)
            _ = try? CIFAR.load100(directory: dir, split: split, trainRecords: records, testRecords: records)
        }
    }

    /// A training checkpoint loaded into a small model and its optimizer. When byte 0 is odd the rest is parsed as
    /// safetensors and written back with a matching checksum, so the fuzzer reaches the state-dict loading that the
    /// checksum guards; otherwise the rest is the file as is.
    static func checkpoint(_ bytes: [UInt8]) {
        guard let mode = bytes.first else { return }
        var file = Data(bytes.dropFirst())
        if mode & 1 == 1 {
            guard let parsed = try? SafeTensors.parse(file, path: "fuzz"),
                  let tensors = try? Dictionary(uniqueKeysWithValues: parsed.names.map { ($0, try parsed.tensor($0)) })
            else { return }
            var meta = parsed.metadata
            meta["checksum"] = Seeds.checkpointChecksum(tensors)
            guard let rewritten = try? SafeTensors.serialize(tensors, metadata: meta) else { return }
            file = rewritten
        }
        let path = scratch + "/checkpoint.safetensors"
        _ = FileManager.default.createFile(atPath: path, contents: file)
        let (model, optimizer) = Seeds.checkpointModel()
        _ = try? Checkpoint.load(path: path, model: model, optimizer: optimizer, fingerprint: Seeds.fingerprint)
    }

    /// A results store opened from the input's bytes, then read the way `loom runs` and `loom export` read it.
    static func store(_ bytes: [UInt8]) {
        let path = scratch + "/store.sqlite"
        for suffix in ["", "-wal", "-shm", "-journal"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        guard let store = try? ResultsStore(path: path) else { return }
        _ = try? store.appliedMigrations()
        if let runs = try? store.runs() {
            for run in runs.prefix(8) {
                _ = try? store.epochs(key: run.key)
                _ = try? store.artifacts(of: run.key)
            }
        }
        _ = try? store.results()
    }
}
