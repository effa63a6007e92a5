// Parity with timm's train.py for each table-2 row of notebooks/cifar100.md: Loom's torch config.json, and what
// python/loom_train.py builds from it, against what timm's own factories build from the report's flags
// (Tests/Fixtures/timm-train/, docs/methods.md §9.1).
import Experiments
import Foundation
import Notebook
import Testing
import TestSupport

/// The fixtures, the notebook's rows and the differences from train.py that Loom keeps on purpose.
enum TimmParity {
    static let fixtures = repositoryRoot.appendingPathComponent("Tests/Fixtures/timm-train")

    /// Notebook experiment (a binding or a sweep point) → fixture row of `rows.json`.
    static let rows: [(experiment: String, fixture: String)] = [
        ("t1", "t1"), ("t2", "t2"), ("t3", "t3"), ("t4", "t4"), ("t5", "t5"), ("t6", "t6"), ("t6wd[1]", "t6wd-1e-3"),
    ]

    /// A field where Loom differs from train.py on purpose: the fixture rows it applies to, the path of the field in
    /// the description (a prefix: every leaf under it), and why. docs/methods.md §9.1 lists the same.
    struct Deliberate {
        let rows: Set<String>
        let path: String
        let why: String
    }

    static let all: Set<String> = Set(rows.map(\.fixture))
    static let timmAA: Set<String> = ["t3", "t5", "t6", "t6wd-1e-3"]
    static let deliberate: [Deliberate] = [
        Deliberate(rows: all, path: "train_transform[0].interpolation",
                   why: "train.py's --train-interpolation random picks bilinear or bicubic per image; Loom's random-resized crop is bilinear (docs/methods.md §2.3)"),
        Deliberate(rows: timmAA, path: "train_transform[2].interpolation",
                   why: "with a random training interpolation timm's AutoAugment resamples at random too; Loom's v0 is bilinear (docs/methods.md §2.6)"),
        Deliberate(rows: ["t1", "t2", "t4"], path: "train_transform[2]",
                   why: "the report's unqualified \"AutoAugment\" is read as the CIFAR-10 policy (torchvision's), which train.py's --aa cannot express; the fixture takes --aa original"),
        Deliberate(rows: all, path: "eval_transform[0]",
                   why: "train.py resizes to s / crop_pct with the model's default crop_pct (0.95 for resnet50) and bicubic; Loom to ⌊s/0.875⌋, bilinear (docs/methods.md §2.3)"),
    ]

    /// Fields of a reference description that say where it came from, not what it builds.
    static let referenceOnly = ["data_config", "origin"]

