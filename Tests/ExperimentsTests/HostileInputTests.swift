// The hostile-input suite (issue 14): a table of broken and malicious inputs run through the built `loom` binary,
// each with its expected exit status, a fragment of its message, and what must hold of the results store afterwards.

import Engine
import Experiments
import Foundation
import GRDB
@testable import Notebook
import Testing
import Vision

/// What must hold of the results store after a case ran.
enum StoreAfter: Sendable {
    /// No store file exists (none did before; the command must not create one).
    case absent
    /// Every file in the case's folder (the prepared store, a foreign database) is byte for byte the same: refused
    /// input, or a read-only command. SQLite's `-wal`/`-shm` side files of a reader are not counted.
    case unchanged
    /// The store passes SQLite's integrity check and holds no run left `running`.
    case consistent
}

/// One row of the table. Paths in `arguments` and `shell` are relative to the case's own folder (the working
/// directory); `store` is always `out/loom.sqlite`.
struct HostileCase: Sendable, CustomTestStringConvertible {
    let name: String
    /// Files written into the case's folder before the command: relative path → bytes.
    var files: [String: Data] = [:]
    let arguments: [String]
    /// A shell redirection applied to `loom` (e.g. `>/dev/full`, `>&-`), run as `sh -c 'exec loom ARGS REDIRECT'`.
    var redirect: String? = nil
    let status: Int32
    let fragment: String
    var store: StoreAfter
    /// Whether a store with one finished run is written to `out/loom.sqlite` first.
    var prepareStore = false

    var testDescription: String { name }
}

/// Builders for the table's inputs.
enum Hostile {
    static func text(_ s: String) -> Data { Data(s.utf8) }

    static func notebook(_ cell: String, frontMatter: String = "") -> Data {
        text(frontMatter + "# Hostile\n\nSome prose.\n\n```swift config\n\(cell)\n```\n")
    }

    /// A cheap experiment cell on `data`: one epoch of a tiny ResNet, or evaluation only when `extra` gives weights.
    static func evaluate(_ data: String, extra: String = "") -> Data {
        notebook("let e = Experiment(model: .resnet(layers: [1], channels: [4], width: 4, classes: 2), data: \(data), "
                 + "epochs: \(extra.contains("weights:") ? 0 : 1), batchSize: 4\(extra))\nTable(e)")
    }

    static let tinyShapes = ".shapes(classes: 2, size: 8, train: 8, test: 4)"
    static let tinyModel = ".resnet(layers: [1], channels: [4], classes: 2)"

    /// Weights of ``tinyModel`` as safetensors bytes.
    static let tinyWeights: Data = {
        guard let spec = try? ModelExpression.parse(tinyModel), let data = try? SafeTensors.serialize(spec.build(seed: 1).stateDict())
        else { return Data() }
        return data
    }()

    /// A PNG whose header declares `width`×`height` pixels but carries almost no data: a decompression bomb.
    static func pngBomb(width: UInt32, height: UInt32) -> Data {
        func chunk(_ type: String, _ body: [UInt8]) -> [UInt8] {
            let typed = Array(type.utf8) + body
            return be32(UInt32(body.count)) + typed + be32(crc32(typed))
        }
        let ihdr = be32(width) + be32(height) + [8, 2, 0, 0, 0]  // 8-bit RGB
        let idat: [UInt8] = [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]  // an empty zlib stream
        return Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", ihdr) + chunk("IDAT", idat) + chunk("IEND", []))
    }

