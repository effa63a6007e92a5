// Tests: the `loom` executable end to end (predict, bench, runs, export) and its user-error exits.

import Engine
import Experiments
import Foundation
import Notebook
import Testing
import Vision

/// Runs the built `loom` binary (the one beside this test bundle) and captures its output.
enum LoomProcess {
    struct Result {
        let status: Int32, stdout: String, stderr: String
        /// False when the process died of a signal (a crash, not an error exit).
        let exited: Bool
    }

    static let executable: String? = {
        var dirs = [Bundle.main.bundleURL.deletingLastPathComponent(), Bundle.main.bundleURL,
                    URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()]
        for b in Bundle.allBundles { dirs.append(b.bundleURL.deletingLastPathComponent()) }
        return dirs.map { $0.appendingPathComponent("loom").path }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    /// `environment` changes the inherited environment: a value sets a variable, nil removes it.
    static func run(_ arguments: [String], environment changes: [String: String?] = [:]) throws -> Result {
        let path = try #require(executable, "the loom executable is not built beside the tests (swift build --product loom)")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["LOOM_THREADS"] = "1"
        for (name, value) in changes { env[name] = value }
        p.environment = env
        // Output goes to files: nothing to drain concurrently, so a chatty child cannot block.
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("loom-cli-out-\(UUID().uuidString)").path
        FileManager.default.createFile(atPath: base + ".out", contents: nil)
        FileManager.default.createFile(atPath: base + ".err", contents: nil)
        defer { try? FileManager.default.removeItem(atPath: base + ".out"); try? FileManager.default.removeItem(atPath: base + ".err") }
        p.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: base + ".out"))
        p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: base + ".err"))
        try p.run()
        p.waitUntilExit()
        let outData = FileManager.default.contents(atPath: base + ".out") ?? Data()
        let errData = FileManager.default.contents(atPath: base + ".err") ?? Data()
        return Result(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self), exited: p.terminationReason == .exit)
    }

    /// Runs a command that must fail as a user error: a clean non-zero exit with a message on stderr.
    static func failure(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let r = try run(arguments)
        #expect(r.exited, "loom \(arguments) crashed: \(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.status != 0, "loom \(arguments) succeeded", sourceLocation: sourceLocation)
        #expect(r.stderr.contains("Error: "), "loom \(arguments) stderr: \(r.stderr)", sourceLocation: sourceLocation)
        return r.stderr
    }
}

@Suite(.serialized) final class CLITests {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("loom-cli-\(UUID().uuidString)").path