    static func fixture(_ row: String) throws -> [String: Any] {
        let data = try Data(contentsOf: fixtures.appendingPathComponent(row + ".json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// The resolved experiments of notebooks/cifar100.md by name (sweep points included), planned without data.
    static func specs() throws -> [String: ExperimentSpec] {
        let box = try Sandbox()
        let path = try box.write(try CIFARNotebook.text(), name: "cifar100")
        let (document, ws) = try openNotebook(path, outputDirectory: box.output)
        let plan = try makePlan(document: document, registry: notebookRegistry(), workspace: ws, throughput: 1)
        #expect(plan.cellErrors.isEmpty, "\(plan.cellErrors)")
        return Dictionary(uniqueKeysWithValues: plan.experiments.map { ($0.name, $0.spec) })
    }

    /// Loom's config.json for one seed of `spec` on the notebook's backend (two processes), as a dictionary.
    static func config(_ spec: ExperimentSpec, python: String = "python", directory: String = "/o") throws -> Data {
        try TorchConfig.json(spec: spec, key: "k", binding: "e", seed: 0, backend: TorchBackend(python: python, processes: 2),
                             data: TorchData(kind: "cifar100", train: "/d", test: "/d", normalization: .cifar100),
                             files: TorchRunFiles(directory: directory, finalWeights: directory + "/f.safetensors"),
                             weights: nil, teacherWeights: nil)
    }

    /// A JSON value's leaves by path (`a.b[2].c`).
    static func leaves(_ value: Any, _ path: String = "", into out: inout [String: Any]) {
        if let d = value as? [String: Any] {
            for (k, v) in d { leaves(v, path.isEmpty ? k : path + "." + k, into: &out) }
        } else if let a = value as? [Any] {
            for (i, v) in a.enumerated() { leaves(v, path + "[\(i)]", into: &out) }
        } else {
            out[path] = value
        }
    }

    /// Whether two leaves agree: numbers to a relative 1e-6 (Loom keeps rates and decays as Float), strings exactly.
    static func same(_ a: Any?, _ b: Any?) -> Bool {
        if let x = a as? NSNumber, let y = b as? NSNumber {  // JSON booleans compare as 0 and 1
            let u = x.doubleValue, v = y.doubleValue
            return abs(u - v) <= 1e-6 * max(abs(u), abs(v)) + 1e-12
        }
        switch (a, b) {
        case (nil, nil): return true
        case let (x as String, y as String): return x == y
        case (is NSNull, is NSNull): return true
        default: return false
        }
    }

    static func covered(_ path: String, by prefix: String) -> Bool {
        path == prefix || path.hasPrefix(prefix + ".") || path.hasPrefix(prefix + "[")
    }

    /// The paths where `loom` and `reference` differ, outside the deliberate differences of `row`, and the deliberate
    /// differences of `row` that did not differ (each must: a listed difference that vanished is stale).
    static func compare(_ loom: [String: Any], _ reference: [String: Any], row: String) -> (unexpected: [String], stale: [String]) {
        var l: [String: Any] = [:], r: [String: Any] = [:]
        leaves(loom, into: &l)
        leaves(reference.filter { !referenceOnly.contains($0.key) }, into: &r)
        let listed = deliberate.filter { $0.rows.contains(row) }
        var unexpected: [String] = [], differing = Set<String>()
        for path in Set(l.keys).union(r.keys).sorted() where !same(l[path], r[path]) {
            if let d = listed.first(where: { covered(path, by: $0.path) }) { differing.insert(d.path); continue }
            unexpected.append("\(path): Loom \(l[path].map { "\($0)" } ?? "absent"), train.py \(r[path].map { "\($0)" } ?? "absent")")
        }
        return (unexpected, listed.map(\.path).filter { !differing.contains($0) })
    }

    /// The value after `flag` in a row's train.py flags.
    static func flag(_ name: String, in reference: [String: Any]) -> String? {
        let flags = (reference["origin"] as? [String: Any])?["flags"] as? [String] ?? []
        guard let i = flags.lastIndex(of: name), i + 1 < flags.count else { return nil }
        return flags[i + 1]
    }
}

@Suite struct TimmParityTests {
    @Test func everyTableTwoRowHasAFixture() throws {
        let rows = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: TimmParity.fixtures.appendingPathComponent("rows.json"))) as? [String: Any])
        #expect(Set(rows.keys) == TimmParity.all)
        let specs = try TimmParity.specs()
        for (experiment, row) in TimmParity.rows {
            #expect(specs[experiment] != nil, "notebooks/cifar100.md has no \(experiment)")
            let reference = try TimmParity.fixture(row)
            #expect((reference["origin"] as? [String: Any])?["flags"] as? [String] == (rows[row] as? [String: Any])?["flags"] as? [String])
        }
    }

    /// Without torch: every field of Loom's config.json that maps directly onto train.py's arguments equals the value
    /// timm built from the report's flags.
    @Test func configFieldsMatchTrainPy() throws {
        let specs = try TimmParity.specs()
        for (experiment, row) in TimmParity.rows {
            let spec = try #require(specs[experiment])
            let c = try #require(try JSONSerialization.jsonObject(with: TimmParity.config(spec)) as? [String: Any])
            let t = try TimmParity.fixture(row)
            let where_ = "\(experiment) vs \(row)"
            checkDataAndTransforms(c, t, row: row, where_)
            checkOptimizer(c, t, where_)
            checkScheduleAndMixing(c, t, where_)
        }
    }