    static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            c ^= UInt32(b)
            for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        }
        return ~c
    }

    static func png(_ side: Int, shade: UInt8 = 128) -> Data {
        var image = Image(width: side, height: side)
        for y in 0..<side { for x in 0..<side { for c in 0..<3 { image[x: x, y: y, c: c] = shade &+ UInt8((x + y + c) % 7) } } }
        return Data((try? PNG.encode(image)) ?? [])
    }

    /// A two-class image folder `root/{train,val}/{a,b}/*.png` of `side`-pixel images, plus `extra` files.
    static func imageFolder(_ root: String, side: Int = 8, extra: [String: Data] = [:]) -> [String: Data] {
        var files: [String: Data] = extra
        for split in ["train", "val"] {
            for (k, cls) in ["a", "b"].enumerated() {
                for i in 0..<2 { files["\(root)/\(split)/\(cls)/\(i).png"] = png(side, shade: UInt8(40 + 100 * k + i)) }
            }
        }
        return files
    }

    /// A safetensors file with one tensor whose header is `entry`.
    static func safetensors(_ entry: String, body: Int) -> Data {
        let header = Data("{\"w\":\(entry)}".utf8)
        var d = Data()
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { d.append(contentsOf: $0) }
        return d + header + Data(count: body)
    }

    /// Nine levels of `x: &x [*w, …]` (the issue's alias bomb).
    static let aliasBomb: String = {
        var lines = ["---", "title: bomb", "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]"]
        var previous = "a"
        for name in ["b", "c", "d", "e", "f", "g", "h", "i"] {
            lines.append("\(name): &\(name) [" + Array(repeating: "*" + previous, count: 9).joined(separator: ",") + "]")
            previous = name
        }
        return lines.joined(separator: "\n") + "\n---\n"
    }()

    static let cases: [HostileCase] = [
        // Already solid before issue 14.
        HostileCase(name: "a typo in a cell is located", files: ["nb.md": notebook("let e = Experiment(model: .resnet(depth: 18), epoch: 3)")],
                    arguments: ["plan", "nb.md", "--output", "out"], status: 1,
                    fragment: "nb.md:6:47: error: unknown argument `epoch` for `Experiment`; did you mean `epochs`?", store: .absent),
        HostileCase(name: "an injected <script> is escaped in the report",
                    files: ["nb.md": text("---\ntitle: \"<script>alert(1)</script>\"\n---\n# <script>alert(2)</script>\n\n```swift config\nlet e = Experiment(model: .resnet(depth: 18, classes: 2), data: .imageFolder(path: \"<script>alert(3)</script>\"))\nTable(e)\n```\n")],
                    arguments: ["render", "nb.md", "--output", "out"], status: 0, fragment: "report: out/nb.html", store: .consistent),
        HostileCase(name: "--where injection is refused", arguments: ["runs", "--store", "out/loom.sqlite", "--where", "top1>=0; DROP TABLE runs"],
                    status: 64, fragment: "cannot read condition", store: .unchanged, prepareStore: true),
        HostileCase(name: "a corrupt safetensors header is caught", files: ["w.safetensors": safetensors("{not json", body: 4), "i.png": png(8)],
                    arguments: ["predict", "--model", ".resnet(layers: [1], channels: [4], classes: 2)", "--weights", "w.safetensors", "i.png"],
                    status: 1, fragment: "header is not a JSON object", store: .absent),
        HostileCase(name: "corrupt weights: in a run are a failed run, not a crash",
                    files: ["nb.md": evaluate(tinyShapes, extra: ", weights: \"w.safetensors\""), "w.safetensors": text("garbage")],
                    arguments: ["run", "nb.md", "--output", "out"], status: 2, fragment: "w.safetensors", store: .consistent),
        // 1. Slurm injection.
        HostileCase(name: "a newline in a Slurm partition is refused",
                    files: ["nb.md": evaluate(tinyShapes, extra: ", backend: .torch(python: \"python3$(touch MARK_X)\", launcher: .slurm(partition: \"gpu\\ntouch MARK_Y\", options: [\"--constraint=a100\\necho Z\"]))")],
                    arguments: ["plan", "nb.md", "--output", "out"], status: 1, fragment: "`.slurm(partition:)` \"gpu\\ntouch MARK_Y\" contains the control character U+000A", store: .absent),
        HostileCase(name: "a shell command as a Slurm time is refused",
                    files: ["nb.md": evaluate(tinyShapes, extra: ", backend: .torch(launcher: .slurm(time: \"1:00:00; touch MARK\"))")],
                    arguments: ["run", "nb.md", "--output", "out"], status: 1, fragment: "is not Slurm's time syntax", store: .consistent),
        // 2. YAML alias bomb.
        HostileCase(name: "a YAML alias bomb in front matter", files: ["nb.md": text(aliasBomb + "# x\n")],
                    arguments: ["plan", "nb.md", "--output", "out"], status: 1, fragment: "more than 64 YAML aliases", store: .absent),
        HostileCase(name: "deeply nested YAML flow collections", files: ["nb.md": text("---\nx: " + String(repeating: "[", count: 5000) + "\n---\n# x\n")],
                    arguments: ["plan", "nb.md", "--output", "out"], status: 1, fragment: "nests `[`/`{` more than 64 levels", store: .absent),
        HostileCase(name: "oversized front matter", files: ["nb.md": text("---\ntitle: " + String(repeating: "a", count: 70_000) + "\n---\n# x\n")],
                    arguments: ["plan", "nb.md", "--output", "out"], status: 1, fragment: "the limit is 65536 bytes", store: .absent),
        // 3. Decompression bombs.
        HostileCase(name: "a PNG declaring 20000×20000 to predict", files: ["bomb.png": pngBomb(width: 20_000, height: 20_000),
                                                                             "w.safetensors": tinyWeights],
                    arguments: ["predict", "--model", tinyModel, "--weights", "w.safetensors", "bomb.png"],
                    status: 1, fragment: "bomb.png: its header declares 20000×20000 pixels", store: .absent),
        HostileCase(name: "a PNG bomb in an image folder",
                    files: imageFolder("imgs", extra: ["imgs/train/a/bomb.png": pngBomb(width: 20_000, height: 20_000),
                                                       "nb.md": evaluate(".imageFolder(path: \"imgs\")")]),
                    arguments: ["run", "nb.md", "--output", "out"], status: 2,
                    fragment: "imgs/train/a/bomb.png: its header declares 20000×20000 pixels (381 megapixels), more than Loom's limit of 64",
                    store: .consistent),
        // An image folder is read per batch: a bad file found while evaluating fails the run, naming the file.
        HostileCase(name: "a non-image file in a resized image folder fails its run",
                    files: imageFolder("imgs", extra: ["imgs/val/b/junk.jpg": Data("not an image".utf8),
                                                       "nb.md": evaluate(".imageFolder(path: \"imgs\")", extra: ", augment: [.resize(size: 8)]")]),
                    arguments: ["run", "nb.md", "--output", "out"], status: 2,
                    fragment: "imgs/val/b/junk.jpg", store: .consistent),
        // 5. Deep nesting in cells and model expressions.
        HostileCase(name: "4000 nested brackets in a cell", files: ["nb.md": notebook("let a = " + String(repeating: "[", count: 4000) + "1" + String(repeating: "]", count: 4000))],
                    arguments: ["plan", "nb.md", "--output", "out"], status: 1, fragment: "'[' nested more than 64 levels deep", store: .absent),
        HostileCase(name: "4000 nested calls in a cell", files: ["nb.md": notebook("let a = " + String(repeating: "f(", count: 4000) + "1" + String(repeating: ")", count: 4000))],
                    arguments: ["plan", "nb.md", "--output", "out"], status: 1, fragment: "'(' nested more than 64 levels deep", store: .absent),
        HostileCase(name: "4000 chained calls in a cell",
                    files: ["nb.md": notebook("let a = Experiment(model: .resnet(depth: 18))" + String(repeating: ".with(epochs: 1)", count: 4000))],
                    arguments: ["plan", "nb.md", "--output", "out"], status: 1, fragment: "nested more than 64 levels deep", store: .absent),
        HostileCase(name: "deep arrays in --model", files: ["i.png": png(8), "w.safetensors": tinyWeights],
                    arguments: ["predict", "--model", ".resnet(layers: " + String(repeating: "[", count: 4000) + ")", "--weights", "w.safetensors", "i.png"],
                    status: 1, fragment: "'[' nested more than 64 levels deep", store: .absent),
        // 6. Mixed image sizes.
        HostileCase(name: "one 24×24 image among 16×16 ones",
                    files: imageFolder("imgs", side: 16, extra: ["imgs/train/b/odd.png": png(24), "nb.md": evaluate(".imageFolder(path: \"imgs\")")]),
                    arguments: ["run", "nb.md", "--output", "out"], status: 2,
                    fragment: "imgs/train/b/odd.png is 24×24, but ", store: .consistent),
        HostileCase(name: "mixed sizes name the resize that fixes them",
                    files: imageFolder("imgs", side: 16, extra: ["imgs/train/b/odd.png": png(24), "nb.md": evaluate(".imageFolder(path: \"imgs\")")]),
                    arguments: ["run", "nb.md", "--output", "out"], status: 2,
                    fragment: "/imgs/train/a/0.png and 3 other images are 16×16; a batch needs one size: add `.resize(size: 16)`", store: .consistent),
        // 7. safetensors shape overflow.
        HostileCase(name: "a safetensors shape that overflows", files: ["w.safetensors": safetensors(#"{"dtype":"F32","shape":[3037000500,3037000500,4],"data_offsets":[0,16]}"#, body: 16),
                                                                      "i.png": png(8)],
                    arguments: ["predict", "--model", ".resnet(layers: [1], channels: [4], classes: 2)", "--weights", "w.safetensors", "i.png"],
                    status: 1, fragment: "the size overflows", store: .absent),
        HostileCase(name: "negative safetensors offsets", files: ["w.safetensors": safetensors(#"{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}"#, body: 8),
                                                                "i.png": png(8)],
                    arguments: ["predict", "--model", ".resnet(layers: [1], channels: [4], classes: 2)", "--weights", "w.safetensors", "i.png"],
                    status: 1, fragment: "data_offsets [-8, 0] are negative", store: .absent),
        HostileCase(name: "an overflowing shape through weights:",
                    files: ["nb.md": evaluate(tinyShapes, extra: ", weights: \"w.safetensors\""),
                            "w.safetensors": safetensors(#"{"dtype":"F32","shape":[3037000500,3037000500,4],"data_offsets":[0,16]}"#, body: 16)],
                    arguments: ["run", "nb.md", "--output", "out"], status: 2, fragment: "the size overflows", store: .consistent),
        // 8. Output errors.
        HostileCase(name: "export to a full disk", arguments: ["export", "--json", "--store", "out/loom.sqlite"], redirect: ">/dev/full",
                    status: 74, fragment: "cannot write to standard output: No space left on device", store: .unchanged, prepareStore: true),
        HostileCase(name: "export with stdout closed", arguments: ["export", "--csv", "--store", "out/loom.sqlite"], redirect: ">&-",
                    status: 74, fragment: "standard output is closed", store: .unchanged, prepareStore: true),
        HostileCase(name: "run with stderr closed", files: ["nb.md": evaluate(tinyShapes)],
                    arguments: ["run", "nb.md", "--output", "out"], redirect: "2>&-", status: 0, fragment: "report: out/nb.html", store: .consistent),
        HostileCase(name: "runs to a full disk", arguments: ["runs", "--store", "out/loom.sqlite"], redirect: ">/dev/full",
                    status: 74, fragment: "cannot write to standard output", store: .unchanged, prepareStore: true),
        // 9. A foreign database.
        HostileCase(name: "runs on a foreign database", arguments: ["runs", "--store", "other.sqlite"], status: 1,
                    fragment: "other.sqlite is a SQLite database but not a Loom results store (its tables: notes)", store: .unchanged),
        HostileCase(name: "run into a foreign database", files: ["nb.md": evaluate(tinyShapes)],
                    arguments: ["run", "nb.md", "--output", "foreign"], status: 1, fragment: "not a Loom results store", store: .unchanged),
        HostileCase(name: "plan never creates a store", files: ["nb.md": evaluate(tinyShapes)],
                    arguments: ["plan", "nb.md", "--output", "out"], status: 0, fragment: "will run", store: .absent),
        HostileCase(name: "plan reads an existing store read-only", files: ["nb.md": evaluate(tinyShapes)],
                    arguments: ["plan", "nb.md", "--output", "out"], status: 0, fragment: "will run", store: .unchanged, prepareStore: true),
        // 10. Absurd numbers.
        HostileCase(name: "epochs: Int.max", files: ["nb.md": notebook("let e = Experiment(model: .resnet(depth: 18), epochs: 9223372036854775807)")],
                    arguments: ["run", "nb.md", "--output", "out"], status: 1, fragment: "`epochs` of `Experiment` must be in 0...10000",
                    store: .consistent),
        HostileCase(name: "an integer literal beyond Int", files: ["nb.md": notebook("let e = Experiment(model: .resnet(depth: 18), epochs: 99999999999999999999999)")],
                    arguments: ["plan", "nb.md", "--output", "out"], status: 1, fragment: "nb.md:6:", store: .absent),
        HostileCase(name: "--threads 0", files: ["nb.md": evaluate(tinyShapes)], arguments: ["run", "nb.md", "--threads", "0"],
                    status: 64, fragment: "--threads must be in 1...1024", store: .absent),
        // 11. Messages.
        HostileCase(name: "a notebook that is not UTF-8", files: ["nb.md": Data("# t\n\nabc \u{FF}".utf8.map { $0 == 0xC3 ? 0xFF : $0 })],
                    arguments: ["plan", "nb.md"], status: 1, fragment: "nb.md: is not UTF-8: byte 9 (line 3, column 5) is 0xFF", store: .absent),
        HostileCase(name: "a notebook that is a directory", files: ["dir.md/x": text("x")], arguments: ["plan", "dir.md"], status: 1,
                    fragment: "dir.md: is a directory", store: .absent),
        HostileCase(name: "/dev/stdin as the notebook", arguments: ["run", "/dev/stdin", "--output", "out"], status: 1,
                    fragment: "/dev/stdin: is not a regular file", store: .absent),
        HostileCase(name: "--output \"\"", files: ["nb.md": evaluate(tinyShapes)], arguments: ["run", "nb.md", "--output", ""], status: 64,
                    fragment: "--output is empty", store: .absent),
        HostileCase(name: "export -o \"\"", arguments: ["export", "--csv", "--store", "out/loom.sqlite", "-o", ""], status: 64,
                    fragment: "--output is empty", store: .unchanged, prepareStore: true),
        HostileCase(name: "an unclosed code fence", files: ["nb.md": text("# t\n\nProse.\n\n```swift config\nlet e = Experiment(model: .resnet(depth: 18))\n\nMore prose, with a colon: here.\n")],
                    arguments: ["plan", "nb.md", "--output", "out"], status: 1, fragment: "nb.md:5:1: error: this ```swift config cell is never closed",
                    store: .absent),
        HostileCase(name: "--force with an unknown binding", files: ["nb.md": evaluate(tinyShapes)],
                    arguments: ["run", "nb.md", "--output", "out", "--force", "nosuch"], status: 1,
                    fragment: "--force nosuch: nb.md has no binding named `nosuch` (bindings: e)", store: .consistent),
        HostileCase(name: "--where with an unknown column", arguments: ["runs", "--store", "out/loom.sqlite", "--where", "nosuch>1"], status: 1,
                    fragment: "no run in the store has a metric named `nosuch` (metrics: params, top1)", store: .unchanged, prepareStore: true),
        HostileCase(name: "--where with a misspelt column", arguments: ["export", "--csv", "--store", "out/loom.sqlite", "--where", "top>0.5"], status: 1,
                    fragment: "did you mean `top1`?", store: .unchanged, prepareStore: true),
        HostileCase(name: "a missing image-folder root", files: ["nb.md": evaluate(".imageFolder(path: \"nowhere\")")],
                    arguments: ["run", "nb.md", "--output", "out"], status: 3, fragment: "image folder not found: ", store: .consistent),
        HostileCase(name: "a store path that is a directory", files: ["out/loom.sqlite/x": text("x")], arguments: ["runs", "--store", "out/loom.sqlite"],
                    status: 1, fragment: "it is a directory", store: .unchanged),
        HostileCase(name: "a store that is not a database", files: ["out/loom.sqlite": text(String(repeating: "not sqlite ", count: 100))],
                    arguments: ["runs", "--store", "out/loom.sqlite"], status: 1, fragment: "the file is not a SQLite database", store: .unchanged),
    ]
}

@Suite struct HostileInputTests {
    /// Runs one case in a fresh folder and checks status, message, signal and store.
    @Test(arguments: Hostile.cases)
    func hostileInput(_ c: HostileCase) throws {
        let dir = try HostileFolder()
        for (path, bytes) in c.files { try dir.write(path, bytes) }
        if c.arguments.contains("other.sqlite") { try dir.foreignDatabase("other.sqlite") }
        if c.arguments.contains("foreign") { try dir.foreignDatabase("foreign/loom.sqlite") }
        let store = dir.path + "/out/loom.sqlite"
        if c.prepareStore { try dir.prepareStore(store) }
        let before = try dir.snapshot()
        let storeWasThere = FileManager.default.fileExists(atPath: store)

        let r = try LoomRunner.run(c.arguments, in: dir.path, redirect: c.redirect)
        let output = r.stdout + r.stderr
        #expect(r.exited && r.status < 128, "\(c.name): loom died of a signal or crashed (status \(r.status)): \(output.suffix(2_000))")
        #expect(r.status == c.status, "\(c.name): exit status \(r.status), expected \(c.status): \(output.suffix(2_000))")
        #expect(c.fragment.isEmpty || output.contains(c.fragment), "\(c.name): no '\(c.fragment)' in: \(output.suffix(3_000))")
        #expect(!output.contains("NSCocoaErrorDomain") && !output.contains("Fatal error") && !output.contains("delete the file"),
                "\(c.name): \(output.suffix(2_000))")

        switch c.store {
        case .absent:
            #expect(!storeWasThere && !FileManager.default.fileExists(atPath: store), "\(c.name): a store was created at \(store)")
            #expect(!FileManager.default.fileExists(atPath: dir.path + "/output"), "\(c.name): an output folder was created")
        case .unchanged:
            let sideFiles = { (k: String) in k.hasSuffix("-wal") || k.hasSuffix("-shm") }
            #expect(try dir.snapshot().filter { !sideFiles($0.key) } == before.filter { !sideFiles($0.key) },
                    "\(c.name): files in the folder changed")
        case .consistent:
            if FileManager.default.fileExists(atPath: store) {
                let s = try ResultsStore(readingAt: store)
                #expect(try s.runs().allSatisfy { $0.status != .running }, "\(c.name): a run was left running")
                #expect(try s.integrityCheck() == "ok")
            }
        }
        // The Slurm rows' markers, and the HTML row's escaping.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).allSatisfy { !$0.hasPrefix("MARK") },
                "\(c.name): an injected command ran")
        if c.name.contains("<script>"), let html = FileManager.default.contents(atPath: dir.path + "/out/nb.html") {
            let text = String(decoding: html, as: UTF8.self)
            #expect(!text.contains("<script>alert"), "a <script> from the notebook reached the report unescaped")
            #expect(text.contains("&lt;script&gt;alert(1)"))
        }
    }

    /// Issue 14, defect 4 (and the invariant "every cached result is keyed by the content of everything it read"):
    /// overwriting the `weights:` file changes the run key, so the old top-1 is not reused; a teacher that is such a
    /// run passes the change on to its student; an image folder's contents are keyed, not its file names.
    @Test func overwrittenInputsAreNotServedFromTheCache() throws {
        let dir = try HostileFolder()
        let model = ".resnet(layers: [1], channels: [4], width: 4, classes: 2)"
        func weights(_ seed: UInt64) throws {
            try SafeTensors.write(try ModelExpression.parse(model).build(seed: seed).stateDict(), to: dir.path + "/w.safetensors")
        }
        try weights(1)
        for (path, bytes) in Hostile.imageFolder("imgs") { try dir.write(path, bytes) }
        try dir.write("nb.md", Hostile.notebook("""
            let e = Experiment(model: \(model), data: .imageFolder(path: "imgs"), epochs: 0, batchSize: 4, weights: "w.safetensors")
            let s = Experiment(model: \(model), data: .imageFolder(path: "imgs"), epochs: 1, batchSize: 4, teacher: e)
            Table(e)
            """))
        func plan() throws -> [String: (state: String, key: String)] {
            let r = try LoomRunner.run(["plan", "nb.md", "--output", "out"], in: dir.path)
            #expect(r.exited && r.status == 0, "\(r.stderr)")
            var rows: [String: (String, String)] = [:]
            for line in r.stdout.split(separator: "\n") {
                let cols = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
                guard cols.count >= 6, cols[1] == "e" || cols[1] == "s" else { continue }
                let state = cols.contains("cached") ? "cached" : cols.contains("resume") ? "will resume" : "will run"
                rows[cols[1]] = (state, cols.last!)
            }
            return rows
        }
        let r1 = try LoomRunner.run(["run", "nb.md", "--output", "out"], in: dir.path)
        #expect(r1.exited && r1.status == 0, "\(r1.stderr)")
        let first = try plan()
        #expect(first["e"]?.state == "cached" && first["s"]?.state == "cached", "\(first)")

        try weights(2)  // other weights, same size and name
        let second = try plan()
        #expect(second["e"]?.state == "will run" && second["e"]?.key != first["e"]?.key, "\(second)")
        #expect(second["s"]?.key != first["s"]?.key, "the student of a changed teacher kept its key: \(second)")

        try weights(1)  // back to the first weights: the first results are valid again
        #expect(try plan()["e"]?.state == "cached")
        try dir.write("imgs/val/a/0.png", Hostile.png(8, shade: 7))  // one image's pixels, same file name
        let third = try plan()
        #expect(third["e"]?.key != first["e"]?.key && third["e"]?.state == "will run", "\(third)")
    }

    /// Invariant: a read-only command never writes — neither the store nor anything beside it.
    @Test func readOnlyCommandsLeaveTheFolderAsItWas() throws {
        let dir = try HostileFolder()
        let store = dir.path + "/out/loom.sqlite"
        try dir.prepareStore(store)
        try dir.write("nb.md", Hostile.evaluate(Hostile.tinyShapes))
        let before = try dir.snapshot()
        for arguments in [["runs", "--store", "out/loom.sqlite"], ["export", "--json", "--store", "out/loom.sqlite"],
                          ["export", "--csv", "--store", "out/loom.sqlite", "--status", "failed"],
                          ["export", "--summary", "aaaa1111", "--store", "out/loom.sqlite"], ["plan", "nb.md", "--output", "out"]] {
            let r = try LoomRunner.run(arguments, in: dir.path)
            #expect(r.exited && r.status == 0, "\(arguments): \(r.stderr)")
        }
        let after = try dir.snapshot()
        #expect(after.filter { !$0.key.hasSuffix("-shm") && !$0.key.hasSuffix("-wal") } == before, "a read-only command changed files")
    }

    /// Invariant: no run is left `running` after its process ends — here by Ctrl-C in the middle of training. The run
    /// is stored as interrupted and the next `loom run` resumes and finishes it, past a damaged checkpoint, to the
    /// same result as an uninterrupted run.
    @Test(.timeLimit(.minutes(3))) func ctrlCLeavesNoRunRunning() throws {
        let dir = try HostileFolder()
        try dir.write("nb.md", Hostile.notebook("""
            let e = Experiment(model: .resnet(layers: [1], channels: [8], width: 8, classes: 2),
                               data: .shapes(classes: 2, size: 16, train: 256, test: 16), epochs: 4, batchSize: 8)
            """))
        let r = try LoomRunner.run(["run", "nb.md", "--output", "out"], in: dir.path, interruptWhenStderrContains: "epoch 1/4")
        #expect(r.exited && r.status == 130, "status \(r.status): \(r.stderr.suffix(1_500))")
        let store = try ResultsStore(readingAt: dir.path + "/out/loom.sqlite")
        let runs = try store.runs()
        #expect(runs.count == 1 && runs[0].status == .interrupted, "\(runs.map(\.status))")
        // The newest checkpoint is damaged as well (already solid: the previous one is used, with a warning).
        let checkpoint = dir.path + "/out/checkpoints/\(runs[0].key)/checkpoint.safetensors"
        #expect(FileManager.default.fileExists(atPath: checkpoint))
        try Data("not a checkpoint".utf8).write(to: URL(fileURLWithPath: checkpoint))
        let again = try LoomRunner.run(["run", "nb.md", "--output", "out"], in: dir.path)
        #expect(again.exited && again.status == 0, "\(again.stderr.suffix(1_500))")
        #expect(again.stderr.contains("trying an older checkpoint"), "\(again.stderr.suffix(1_500))")
        let resumed = try ResultsStore(readingAt: dir.path + "/out/loom.sqlite").runs()
        #expect(resumed.map(\.status) == [.succeeded])
        // Resumed equals uninterrupted (already solid before issue 14): the same run in a fresh folder.
        let reference = try HostileFolder()
        try reference.write("nb.md", try #require(FileManager.default.contents(atPath: dir.path + "/nb.md")))
        let plain = try LoomRunner.run(["run", "nb.md", "--output", "out"], in: reference.path)
        #expect(plain.exited && plain.status == 0, "\(plain.stderr.suffix(1_500))")
        let expected = try ResultsStore(readingAt: reference.path + "/out/loom.sqlite").runs()
        #expect(expected.map(\.key) == resumed.map(\.key))
        #expect(expected.first?.summary["top1"] == resumed.first?.summary["top1"]
                && expected.first?.summary["testLoss"] == resumed.first?.summary["testLoss"],
                "resumed \(resumed.first?.summary ?? [:]) vs uninterrupted \(expected.first?.summary ?? [:])")
    }

    /// Invariant: no run is left `running` after its process ends — even when the process is killed (SIGKILL), which
    /// writes nothing: the next `loom run` finds the run's lock free, stores it as interrupted, and resumes it.
    @Test(.timeLimit(.minutes(3))) func aKilledRunIsSweptAndResumed() throws {
        let dir = try HostileFolder()
        try dir.write("nb.md", Hostile.notebook("""
            let e = Experiment(model: .resnet(layers: [1], channels: [8], width: 8, classes: 2),
                               data: .shapes(classes: 2, size: 16, train: 256, test: 16), epochs: 4, batchSize: 8)
            """))
        let r = try LoomRunner.run(["run", "nb.md", "--output", "out"], in: dir.path, interruptWhenStderrContains: "epoch 1/4",
                                   signal: SIGKILL)
        #expect(!r.exited, "the process was not killed: \(r.stderr.suffix(1_000))")
        #expect(try ResultsStore(readingAt: dir.path + "/out/loom.sqlite").runs().map(\.status) == [.running])
        let listed = try LoomRunner.run(["runs", "--store", "out/loom.sqlite"], in: dir.path)
        #expect(listed.stdout.contains("interrupted*") && listed.stdout.contains("its process ended without finishing"), "\(listed.stdout)")
        let again = try LoomRunner.run(["run", "nb.md", "--output", "out"], in: dir.path)
        #expect(again.exited && again.status == 0, "\(again.stderr.suffix(1_500))")
        #expect(again.stderr.contains("ended without finishing (killed or crashed)"), "\(again.stderr.suffix(1_500))")
        #expect(again.stderr.contains("resuming at epoch"), "\(again.stderr.suffix(1_500))")
        #expect(try ResultsStore(readingAt: dir.path + "/out/loom.sqlite").runs().map(\.status) == [.succeeded])
    }

    /// Two `loom run` processes on one store at once (already solid): both succeed and the store stays consistent.
    @Test func twoProcessesShareOneStore() throws {
        let dir = try HostileFolder()
        try dir.write("a.md", Hostile.evaluate(Hostile.tinyShapes))
        try dir.write("b.md", Hostile.notebook("let f = Experiment(model: .resnet(layers: [1], channels: [4], width: 4, classes: 2), "
                                               + "data: \(Hostile.tinyShapes), epochs: 1, batchSize: 8)\nTable(f)"))
        let notebooks = ["a.md", "b.md"], results = ConcurrentResults(), path = dir.path
        DispatchQueue.concurrentPerform(iterations: 2) { i in
            results.set(i, Result { try LoomRunner.run(["run", notebooks[i], "--output", "out"], in: path) })
        }
        for r in try results.all(2) { #expect(r.exited && r.status == 0, "\(r.stderr.suffix(1_500))") }
        let store = try ResultsStore(readingAt: dir.path + "/out/loom.sqlite")
        #expect(try store.runs().map(\.status) == [.succeeded, .succeeded])
        #expect(try store.integrityCheck() == "ok")
    }
}

/// Results of processes started on concurrent threads.
final class ConcurrentResults: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Int: Result<LoomProcess.Result, Error>] = [:]
    func set(_ i: Int, _ r: Result<LoomProcess.Result, Error>) { lock.lock(); values[i] = r; lock.unlock() }
    func all(_ n: Int) throws -> [LoomProcess.Result] { try (0..<n).map { try values[$0]!.get() } }
}