    init() throws { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
    deinit { try? FileManager.default.removeItem(atPath: dir) }

    // MARK: predict

    static let tinyResNet = ".resnet(layers: [1, 1], channels: [8, 16], attention: .se, classes: 5)"

    @Test func predictOnPNGsMatchesTheModel() throws {
        let spec = try ModelExpression.parse(Self.tinyResNet)
        let model = spec.build(seed: 4)
        for (name, t) in model.stateDict() where name.hasSuffix("bn2.weight") { t.fill(0.7) }
        let weights = dir + "/w.safetensors"
        try SafeTensors.write(model.stateDict(), to: weights)
        var paths: [String] = []
        for i in 0..<2 {
            var img = Image(width: 12, height: 12)
            for y in 0..<12 { for x in 0..<12 { img[x: x, y: y, c: (x + i) % 3] = UInt8((x * 20 + y * 3 + i * 50) % 256) } }
            paths.append(dir + "/img\(i).png")
            try PNG.write(img, to: paths[i])
        }
        let logitsPath = dir + "/logits.safetensors"
        let r = try LoomProcess.run(["predict", "--model", Self.tinyResNet, "--weights", weights, "--top", "2",
                                     "--normalize", "cifar100", "--logits", logitsPath] + paths)
        #expect(r.status == 0, "\(r.stderr)")

        let x = try Predictor.readImages(paths, normalization: .cifar100, imageSize: spec.requiredImageSize)
        let expected = Predictor.logits(model, x)
        let written = try SafeTensors.read(logitsPath).tensor("logits")
        #expect(written.shape == [2, 5])
        #expect(zip(written.scalars, expected.scalars).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($1)) })

        let lines = r.stdout.split(separator: "\n").filter { !$0.hasPrefix("#") }
        #expect(lines.count == 2)
        for (line, p) in zip(lines, Predictor.top(2, of: expected, sources: paths)) {
            #expect(line.hasPrefix(p.source))
            #expect(line.contains("\(p.top[0].index):" + String(format: "%.4f", p.top[0].probability)))
            #expect(line.split(separator: " ", omittingEmptySubsequences: true).count == 3)
        }
    }

    @Test func predictOnATensorInfersClassesFromTheWeights() throws {
        let model = try ModelExpression.parse(".vit(image: 8, patch: 4, dim: 16, depth: 1, heads: 2, classes: 7)").build(seed: 1)
        let weights = dir + "/vit.safetensors", input = dir + "/in.safetensors"
        try SafeTensors.write(model.stateDict(), to: weights)
        var rng = RandomGenerator(seed: 5)
        try SafeTensors.write(["input": Tensor.randn([3, 3, 8, 8], rng: &rng)], to: input)
        let r = try LoomProcess.run(["predict", "--model", ".vit(image: 8, patch: 4, dim: 16, depth: 1, heads: 2)",
                                     "--weights", weights, "--input", input, "--top", "10"])
        #expect(r.status == 0, "\(r.stderr)")
        let rows = r.stdout.split(separator: "\n").filter { !$0.hasPrefix("#") }
        #expect(rows.count == 3)
        #expect(rows.allSatisfy { $0.split(separator: " ", omittingEmptySubsequences: true).count == 8 })  // source + 7 classes
        #expect(r.stdout.contains("classes: 7"))
    }

    @Test func predictUserErrorsExitCleanly() throws {
        let model = try ModelExpression.parse(Self.tinyResNet).build(seed: 0)
        let weights = dir + "/w2.safetensors"
        try SafeTensors.write(model.stateDict(), to: weights)
        let png = dir + "/p.png"
        try PNG.write(Image(width: 8, height: 8), to: png)

        #expect(try LoomProcess.failure(["predict", "--model", "r18", "--weights", dir + "/none.safetensors", png])
            .contains("none.safetensors"))
        #expect(try LoomProcess.failure(["predict", "--model", ".resnet(depth: 18, classes: 5)", "--weights", weights, png])
            .contains("the model expects"))
        #expect(try LoomProcess.failure(["predict", "--model", ".resnet(layers: [1, 1, 1], channels: [8, 16, 16], attention: .se)",
                                         "--weights", weights, png]).contains("missing"))
        #expect(try LoomProcess.failure(["predict", "--model", ".resnet(dept: 18)", "--weights", weights, png])
            .contains("did you mean `depth`"))
        #expect(try LoomProcess.failure(["predict", "--model", Self.tinyResNet, "--weights", weights])
            .contains("--input"))
        #expect(try LoomProcess.failure(["predict", "--model", Self.tinyResNet, "--weights", weights, "--normalize", "imgnet", png])
            .contains("imagenet, cifar10, cifar100, half, none"))
        #expect(try LoomProcess.failure(["predict", "--model", Self.tinyResNet, "--weights", weights, dir + "/absent.png"])
            .contains("absent.png"))
        #expect(try LoomProcess.failure(["predict", "--model", Self.tinyResNet, "--weights", weights, "--input", weights])
            .contains("no tensor named 'input'"))
        let vitWeights = dir + "/v.safetensors"
        try SafeTensors.write(try ModelExpression.parse(".vit(image: 16, patch: 4, dim: 8, depth: 1, heads: 2)").build(seed: 0).stateDict(),
                              to: vitWeights)
        #expect(try LoomProcess.failure(["predict", "--model", ".vit(image: 16, patch: 4, dim: 8, depth: 1, heads: 2)",
                                         "--weights", vitWeights, png]).contains("16×16"))
    }

    // MARK: bench

    @Test func benchJSONLinesForEachModelAndBatch() throws {
        let r = try LoomProcess.run(["bench", "--model", ".resnet(layers: [1], channels: [4], classes: 10),.vit(image: 8, patch: 4, dim: 8, depth: 1, heads: 2)",
                                     "--batch", "2,3", "--threads", "1", "--reps", "1", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let objects = try r.stdout.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(objects.count == 4)
        #expect(objects.map { $0["batch"] as? Int } == [2, 3, 2, 3])
        for o in objects {
            for key in ["model", "batch", "threads", "train_img_s", "infer_img_s", "peak_rss_mb", "params", "flops_per_img"] {
                #expect(o[key] != nil, "missing \(key)")
            }
            #expect((o["train_img_s"] as? Double ?? 0) > 0 && (o["threads"] as? Int) == 1)
        }
    }

    @Test func benchTableHeaderAndErrors() throws {
        let r = try LoomProcess.run(["bench", "--model", ".resnet(layers: [1], channels: [4])", "--batch", "2", "--threads", "1", "--reps", "1"])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.first?.hasPrefix("# ") == true && lines.first?.contains("threads 1") == true)
        #expect(lines.contains { $0.hasPrefix("model") && $0.contains("trn_img/s") && $0.contains("peak_rss_MB") })
        #expect(try LoomProcess.failure(["bench", "--model", "r19"]).contains("did you mean `r18`"))
        #expect(try LoomProcess.failure(["bench", "--batch", "0"]).contains("--batch"))
        #expect(try LoomProcess.failure(["bench", "--threads", "two"]).contains("'two'"))
        // A headless model cannot take a training step: a clear error, not a division by zero.
        #expect(try LoomProcess.failure(["bench", "--model", ".vit(image: 8, patch: 4, dim: 8, depth: 1, heads: 2, classes: 0)",
                                         "--batch", "1", "--reps", "1"]).contains("has no classifier head"))
    }

    @Test func benchDataTimesTheInputPathOnAFolderOrASyntheticOne() throws {
        let folder = dir + "/jpegs"
        for (c, colour) in [("cat", RGB(200, 120, 40)), ("dog", RGB(40, 90, 200))] {
            try FileManager.default.createDirectory(atPath: folder + "/" + c, withIntermediateDirectories: true)
            for i in 0..<3 { try JPEG.write(Image(width: 48 + 8 * i, height: 40, fill: colour), to: "\(folder)/\(c)/\(i).jpg") }
        }
        let r = try LoomProcess.run(["bench", "--data", folder, "--batch", "4", "--threads", "1", "--reps", "1", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let o = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(o["images"] as? Int == 6 && o["batch"] as? Int == 4 && o["threads"] as? Int == 1)
        #expect((o["images_per_s"] as? Double ?? 0) > 0 && (o["mean_width"] as? Double) == 56)

        // Without a folder: a synthetic JPEG folder under the temporary directory, named in the table's header.
        let t = try LoomProcess.run(["bench", "--data", "--images", "2", "--batch", "2", "--threads", "1", "--reps", "1"],
                                    environment: ["TMPDIR": dir + "/"])
        #expect(t.status == 0, "\(t.stderr)")
        #expect(t.stdout.contains(dir + "/loom-bench-jpeg-2") && t.stdout.contains("scripts/bench_data.py"), "\(t.stdout)")
        #expect(t.stdout.split(separator: "\n").contains { $0.contains("img/s") && $0.contains("mean_WxH") })
        #expect(try ImageFolder.files(root: dir + "/loom-bench-jpeg-2").paths.count == 2)

        // A damaged file is named; a folder without --data is refused.
        try Data("text".utf8).write(to: URL(fileURLWithPath: folder + "/dog/readme.txt"))
        #expect(try LoomProcess.failure(["bench", "--data", folder, "--threads", "1"]).contains(folder + "/dog/readme.txt"))
        #expect(try LoomProcess.failure(["bench", folder]).contains("--data"))
    }

    // MARK: runs and export

    func makeStore() throws -> String {
        let path = dir + "/loom.sqlite"
        let store = try ResultsStore(path: path)
        let env = RunEnvironment(engineVersion: "e1", threads: 2)
        let start = Date(timeIntervalSince1970: 1_700_000_000)
        try store.beginRun(RunRecord(key: "aaaa1111bbbb2222", notebook: "study.md", cell: "base", config: "{\"epochs\":2}",
                                     seeds: [0], environment: env, startedAt: start))
        for e in 1...2 {
            try store.appendEpoch(EpochRecord(runKey: "aaaa1111bbbb2222", seed: 0, epoch: e, trainLoss: 2.0 / Double(e),
                                              testLoss: 1.5, top1: 0.4 * Double(e), top5: 0.9, lr: 0.1))
        }
        try store.finishRun(key: "aaaa1111bbbb2222", outcome: .succeeded, summary: ["top1": 0.8, "params": 11_000_000],
                            endedAt: start.addingTimeInterval(60))
        try store.beginRun(RunRecord(key: "aaaa9999cccc0000", notebook: "other.md", cell: "se", config: "{}",
                                     seeds: [0, 1], environment: env, startedAt: start.addingTimeInterval(5)))
        try store.finishRun(key: "aaaa9999cccc0000", outcome: .failed("boom"), summary: ["top1": 0.3],
                            endedAt: start.addingTimeInterval(65))
        return path
    }

    @Test func runsListsAndFilters() throws {
        let store = try makeStore()
        let all = try LoomProcess.run(["runs", "--store", store])
        #expect(all.status == 0, "\(all.stderr)")
        let lines = all.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 4)
        #expect(lines[0].hasPrefix("key") && lines[0].contains("top1") && lines[0].contains("params"))
        #expect(lines[1].hasPrefix("aaaa1111bbbb ") && lines[1].contains("succeeded") && lines[1].contains("0.8000")
                && lines[1].contains("11000000"))
        #expect(lines[2].contains("failed") && lines[2].contains("0,1"))
        // Aligned: each column starts at the same offset in every row.
        let offset = lines[0].range(of: "status")!.lowerBound.utf16Offset(in: lines[0])
        #expect(lines[1...2].allSatisfy { Array($0.utf16)[offset] != 32 && Array($0.utf16)[offset - 1] == 32 })

        let good = try LoomProcess.run(["runs", "--store", store, "--where", "top1>=0.5"])
        #expect(good.stdout.contains("aaaa1111bbbb") && !good.stdout.contains("aaaa9999cccc"))
        let failed = try LoomProcess.run(["runs", "--store", store, "--status", "failed", "--notebook", "other.md"])
        #expect(failed.stdout.contains("aaaa9999cccc") && !failed.stdout.contains("aaaa1111bbbb"))
        let none = try LoomProcess.run(["runs", "--store", store, "--cell", "nope"])
        #expect(none.status == 0 && none.stdout.contains("no runs match"))

        #expect(try LoomProcess.failure(["runs", "--store", store, "--where", "top1 about 3"]).contains("top1>=0.8"))
        #expect(try LoomProcess.failure(["runs", "--store", store, "--status", "done"]).contains("succeeded"))
        #expect(try LoomProcess.failure(["runs", "--store", dir + "/missing.sqlite"]).contains("no results store"))
    }

    @Test func exportCSVJSONAndSummary() throws {
        let store = try makeStore()
        let csv = try LoomProcess.run(["export", "--csv", "--store", store, "--status", "succeeded"])
        #expect(csv.status == 0, "\(csv.stderr)")
        #expect(csv.stdout == (try ResultsStore(path: store).exportCSV(RunFilter(status: .succeeded))))

        let json = try LoomProcess.run(["export", "--json", "--store", store, "--no-epochs"])
        let runs = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        #expect(runs.map { $0["key"] as? String } == ["aaaa1111bbbb2222", "aaaa9999cccc0000"])
        #expect(runs.allSatisfy { $0["epochs"] == nil })

        let summary = try LoomProcess.run(["export", "--summary", "aaaa1111", "--store", store])
        #expect(summary.stdout == (try ResultsStore(path: store).timmSummaryCSV(key: "aaaa1111bbbb2222")))
        #expect(summary.stdout.hasPrefix("epoch,train_loss,eval_loss,eval_top1,eval_top5,lr\n1,2.0,1.5,40.0") && summary.stdout.contains("\n2,1.0,1.5,80.0,90.0,0.1\n"))

        let out = dir + "/summary.csv"
        #expect(try LoomProcess.run(["export", "--summary", "aaaa1111bbbb2222", "--store", store, "-o", out]).status == 0)
        #expect(try String(contentsOfFile: out, encoding: .utf8) == summary.stdout)

        #expect(try LoomProcess.failure(["export", "--summary", "aaaa", "--store", store]).contains("matches 2 runs"))
        #expect(try LoomProcess.failure(["export", "--summary", "zzz", "--store", store]).contains("no run"))
        #expect(try LoomProcess.failure(["export", "--summary", "aaaa1111", "--seed", "4", "--store", store]).contains("no seed 4"))
        #expect(try LoomProcess.failure(["export", "--store", store]).contains("exactly one of"))
        #expect(try LoomProcess.failure(["export", "--csv", "--json", "--store", store]).contains("exactly one of"))
    }
}