    func checkDataAndTransforms(_ c: [String: Any], _ t: [String: Any], row: String, _ where_: String) {
        let normalize = c["normalize"] as? [String: [Double]]
        #expect(normalize?["mean"] == t["mean"] as? [Double] && normalize?["std"] == t["std"] as? [Double], "\(where_)")
        #expect(c["epochs"] as? Int == t["epochs"] as? Int && c["batchSize"] as? Int == t["global_batch"] as? Int
                && c["processes"] as? Int == t["processes"] as? Int && c["dropLast"] as? Bool == t["drop_last"] as? Bool, "\(where_)")
        let ops = c["augment"] as? [[String: Any]] ?? []
        let steps = (t["train_transform"] as? [[String: Any]] ?? []).filter { !["ToTensor", "Normalize"].contains($0["op"] as? String) }
        #expect(ops.map { $0["op"] as? String } == ["randomResizedCrop", "horizontalFlip", "autoAugment"], "\(where_)")
        #expect(steps.map { $0["op"] as? String } == ["RandomResizedCrop", "RandomHorizontalFlip", "AutoAugment"], "\(where_)")
        guard ops.count == 3, steps.count == 3 else { return }
        #expect(ops[0]["size"] as? Int == (steps[0]["size"] as? [Int])?.first, "\(where_)")
        #expect(steps[0]["scale"] as? [Double] == [0.08, 1.0] && steps[1]["p"] as? Double == 0.5, "\(where_)")
        let aa = TimmParity.flag("--aa", in: t)
        if TimmParity.timmAA.contains(row) {
            #expect(ops[2]["policy"] as? String == aa && steps[2]["implementation"] as? String == "timm", "\(where_)")
            #expect(ops[2]["size"] as? Int == (steps[0]["size"] as? [Int])?.first, "AutoAugment's translate size, \(where_)")
        } else {  // deliberate: the CIFAR-10 policy (TimmParity.deliberate)
            #expect(ops[2]["policy"] as? String == "cifar10" && aa == "original", "\(where_)")
        }
        let eval = c["eval"] as? [[String: Any]] ?? []
        let crop = (t["eval_transform"] as? [[String: Any]])?.first { $0["op"] as? String == "CenterCrop" }
        #expect(eval.last?["op"] as? String == "centerCrop" && eval.last?["size"] as? Int == (crop?["size"] as? [Int])?.first, "\(where_)")
    }

    func checkOptimizer(_ c: [String: Any], _ t: [String: Any], _ where_: String) {
        let o = c["optimizer"] as? [String: Any] ?? [:]
        let opt = t["optimizer"] as? [String: Any] ?? [:]
        let groups = opt["groups"] as? [[String: Any]] ?? []
        #expect(groups.count == 2, "\(where_)")
        guard let decayed = groups.last, let exempt = groups.first else { return }
        #expect(exempt["weight_decay"] as? Double == 0, "\(where_)")
        switch o["name"] as? String {
        case "sgd":
            #expect(opt["class"] as? String == "SGD" && decayed["nesterov"] as? Bool == o["nesterov"] as? Bool, "\(where_)")
            #expect(TimmParity.same(decayed["momentum"], o["momentum"]), "\(where_)")
        case "lion":
            #expect(opt["class"] as? String == "Lion", "\(where_)")
            let betas = decayed["betas"] as? [Double]
            #expect(TimmParity.same(betas?.first, o["beta1"]) && TimmParity.same(betas?.last, o["beta2"]), "\(where_)")
        default: Issue.record("unexpected optimizer \(String(describing: o["name"])) in \(where_)")
        }
        #expect(TimmParity.same(decayed["lr"], o["lr"]) && TimmParity.same(decayed["weight_decay"], o["weightDecay"]), "\(where_)")
    }

    func checkScheduleAndMixing(_ c: [String: Any], _ t: [String: Any], _ where_: String) {
        let ours = c["lrPerEpoch"] as? [Double] ?? [], theirs = t["lr_per_epoch"] as? [Double] ?? []
        #expect(ours.count == theirs.count && !ours.isEmpty, "\(where_)")
        let off = zip(ours, theirs).enumerated().filter { !TimmParity.same($0.element.0, $0.element.1) }
        #expect(off.isEmpty, "learning rates differ at epochs \(off.prefix(5).map { "\($0.offset): \($0.element)" }), \(where_)")
        let mix = c["mix"] as? [String: Any] ?? [:], mixup = t["mixup"] as? [String: Any] ?? [:]
        for (ours, theirs) in [("mixupAlpha", "mixup_alpha"), ("cutmixAlpha", "cutmix_alpha"), ("prob", "prob"), ("switchProb", "switch_prob")] {
            #expect(TimmParity.same(mix[ours], mixup[theirs]), "\(ours) vs \(theirs), \(where_)")
        }
        #expect(TimmParity.same(c["labelSmoothing"], mixup["label_smoothing"]), "\(where_)")
        #expect((t["loss"] as? [String: Any])?["class"] as? String == "SoftTargetCrossEntropy", "\(where_)")
    }

    /// The comparison itself: it finds a changed field, accepts a listed difference, and reports a stale one.
    @Test func comparisonFindsDifferencesAndStaleExceptions() {
        let reference: [String: Any] = ["a": [1.0, 2.0], "eval_transform": [["size": 33]], "origin": ["timm": "x"]]
        let same = TimmParity.compare(["a": [1.0, 2.0000000001], "eval_transform": [["size": 36]]], reference, row: "t1")
        #expect(same.unexpected.isEmpty && same.stale == ["train_transform[0].interpolation", "train_transform[2]"])
        let changed = TimmParity.compare(["a": [1.0, 2.5], "eval_transform": [["size": 33]]], reference, row: "t1")
        #expect(changed.unexpected == ["a[1]: Loom 2.5, train.py 2.0"] && changed.stale.contains("eval_transform[0]"))
    }

    /// With torch: what python/loom_train.py builds from each row's config.json (python/loom_describe.py) against the
    /// fixture, every field; and the fixtures regenerated from timm now, when the installed timm made them.
    @Test(.enabled(if: torchPython != nil, "skipped: LOOM_TORCH_PYTHON not set"), .timeLimit(.minutes(5)))
    func trainerBuildsWhatTrainPyBuilds() throws {
        let python = try #require(torchPython)
        let dir = try TempDir()
        let describer = URL(fileURLWithPath: try TorchLaunch.trainerScript()).deletingLastPathComponent()
            .appendingPathComponent("loom_describe.py").path
        let specs = try TimmParity.specs()
        for (experiment, row) in TimmParity.rows {
            let path = dir.path + "/\(row).config.json"
            try TimmParity.config(try #require(specs[experiment]), python: python, directory: dir.path).write(to: URL(fileURLWithPath: path))
            let out = try runPython(python, [describer, "--config", path])
            let loom = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any], "\(out.prefix(2000))")
            let (unexpected, stale) = TimmParity.compare(loom, try TimmParity.fixture(row), row: row)
            #expect(unexpected.isEmpty, "\(experiment) vs train.py (\(row)):\n\(unexpected.joined(separator: "\n"))")
            #expect(stale.isEmpty, "\(row): listed as deliberate but equal: \(stale)")
        }
        try regeneratedFixturesMatch(python: python, into: dir.path + "/live")
    }

    func regeneratedFixturesMatch(python: String, into live: String) throws {
        let version = try runPython(python, ["-c", "import timm; print(timm.__version__)"]).trimmingCharacters(in: .whitespacesAndNewlines)
        let made = (try TimmParity.fixture("t1")["origin"] as? [String: Any])?["timm"] as? String
        guard version == made else {
            print("TimmParityTests: timm \(version) installed, fixtures from timm \(made ?? "?"); not regenerated")
            return
        }
        let generator = repositoryRoot.appendingPathComponent("python/tools/timm_train_reference.py").path
        _ = try runPython(python, [generator, TimmParity.fixtures.appendingPathComponent("rows.json").path, live])
        for (_, row) in TimmParity.rows {
            let now = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(live)/\(row).json"))))
            var a: [String: Any] = [:], b: [String: Any] = [:]
            TimmParity.leaves(now, into: &a)
            TimmParity.leaves(try TimmParity.fixture(row), into: &b)
            let off = Set(a.keys).union(b.keys).filter { !TimmParity.same(a[$0], b[$0]) }.sorted()
            #expect(off.isEmpty, "\(row): regenerated from timm \(version) differs from the fixture at \(off.prefix(8))")
        }
    }
}