extension ResultsStore {
    /// SQLite's `PRAGMA integrity_check` ("ok" when the file is sound).
    func integrityCheck() throws -> String? {
        try pool.read { try String.fetchOne($0, sql: "PRAGMA integrity_check") }
    }
}

/// A temporary working folder for one case, removed afterwards.
final class HostileFolder {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("loom-hostile-\(UUID().uuidString)").path
    init() throws { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
    deinit { try? FileManager.default.removeItem(atPath: path) }

    func write(_ relative: String, _ bytes: Data) throws {
        let url = URL(fileURLWithPath: path + "/" + relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try bytes.write(to: url)
    }

    /// A SQLite database of someone else's (one table, `notes`).
    func foreignDatabase(_ relative: String) throws {
        try FileManager.default.createDirectory(atPath: URL(fileURLWithPath: path + "/" + relative).deletingLastPathComponent().path,
                                                withIntermediateDirectories: true)
        let queue = try DatabaseQueue(path: path + "/" + relative)
        try queue.write { try $0.execute(sql: "CREATE TABLE notes (text TEXT); INSERT INTO notes VALUES ('mine')") }
    }

    /// A store with one succeeded run (metrics top1 and params), closed so its file is stable.
    func prepareStore(_ store: String) throws {
        do {
            let s = try ResultsStore(path: store)
            let env = RunEnvironment(engineVersion: "e1", threads: 1)
            try s.beginRun(RunRecord(key: "aaaa1111bbbb2222", notebook: "nb.md", cell: "e", config: "{}", seeds: [0], environment: env,
                                     startedAt: Date(timeIntervalSince1970: 1_700_000_000)))
            try s.appendEpoch(EpochRecord(runKey: "aaaa1111bbbb2222", seed: 0, epoch: 0, trainLoss: 1, testLoss: 1, top1: 0.5, top5: 1, lr: 0.1))
            try s.finishRun(key: "aaaa1111bbbb2222", outcome: .succeeded, summary: ["top1": 0.5, "params": 10])
        }
    }

    /// Every file under the folder with its bytes.
    func snapshot() throws -> [String: Data] {
        var out: [String: Data] = [:]
        for f in try FileManager.default.subpathsOfDirectory(atPath: path) {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path + "/" + f, isDirectory: &isDirectory), !isDirectory.boolValue {
                out[f] = FileManager.default.contents(atPath: path + "/" + f)
            }
        }
        return out
    }
}

/// Runs the built `loom` in a working folder, optionally through `sh` for a redirection, or interrupting it.
enum LoomRunner {
    static func run(_ arguments: [String], in directory: String, redirect: String? = nil,
                    interruptWhenStderrContains trigger: String? = nil, signal: Int32 = SIGINT) throws -> LoomProcess.Result {
        let loom = try #require(LoomProcess.executable, "the loom executable is not built beside the tests")
        let p = Process()
        p.currentDirectoryURL = URL(fileURLWithPath: directory)
        if let redirect {
            p.executableURL = URL(fileURLWithPath: "/bin/sh")
            // `exec` makes loom the process whose status we read (except after a pipe, where sh reports the last command).
            let command = redirect.hasPrefix("|") ? "\"$0\" \"$@\" \(redirect); exit 0" : "exec \"$0\" \"$@\" \(redirect)"
            p.arguments = ["-c", command, loom] + arguments
        } else {
            p.executableURL = URL(fileURLWithPath: loom)
            p.arguments = arguments
        }
        var env = ProcessInfo.processInfo.environment
        env["LOOM_THREADS"] = "1"
        p.environment = env
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("loom-hostile-out-\(UUID().uuidString)").path
        _ = FileManager.default.createFile(atPath: base + ".out", contents: nil)
        _ = FileManager.default.createFile(atPath: base + ".err", contents: nil)
        defer { try? FileManager.default.removeItem(atPath: base + ".out"); try? FileManager.default.removeItem(atPath: base + ".err") }
        p.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: base + ".out"))
        p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: base + ".err"))
        p.standardInput = FileHandle.nullDevice
        try p.run()
        if let trigger {
            let deadline = Date().addingTimeInterval(150)
            while p.isRunning && Date() < deadline {
                let err = String(decoding: FileManager.default.contents(atPath: base + ".err") ?? Data(), as: UTF8.self)
                if err.contains(trigger) { kill(p.processIdentifier, signal); break }
                Thread.sleep(forTimeInterval: 0.05)
            }
        }
        p.waitUntilExit()
        let out = FileManager.default.contents(atPath: base + ".out") ?? Data()
        let err = FileManager.default.contents(atPath: base + ".err") ?? Data()
        return LoomProcess.Result(status: p.terminationStatus, stdout: String(decoding: out, as: UTF8.self),
                                  stderr: String(decoding: err, as: UTF8.self), exited: p.terminationReason == .exit)
    }
}
