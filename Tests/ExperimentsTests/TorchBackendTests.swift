// Tests of the torch backend: vocabulary and run keys, config.json and command mapping, following/ingesting a
// (fake) trainer locally and through a fake Slurm, failures and resume; with LOOM_TORCH_PYTHON, real torchrun.
import Engine
import Foundation
import Notebook
import Testing
@testable import Experiments
import Vision

let torchPython = ProcessInfo.processInfo.environment["LOOM_TORCH_PYTHON"].flatMap { $0.isEmpty ? nil : $0 }

/// A spec, its resolved value and backend from one `let e = Experiment(...)` cell.
func torchSpec(_ cell: String, frontMatter: String = "") throws -> (ExperimentSpec, ResolvedValue, Backend) {
    let check = Checker(registry: Vocabulary.registry()).check(Document(
        text: frontMatter + "```swift config\n\(cell)\n```\n", fileName: "t.md"))
    #expect(check.diagnostics.isEmpty, "\(check.diagnostics)")
    let value = try #require(check.bindings["e"]?.value)
    let spec = try Resolver(bindings: check.bindings).experiment(value)
    return (spec, value, (try? Backend.resolve(value["backend"], environment: [:])) ?? .embedded)
}

/// A temporary folder, removed at the end.
final class TempDir {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("loom-torch-\(UUID().uuidString)").path
    init() throws { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
    deinit { try? FileManager.default.removeItem(atPath: path) }

    @discardableResult
    func script(_ name: String, _ body: String) throws -> String {
        let p = path + "/" + name
        try Data(("#!/bin/bash\n" + body).utf8).write(to: URL(fileURLWithPath: p))
        chmod(p, 0o755)
        return p
    }
}

/// A stand-in for `python -m torch.distributed.run loom_train.py --config C [--resume R]`: writes what the real
/// trainer writes (summary.csv, progress.jsonl, status.json, final weights and probe copied from $FAKE_WEIGHTS and
/// $FAKE_PROBE). $FAKE_MODE: ok, fail, or killFirst (the first launch dies after epoch 0, the resumed one finishes).
let fakeTrainer = #"""
config="${@: -1}"; resume=""
for ((i = 1; i <= $#; i++)); do if [ "${!i}" = "--resume" ]; then j=$((i + 1)); resume="${!j}"; config="${@: -3:1}"; fi; done
dir=$(dirname "$config")
echo "$*" >> "$dir/invocations.txt"
if [ "$FAKE_MODE" = fail ]; then
  echo '{"status": "failed", "kind": "error", "message": "boom in rank 1"}' > "$dir/status.json"
  echo "Traceback (most recent call last): ValueError: boom in rank 1" >&2
  exit 1
fi
row() { echo "$1,$2,1.25,50.0,100.0,0.05"; }
if [ -z "$resume" ]; then
  echo "epoch,train_loss,eval_loss,eval_top1,eval_top5,lr" > "$dir/summary.csv"
  echo '{"event": "batch", "epoch": 0, "batch": 0, "of": 2, "loss": 1.5, "images_per_second": 100.0}' >> "$dir/progress.jsonl"
  row 0 1.5 >> "$dir/summary.csv"
  echo '{"event": "epoch", "epoch": 0, "images_per_second": 120.0, "seconds": 0.5}' >> "$dir/progress.jsonl"
  touch "$dir/last.pth.tar"
  if [ "$FAKE_MODE" = killFirst ]; then kill -9 $$; fi
else
  echo '{"event": "resumed", "epoch": 1}' >> "$dir/progress.jsonl"
fi
row 1 1.0 >> "$dir/summary.csv"
echo '{"event": "epoch", "epoch": 1, "images_per_second": 130.0, "seconds": 0.25}' >> "$dir/progress.jsonl"
cp "$FAKE_WEIGHTS" "$dir/../final.safetensors"
cp "$FAKE_PROBE" "$dir/probe.safetensors"
echo "epochs: 2" > "$dir/args.yaml"
echo '{"status": "succeeded", "torch": "fake", "timm": "fake"}' > "$dir/status.json"
"""#

/// Everything a fake-trainer run needs: workspace, spec, weights and probe written by Loom's own model.
struct FakeTorchRun {
    let dir: TempDir
    let ws: Workspace
    let spec: ExperimentSpec
    let python: String
    var execution = TorchExecution()
    let key = "torchtestkey0001"

    init(mode: String, perturbProbe: Float = 0) throws {
        dir = try TempDir()
        ws = try Workspace(outputDirectory: dir.path + "/output", dataRoot: dir.path)
        spec = try torchSpec("""
            let e = Experiment(model: .resnet(layers: [1], channels: [4], width: 4),
                               data: .shapes(classes: 2, size: 8, train: 8, test: 4), epochs: 2, batchSize: 4)
            """).0
        python = try dir.script("python", fakeTrainer)
        let model = spec.model.build(seed: 3)
        try SafeTensors.write(model.stateDict(), to: dir.path + "/weights.safetensors")
        var rng = RandomGenerator(seed: 1)
        let input = Tensor.randn([2, 3, 8, 8], std: 1, rng: &rng)
        model.eval()
        let logits = Autograd.noGrad { model(input) }.copy()
        for i in 0..<logits.count { logits.ptr[i] += perturbProbe }
        try SafeTensors.write(["input": input, "logits": logits], to: dir.path + "/probe.safetensors")
        execution.environment = ["PATH": dir.path + ":/usr/bin:/bin", "FAKE_MODE": mode,
                                 "FAKE_WEIGHTS": dir.path + "/weights.safetensors", "FAKE_PROBE": dir.path + "/probe.safetensors"]
        execution.pollInterval = 0.02
        execution.squeueInterval = 0.05
    }

    func run(_ backend: TorchBackend? = nil, events: ((TrainingEvent) -> Void)? = nil) throws {
        let job = RunJob(key: key, binding: "e", notebook: "t", config: "{}", spec: spec, seed: 3, teacherWeights: nil,
                         backend: .torch(backend ?? TorchBackend(python: python, processes: 2)))
        try job.execute(in: RunContext(workspace: ws, data: DataCache(), stop: StopFlag(), torch: execution),
                        progress: { events?($0.event) })
    }

    var files: TorchRunFiles { TorchRunFiles(workspace: ws, key: key) }
}

@Suite struct TorchBackendTests {
    // MARK: - Vocabulary, resolution, keys

    @Test func backendResolves() throws {
        #expect(try torchSpec("let e = Experiment(model: .resnet(depth: 18))").2 == .embedded)
        let (_, _, local) = try torchSpec("let e = Experiment(model: .resnet(depth: 18), backend: .torch(python: \"/v/bin/python\", processes: 2))")
        #expect(local == .torch(TorchBackend(python: "/v/bin/python", processes: 2, nodes: 1, launcher: .local)))
        let (_, _, slurm) = try torchSpec("""
            let e = Experiment(model: .resnet(depth: 18), backend: .torch(processes: 4, nodes: 2,
                launcher: .slurm(partition: "gpu", time: "1:00:00", options: ["--constraint=a100"])))
            """)
        guard case .torch(let t) = slurm else { Issue.record("not torch"); return }
        #expect(t.python == "python3" && t.worldSize == 8)
        #expect(t.launcher == .slurm(SlurmOptions(partition: "gpu", time: "1:00:00", options: ["--constraint=a100"])))
        #expect(try Backend.resolve(nil, notebookDefault: nil) == .embedded)
        let (_, value, _) = try torchSpec("let e = Experiment(model: .resnet(depth: 18), backend: .torch(nodes: 2))")
        #expect(throws: ResolveError.self) { try Backend.resolve(value["backend"]) }
        // Without `python:`, $LOOM_TORCH_PYTHON names the interpreter.
        let (_, plain, _) = try torchSpec("let e = Experiment(model: .resnet(depth: 18), backend: .torch(processes: 2))")
        #expect(try Backend.resolve(.null, notebookDefault: plain["backend"], environment: ["LOOM_TORCH_PYTHON": "/e/python"])
            == .torch(TorchBackend(python: "/e/python", processes: 2)))
    }

    @Test func frontMatterSetsTheDefault() throws {
        let fm = FrontMatter(extra: ["backend": ".torch(python: \"/p\", processes: 2)"])
        let v = try #require(try NotebookBackend.value(fm))
        #expect(try Backend.resolve(nil, notebookDefault: v) == .torch(TorchBackend(python: "/p", processes: 2)))
        #expect(try NotebookBackend.value(FrontMatter(extra: ["backend": "embedded"])) == .case("embedded"))
        #expect(try NotebookBackend.value(FrontMatter()) == nil)
        do {
            _ = try NotebookBackend.value(FrontMatter(extra: ["backend": ".torch(procesess: 2)"]))
            Issue.record("a misspelt front-matter backend was accepted")
        } catch let e as ResolveError {
            #expect(e.message.contains("processes") && e.message.contains("front matter"), "\(e.message)")
        }
    }

    /// Embedded keys are unchanged by the new parameter; torch keys depend on the world size only.
    @Test func runKeysCountTheWorldSize() throws {
        let dir = try TempDir()
        let ws = try Workspace(outputDirectory: dir.path + "/out", dataRoot: dir.path)
        let cell = """
            let a = Experiment(model: .resnet(layers: [1], channels: [4], width: 4), data: .shapes(classes: 2, train: 8, test: 4), epochs: 1, batchSize: 8)
            let b = a.with(backend: .embedded)
            let c = a.with(backend: .torch(python: "/one/python", processes: 2))
            let d = a.with(backend: .torch(python: "/other/python", processes: 2))
            let e = a.with(backend: .torch(nodes: 2, launcher: .slurm(partition: "gpu")))
            let f = a.with(backend: .torch(processes: 4))
            let g = a.with(batchSize: 5, backend: .torch(processes: 2))
            """
        func plan(_ frontMatter: String) throws -> NotebookPlan {
            try makePlan(document: Document(text: frontMatter + "```swift config\n\(cell)\n```\n", fileName: "t.md"),
                         registry: notebookRegistry(), workspace: ws)
        }
        let p = try plan("")
        func key(_ n: String) -> String { p.experiment(n)!.runs[0].key }
        #expect(key("a") == key("b"))
        #expect(key("c") == key("d") && key("c") == key("e"))
        #expect(key("f") != key("c") && key("c") != key("a"))
        #expect(p.experiment("c")!.backend.label == "torch 2×1 local")
        #expect(p.experiment("e")!.backend.label == "torch 1×2 slurm")
        #expect(p.experiment("g") == nil)
        #expect(p.cellErrors.values.flatMap { $0 }.contains { $0.message.contains("split evenly") })
        // The value keyed for an embedded run is the one without any backend (as before backends existed).
        let value = p.experiment("a")!.value
        #expect(!Backend.embedded.keyValue(value).canonicalJSON.contains("backend"))
        // A front-matter default makes `a` a torch run with c's key; an explicit backend wins over it.
        let q = try plan("---\nbackend: '.torch(processes: 2)'\n---\n")
        #expect(q.experiment("a")!.runs[0].key == key("c"))
        #expect(q.experiment("b")!.runs[0].key == key("a"))
    }

    // MARK: - Mapping

    @Test func configJSONMapsEveryField() throws {
        let (spec, _, _) = try torchSpec("""
            let e = Experiment(model: .vit(patch: 4, dim: 24, depth: 1, heads: 2), data: .cifar100,
                augment: [.randomResizedCrop(size: 24), .horizontalFlip, .randAugment("rand-m7-n2"), .colorJitter(0.3),
                          .autoAugment(.v0), .randomErasing(p: 0.3, mode: .rand, count: 2), .cutout(size: 8)],
                mix: .mixupCutmix(switchProb: 0.4), optimizer: .sgd(lr: 0.2, nesterov: false),
                schedule: .multiStep(milestones: [2, 4], warmupEpochs: 1, warmupLR: 0.01),
                epochs: 6, batchSize: 64, seed: 7, labelSmoothing: 0.1, clipGrad: 5)
            """)
        let files = TorchRunFiles(directory: "/o/checkpoints/k/torch", finalWeights: "/o/checkpoints/k/final.safetensors")
        let data = TorchData(kind: "cifar100", train: "/d", test: "/d", normalization: .cifar100)
        let json = try TorchConfig.json(spec: spec, key: "k", binding: "e", seed: 8, backend: TorchBackend(python: "p", processes: 2),
                                        data: data, files: files, weights: nil, teacherWeights: nil)
        let c = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        #expect(c["format"] as? String == "loom-torch-1" && c["seed"] as? Int == 8 && c["batchSize"] as? Int == 64)
        let model = try #require(c["model"] as? [String: Any])
        #expect(model["arch"] as? String == "vit" && model["image"] as? Int == 24 && model["classes"] as? Int == 100)
        let ops = try #require(c["augment"] as? [[String: Any]])
        #expect(ops.map { $0["op"] as? String } == ["randomResizedCrop", "horizontalFlip", "randAugment", "colorJitter",
                                                   "autoAugment", "randomErasing", "cutout"])
        #expect(ops[2]["size"] as? Int == 24 && ops[2]["config"] as? String == "rand-m7-n2")
        #expect(ops[3]["brightness"] as? Double == 0.3 && ops[3]["hue"] as? Double == 0)
        #expect(ops[4]["policy"] as? String == "v0" && ops[5]["count"] as? Int == 2 && ops[5]["mode"] as? String == "rand")
        let eval = try #require(c["eval"] as? [[String: Any]])
        #expect(eval.map { $0["size"] as? Int } == [27, 24])
        #expect(eval.map { $0["op"] as? String } == ["resizeShorter", "centerCrop"])  // timm's eval: shorter side, aspect kept
        let opt = try #require(c["optimizer"] as? [String: Any])
        #expect(opt["name"] as? String == "sgd" && opt["nesterov"] as? Bool == false && opt["lr"] as? Double == 0.2)
        let sched = try #require(c["schedule"] as? [String: Any])
        #expect(sched["name"] as? String == "multiStep" && sched["milestones"] as? [Int] == [2, 4])
        let lrs = try #require(c["lrPerEpoch"] as? [Double])
        #expect(lrs.count == 6 && abs(lrs[0] - 0.01) < 1e-7 && abs(lrs[1] - 0.2) < 1e-7 && abs(lrs[2] - 0.04) < 1e-7)
        let mix = try #require(c["mix"] as? [String: Any])
        #expect(mix["switchProb"] as? Double == 0.4 && mix["mixupAlpha"] as? Double == 0.8 && c["dropLast"] as? Bool == true)
        #expect(c["labelSmoothing"] as? Double == 0.1 && c["clipGrad"] as? Double == 5)
        #expect((c["normalize"] as? [String: [Double]])?["mean"]?.first.map { abs($0 - 0.50708) < 1e-6 } == true)
        #expect((c["output"] as? [String: String])?["finalWeights"] == files.finalWeights)
    }

    @Test func imageFolderWithoutSizeIsAClearError() throws {
        let (spec, _, _) = try torchSpec("""
            let e = Experiment(model: .resnet(depth: 18, classes: 3), data: .imageFolder(path: "pets"), augment: [.randomCrop])
            """)
        let data = TorchData(kind: "imageFolder", train: "/a", test: "/b", normalization: .imagenet)
        #expect(throws: TorchConfigError.self) {
            try TorchConfig.json(spec: spec, key: "k", binding: "e", seed: 0, backend: TorchBackend(python: "p"), data: data,
                                 files: TorchRunFiles(directory: "/x", finalWeights: "/y"), weights: nil, teacherWeights: nil)
        }
    }

    @Test func torchrunCommandAndSlurmScript() throws {
        let files = TorchRunFiles(directory: "/o/checkpoints/abcdef0123456789/torch", finalWeights: "/o/f.safetensors")
        let local = TorchLaunch(backend: TorchBackend(python: "/v/python", processes: 2), files: files)
        #expect(local.torchrunArguments(resume: nil) == [
            "/v/python", "-m", "torch.distributed.run", "--standalone", "--nnodes=1", "--nproc_per_node=2",
            files.trainer, "--config", files.config])
        #expect(local.torchrunArguments(resume: files.checkpoint).suffix(2) == ["--resume", files.checkpoint])
        let slurm = TorchLaunch(backend: TorchBackend(python: "/my env/python", processes: 4, nodes: 2, launcher: .slurm(
            SlurmOptions(partition: "gpu", time: "2-00:00:00", account: "lab", cpusPerTask: 16, options: ["--mem=0"]))), files: files)
        let script = try slurm.slurmScript(resume: files.checkpoint)
        // Issue 14: every value is single-quoted, for sbatch's #SBATCH reader and for bash (this test was updated
        // deliberately from the earlier unquoted lines).
        for line in ["#!/bin/bash", "#SBATCH --nodes=2", "#SBATCH --ntasks-per-node=1", "#SBATCH --gpus-per-node=4",
                     "#SBATCH --cpus-per-task=16", "#SBATCH --partition='gpu'", "#SBATCH --time='2-00:00:00'",
                     "#SBATCH --account='lab'", "#SBATCH '--mem=0'", "#SBATCH --job-name='loom-abcdef012345'",
                     "#SBATCH --output='\(files.directory)/slurm-%j.log'"] {
            #expect(script.contains(line + "\n"), "missing \(line) in\n\(script)")
        }
        #expect(script.contains("srun --kill-on-bad-exit=1 '/my env/python' '-m' 'torch.distributed.run' '--nnodes=2' "
                                + "'--nproc_per_node=4' \"--rdzv_id=${SLURM_JOB_ID}\" --rdzv_backend=c10d "
                                + "\"--rdzv_endpoint=${MASTER_ADDR}:${MASTER_PORT}\" '\(files.trainer)' '--config' '\(files.config)' "
                                + "'--resume' '\(files.checkpoint)'\n"), "\(script)")
    }

    /// Issue 14, defect 4: the trainer script is part of what a torch run computes; its content enters the key.
    @Test func torchKeysFollowTheTrainerScriptsContent() throws {
        let dir = try TempDir()
        let trainer = dir.path + "/loom_train.py"
        try Data("print('v1')\n".utf8).write(to: URL(fileURLWithPath: trainer))
        let env = ["LOOM_TORCH_TRAINER": trainer]
        let first = Backend.trainerHash(environment: env)
        #expect(first == ContentHash.sha256Hex(Data("print('v1')\n".utf8)))
        try Data("print('v2')\n".utf8).write(to: URL(fileURLWithPath: trainer))
        #expect(Backend.trainerHash(environment: env) != first)
        let (_, value, backend) = try torchSpec("let e = Experiment(model: .resnet(depth: 18), data: .shapes(), backend: .torch())")
        #expect(backend.keyValue(value, trainer: "a").canonicalJSON != backend.keyValue(value, trainer: "b").canonicalJSON)
        #expect(Backend.embedded.keyValue(value, trainer: "a") == Backend.embedded.keyValue(value, trainer: "b"))
    }

    // MARK: - Hostile values (issue 14, defect 1)

    /// Each field with a value that would inject a line or a command: refused by name when the cell is resolved.
    @Test(arguments: [
        ("partition: \"gpu\\ntouch MARK\"", "partition"),
        ("partition: \"gpu;touch MARK\"", "partition"),
        ("partition: \"$(touch MARK)\"", "partition"),
        ("time: \"1:00:00\\ntouch MARK\"", "time"),
        ("time: \"1:00:00 $(touch MARK)\"", "time"),
        ("account: \"lab\\rtouch MARK\"", "account"),
        ("account: \"lab`touch MARK`\"", "account"),
        ("options: [\"--constraint=a100\\necho Z\"]", "options"),
        ("options: [\"touch MARK\"]", "options"),
        ("options: [\"--wrap=touch MARK\"]", "wrap"),
        ("options: [\"--output=/tmp/x\"]", "--output"),
    ])
    func hostileSlurmFieldsAreRefusedAtResolution(field: String, named: String) throws {
        let check = Checker(registry: Vocabulary.registry()).check(Document(text: """
            ```swift config
            let e = Experiment(model: .resnet(depth: 18), data: .shapes(),
                               backend: .torch(launcher: .slurm(\(field))))
            ```
            """, fileName: "t.md"))
        #expect(check.diagnostics.isEmpty, "\(check.diagnostics)")
        let value = try #require(check.bindings["e"]?.value)
        do {
            _ = try Backend.resolve(value["backend"], environment: [:])
            Issue.record("\(field) was accepted")
        } catch let e as ResolveError {
            #expect(e.message.contains(named), "\(e.message)")
        }
    }

    @Test func controlCharactersInPythonAreRefused() throws {
        for python in ["python3\ntouch MARK", "python3\u{0}x", "python3\u{1B}[2J", ""] {
            #expect(throws: ResolveError.self) { try TorchBackend(python: python).validate() }
        }
        #expect(throws: ResolveError.self) { try TorchBackend(python: "p", processes: 0).validate() }
        // Ordinary values pass.
        try TorchBackend(python: "/my env/python3", processes: 2, nodes: 2, launcher: .slurm(SlurmOptions(
            partition: "gpu,gpu-long", time: "2-00:00:00", account: "lab.x", options: ["--constraint=a100&v100", "--exclusive"]))).validate()
        for t in ["30", "30:00", "1:30:00", "2-12", "2-12:30", "2-12:30:00", "UNLIMITED", "infinite"] {
            try TorchBackend(python: "p", launcher: .slurm(SlurmOptions(time: t))).validate()
        }
    }

    /// The issue's reproduction, run: a fake sbatch that executes the script, a fake srun that runs its command, and
    /// hostile values in every field that gets that far. No marker file may appear, whatever the outcome.
    @Test func hostileValuesNeverRunThroughAFakeSbatch() throws {
        var run = try FakeTorchRun(mode: "ok")
        let marks = run.dir.path + "/marks"
        try FileManager.default.createDirectory(atPath: marks, withIntermediateDirectories: true)
        try run.dir.script("sbatch", "SLURM_JOB_ID=4242 bash \"${@: -1}\" > /dev/null 2>&1\necho '4242;cluster'\n")
        try run.dir.script("srun", "while [[ \"$1\" == --* ]]; do shift; done\nexec \"$@\"\n")
        try run.dir.script("squeue", "exit 0\n")
        run.execution.environment["PATH"] = run.dir.path + ":/usr/bin:/bin"
        let m = marks + "/MARK"
        let hostile: [TorchBackend] = [
            // Quoted, not validated away: a strange interpreter name is a file name, nothing more.
            TorchBackend(python: "python3$(touch \(m)_X)", launcher: .slurm(SlurmOptions(partition: "gpu"))),
            TorchBackend(python: "python3`touch \(m)_B`", launcher: .slurm(SlurmOptions())),
            TorchBackend(python: "p'; touch \(m)_Q; '", launcher: .slurm(SlurmOptions())),
            TorchBackend(python: "p\\'; touch \(m)_S; '", launcher: .slurm(SlurmOptions())),
            // Refused before anything is written.
            TorchBackend(python: run.python, launcher: .slurm(SlurmOptions(partition: "gpu\ntouch \(m)_Y"))),
            TorchBackend(python: run.python, launcher: .slurm(SlurmOptions(time: "1:00\ntouch \(m)_T"))),
            TorchBackend(python: run.python, launcher: .slurm(SlurmOptions(account: "a\ntouch \(m)_A"))),
            TorchBackend(python: run.python, launcher: .slurm(SlurmOptions(options: ["--constraint=a100\ntouch \(m)_O"]))),
            TorchBackend(python: run.python, launcher: .slurm(SlurmOptions(options: ["--comment='x' # $(touch \(m)_C)"]))),
            TorchBackend(python: "python3\ntouch \(m)_P", launcher: .slurm(SlurmOptions())),
            // Locally, the same python values go to the kernel as argv[0], never through a shell or env.
            TorchBackend(python: "python3$(touch \(m)_L)"),
            TorchBackend(python: "A=B"),
            TorchBackend(python: "-i"),
        ]
        for backend in hostile {
            do { try run.run(backend) } catch {}
            #expect(try FileManager.default.contentsOfDirectory(atPath: marks).isEmpty, "\(backend.python) \(backend.launcher)")
            #expect(try run.ws.store.run(key: run.key)?.status != .running, "a failure left the run running")
        }
        // The comment option above is accepted (it is an ordinary sbatch option) and its value arrives intact.
        let script = try String(contentsOfFile: run.files.slurmScript, encoding: .utf8)
        #expect(script.contains("#SBATCH '--comment=\\'x\\' # $(touch \(m)_C)'"), "\(script)")
    }

    @Test func summaryCSVParses() {
        let rows = TimmSummaryRow.parse("epoch,train_loss,eval_loss,eval_top1,eval_top5,lr\n0,nan,2.5,10.0,50.0,0.1\n1,2.0,2.25,20.5,60.0,0.05\n2,1.9")
        #expect(rows.count == 2)
        #expect(rows[0].trainLoss.isNaN && rows[1] == TimmSummaryRow(epoch: 1, trainLoss: 2, evalLoss: 2.25, evalTop1: 20.5,
                                                                      evalTop5: 60, lr: 0.05))
    }

    // MARK: - Following a (fake) trainer

    @Test func ingestsEpochsAndLoadsWeightsBack() throws {
        let run = try FakeTorchRun(mode: "ok")
        let events = EventLog()
        try run.run(events: { events.add($0) })
        let record = try #require(try run.ws.store.run(key: run.key))
        #expect(record.status == .succeeded, "\(record.error ?? "")")
        let epochs = try run.ws.store.epochs(key: run.key)
        #expect(epochs.map(\.epoch) == [0, 1] && epochs[1].top1 == 0.5 && epochs[1].imagesPerSecond == 130 && epochs[0].trainLoss == 1.5)
        #expect(record.summary["top1"] == 0.5 && record.summary["parityMaxAbsDiff"] == 0 && record.summary["params"]! > 0)
        #expect(record.summary["trainTime"] == 0.75)
        #expect(try run.ws.store.artifact(named: "summary.csv", of: run.key) != nil)
        #expect(events.batches == 1 && events.epochs == 2)
        // The shapes were exported once as PNG folders the trainer reads, with Loom's normalisation.
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run.files.config))) as? [String: Any]
        let train = try #require((config?["data"] as? [String: String])?["train"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: train).sorted() == ["00_circle", "01_square"])
        #expect(try ImageFolder.load(root: train).images.count == 8)
    }

    @Test func failedProcessBecomesAClearError() throws {
        let run = try FakeTorchRun(mode: "fail")
        do {
            try run.run()
            Issue.record("a failing trainer did not fail the run")
        } catch let e as ExecuteError {
            #expect(e.message.contains("exit status 1") && e.message.contains("boom in rank 1"), "\(e.message)")
            #expect(e.message.contains("train.log"), "\(e.message)")
        }
        #expect(try run.ws.store.run(key: run.key)?.status == .failed)
    }

    @Test func killedRunResumesFromItsCheckpoint() throws {
        let run = try FakeTorchRun(mode: "killFirst")
        do {
            try run.run()
            Issue.record("a killed trainer did not fail the run")
        } catch let e as ExecuteError {
            #expect(e.message.contains("killed by signal 9") && e.message.contains("resumes from"), "\(e.message)")
        }
        #expect(try run.ws.store.epochs(key: run.key).map(\.epoch) == [0])
        let events = EventLog()
        try run.run(events: { events.add($0) })
        let calls = try String(contentsOfFile: run.files.directory + "/invocations.txt", encoding: .utf8).split(separator: "\n")
        #expect(calls.count == 2 && calls[1].hasSuffix("--resume \(run.files.checkpoint)"), "\(calls)")
        #expect(events.resumed == [1])
        #expect(try run.ws.store.run(key: run.key)?.status == .succeeded)
        #expect(try run.ws.store.epochs(key: run.key).map(\.epoch) == [0, 1])
    }

    @Test func weightsThatComputeSomethingElseAreRejected() throws {
        let run = try FakeTorchRun(mode: "ok", perturbProbe: 0.5)
        #expect(throws: ExecuteError.self) { try run.run() }
        #expect(try run.ws.store.run(key: run.key)?.error?.contains("differ") == true)
    }

    @Test func slurmScriptIsSubmittedAndFollowed() throws {
        var run = try FakeTorchRun(mode: "ok")
        // A fake sbatch that runs the batch script at once; a fake srun that runs its command.
        try run.dir.script("sbatch", "echo \"$*\" > \"$(dirname \"${@: -1}\")/sbatch-args.txt\"\n"
                           + "SLURM_JOB_ID=4242 bash \"${@: -1}\" > /dev/null 2>&1\necho '4242;cluster'\n")
        try run.dir.script("srun", "while [[ \"$1\" == --* ]]; do shift; done\nexec \"$@\"\n")
        try run.dir.script("squeue", "exit 0\n")
        run.execution.environment["PATH"] = run.dir.path + ":/usr/bin:/bin"
        try run.run(TorchBackend(python: run.python, processes: 2, launcher: .slurm(SlurmOptions(partition: "gpu"))))
        #expect(try run.ws.store.run(key: run.key)?.status == .succeeded)
        let script = try String(contentsOfFile: run.files.slurmScript, encoding: .utf8)
        #expect(script.contains("#SBATCH --partition='gpu'"))
        #expect(try String(contentsOfFile: run.files.directory + "/sbatch-args.txt", encoding: .utf8).hasPrefix("--parsable"))
        #expect(try run.ws.store.epochs(key: run.key).count == 2)
    }

    @Test func slurmSubmissionFailureIsReported() throws {
        var run = try FakeTorchRun(mode: "ok")
        try run.dir.script("sbatch", "echo 'sbatch: error: invalid partition specified: nope' >&2\nexit 1\n")
        run.execution.environment["PATH"] = run.dir.path + ":/usr/bin:/bin"
        do {
            try run.run(TorchBackend(python: run.python, launcher: .slurm(SlurmOptions(partition: "nope"))))
            Issue.record("a failing sbatch did not fail the run")
        } catch let e as ExecuteError {
            #expect(e.message.contains("invalid partition"), "\(e.message)")
        }
    }

    // MARK: - Real torchrun (LOOM_TORCH_PYTHON)

    /// The trainer Loom copies into a torch run reads the config Loom writes: its format is `TorchConfig.format`,
    /// every key it requires (`config["…"]`) is written, and every key written is read, except `processes` and
    /// `nodes` (recorded in args.yaml; the world comes from torchrun's environment). Runs without torch, so a renamed
    /// key fails here rather than only with LOOM_TORCH_PYTHON set.
    @Test func trainerReadsTheConfigLoomWrites() throws {
        let script = try String(contentsOfFile: try TorchLaunch.trainerScript(), encoding: .utf8)
        #expect(script.contains("FORMAT = \"\(TorchConfig.format)\""))
        func keys(_ pattern: String) -> Set<String> {
            let regex = try! NSRegularExpression(pattern: pattern)
            return Set(regex.matches(in: script, range: NSRange(script.startIndex..., in: script)).compactMap {
                Range($0.range(at: 1), in: script).map { String(script[$0]) }
            })
        }
        let required = keys(#"config\["([A-Za-z]+)"\]"#), optional = keys(#"config\.get\("([A-Za-z]+)""#)
        let (spec, _, _) = try torchSpec("let e = Experiment(model: .resnet(layers: [1], channels: [4]), data: .cifar10, epochs: 1)")
        let files = TorchRunFiles(directory: "/o/checkpoints/k/torch", finalWeights: "/o/checkpoints/k/final.safetensors")
        let json = try TorchConfig.json(spec: spec, key: "k", binding: "e", seed: 0, backend: TorchBackend(python: "p"),
                                        data: TorchData(kind: "cifar10", train: "/d", test: "/d", normalization: .cifar10),
                                        files: files, weights: nil, teacherWeights: nil)
        let written = Set(try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any]).keys)
        #expect(required.count >= 15, "\(required)")
        #expect(required.subtracting(written).isEmpty, "the trainer requires keys Loom does not write: \(required.subtracting(written))")
        #expect(written.subtracting(required.union(optional)) == ["processes", "nodes"],
                "keys Loom writes that the trainer never reads: \(written.subtracting(required.union(optional)))")
    }

    /// Trains a tiny SE-ResNet and a tiny ViT for one epoch with `torchrun --nproc_per_node=2` (gloo on CPU), next to
    /// an embedded run of the same ResNet; ingests them, renders a table and a confusion matrix from the torch run's
    /// weights, and checks Loom's logits against the torch side's within 1e-4.
    @Test(.enabled(if: torchPython != nil, "skipped: LOOM_TORCH_PYTHON not set"), .timeLimit(.minutes(10)))
    func trainsWithTorchrunAndComesBack() throws {
        let python = try #require(torchPython)
        let box = try Sandbox()
        let data = ".shapes(classes: 4, size: 16, train: 192, test: 64)"
        let path = try box.write("""
            ---
            title: torch backend
            backend: '.torch(python: "\(python)", processes: 2)'
            ---

            ```swift config
            let cnn = Experiment(model: .resnet(layers: [1, 1], channels: [8, 16], width: 8, attention: .se), data: \(data),
                                 augment: [.randomCrop(padding: 2), .horizontalFlip], optimizer: .sgd(lr: 0.05),
                                 epochs: 1, batchSize: 32)
            let vit = Experiment(model: .vit(patch: 4, dim: 24, depth: 1, heads: 2), data: \(data),
                                 optimizer: .adamw(lr: 1e-3), epochs: 1, batchSize: 32, labelSmoothing: 0.1)
            let here = cnn.with(backend: .embedded)
            ```

            ```swift config
            Table(cnn, vit, here, columns: [.model, .top1])
            Confusion(cnn)
            FrequencyAnalysis(cnn, vit, here, examples: 16)
            GradCAM(vit, images: 2)
            ```
            """)
        let (summary, log, html) = try box.run(path)
        #expect(summary.failed == 0 && summary.trained == 3, "\(log.lines)")
        #expect(html.contains("confusion matrix of cnn"))
        // Analyses read a torch-trained run's weights exactly as an embedded one's.
        #expect(summary.analysed == 4, "\(log.lines)")
        for title in ["ΔlogA of cnn", "ΔlogA of vit", "ΔlogA of here", "Grad-CAM of vit"] { #expect(html.contains(title)) }
        let (doc, ws) = try openNotebook(path, outputDirectory: box.output)
        let plan = try makePlan(document: doc, registry: notebookRegistry(), workspace: ws)
        for name in ["cnn", "vit"] {
            let e = try #require(plan.experiment(name))
            #expect(e.backend.label == "torch 2×1 local")
            let run = e.runs[0]
            #expect(run.state == .cached)
            let record = try #require(try ws.store.run(key: run.key))
            #expect(record.status == .succeeded, "\(record.error ?? "")")
            #expect(try ws.store.epochs(key: run.key).count == 1)
            let model = e.spec.model.build(seed: 0)
            try model.load(safetensors: ws.finalWeights(run.key))
            let parity = try probeParity(model: model, probe: TorchRunFiles(workspace: ws, key: run.key).probe)
            print("TorchBackendTests: \(name) Loom vs torch max |Δlogit| = \(parity.difference) (max |logit| \(parity.scale))")
            #expect(parity.difference <= 1e-4)
        }
        #expect(plan.experiment("here")!.runs[0].key != plan.experiment("cnn")!.runs[0].key)
    }
}

/// Progress events seen by a run.
final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var batches = 0, epochs = 0
    private(set) var resumed: [Int] = []
    func add(_ e: TrainingEvent) {
        lock.lock(); defer { lock.unlock() }
        switch e {
        case .batch: batches += 1
        case .epoch: epochs += 1
        case .resumed(let epoch, _): resumed.append(epoch)
        case .warning: break
        }
    }
}