/// `loom doctor` and the BLAS core check on the machine that runs the tests.
@Suite struct DoctorTests {
    static func facts(_ environment: [String: String?]) throws -> [String: [String: String]] {
        let r = try LoomProcess.run(["doctor", "--json"], environment: environment)
        #expect(r.exited && r.status == 0, "loom doctor: \(r.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: [String: String]])
    }

    /// With no OPENBLAS_CORETYPE set, `loom` never runs a BLAS core weaker than cpuid allows.
    @Test func neverOnACoreWeakerThanTheCPU() throws {
        let f = try Self.facts(["OPENBLAS_CORETYPE": nil, BLASCore.correctedMarker: nil])
        let core = try #require(f["BLAS"]?["core"]).split(separator: " ").first.map(String.init) ?? ""
        if let level = BLASCore.level(ofCore: core) {
            #expect(level >= BLASCore.level(of: .current), "core \(core) on a CPU with \(CPUFacts.current.isaSummary)")
        }
        #expect(f["CPU"]?["ISA"] == CPUFacts.current.isaSummary)
        #expect(f["Loom engine"]?["numerics"] == engineNumericsVersion)
    }

    /// A library that fell back to Prescott (stood in for by the test variable) is corrected by one
    /// re-execution; a user's own OPENBLAS_CORETYPE is kept.
    @Test func aFallbackIsCorrectedAndTheUsersChoiceKept() throws {
        guard let best = BLASCore.bestCore(for: .current) else { return }  // an SSE-only CPU: nothing to correct to
        let fixed = try Self.facts(["OPENBLAS_CORETYPE": nil, "LOOM_TEST_BLAS_REPORTED_CORE": "Prescott"])
        #expect(fixed["BLAS"]?["core corrected"]?.contains("OpenBLAS chose Prescott") == true, "\(fixed)")
        #expect(fixed["BLAS"]?["core"]?.hasPrefix(best) == true, "\(fixed)")
        let user = try Self.facts(["OPENBLAS_CORETYPE": "Prescott"])
        #expect(user["BLAS"]?["core"]?.hasPrefix("Prescott") == true)
        #expect(user["BLAS"]?["warning"]?.contains("weaker") == true)
    }
}
