// The torch backend's timing probe: `loom plan`'s torch estimates from a cached probe (epochs × steps × seconds per
// step), "unknown" without one, no Python unless `--probe`, clear messages when the probe cannot run, and a real probe
// of a tiny model when LOOM_TORCH_PYTHON is set.
import Experiments
import Foundation
import Notebook
import Testing
import TestSupport

@Suite struct TorchProbeTests {
    /// A tiny notebook: one embedded experiment and its torch twin on `backend`.
    static func notebook(backend: String, epochs: Int = 2) -> String {
        """
        ```swift config
        let cpu = Experiment(model: \(model), data: \(data), epochs: \(epochs), batchSize: 16)
        let gpu = cpu.with(backend: \(backend))
        ```
        """
    }

    static let model = ".resnet(layers: [1, 1], channels: [4, 8], block: .bottleneck, width: 4)"
    static let data = ".shapes(classes: 4, size: 16, train: 64, test: 16)"

    /// The notebook's torch experiment alone, resolved, with `extra` arguments.
    static func spec(_ backend: String, epochs: Int = 2, extra: String = "") throws -> (ExperimentSpec, TorchBackend) {
        let (spec, _, b) = try torchSpec("let e = Experiment(model: \(model), data: \(data), epochs: \(epochs), batchSize: 16\(extra), backend: \(backend))")
        guard case .torch(let torch) = b else { throw ResolveError("not a torch backend: \(b)") }
        return (spec, torch)
    }

    @Test func stepsPerEpochFollowTheDistributedSampler() {
        // CIFAR on two processes, global batch 256: 25 000 images each, batches of 128.
        #expect(TorchProbe.stepsPerEpoch(trainImages: 50_000, batchSize: 256, world: 2, dropLast: false) == 196)
        #expect(TorchProbe.stepsPerEpoch(trainImages: 50_000, batchSize: 256, world: 2, dropLast: true) == 195)
        #expect(TorchProbe.stepsPerEpoch(trainImages: 10, batchSize: 4, world: 1, dropLast: false) == 3)
        #expect(TorchProbe.stepsPerEpoch(trainImages: 10, batchSize: 4, world: 1, dropLast: true) == 2)
        #expect(TorchProbe.stepsPerEpoch(trainImages: 5, batchSize: 4, world: 2, dropLast: false) == 2)  // ⌈5/2⌉ = 3 each, batches of 2
    }

    @Test func keysFollowWhatDecidesSpeedOnly() throws {
        let (spec, torch) = try Self.spec(".torch(python: \"/p\", processes: 2)")
        let key = try #require(TorchProbeKey.of(spec, backend: torch, machine: "m"))
        #expect(key.imageSize == 16 && key.batchSize == 16 && key.processes == 2 && key.python == "/p")
        let (lr, _) = try Self.spec(".torch(python: \"/p\", processes: 2)", epochs: 7, extra: ", optimizer: .sgd(lr: 0.5)")
        #expect(TorchProbeKey.of(lr, backend: torch, machine: "m")?.id == key.id)
        #expect(TorchProbeKey.of(spec, backend: torch, machine: "other")?.id != key.id)
        #expect(TorchProbeKey.of(spec, backend: TorchBackend(python: "/p", processes: 1), machine: "m")?.id != key.id)
        var bigger = spec
        bigger.batchSize = 32
        #expect(TorchProbeKey.of(bigger, backend: torch, machine: "m")?.id != key.id)
    }

    /// Without a probe result a torch run reads "unknown", and `loom plan` starts no Python: the backend's Python does
    /// not even exist, nothing is reported, and nothing is written.
    @Test func withoutAProbeTheEstimateIsUnknownAndNoPythonStarts() throws {
        let box = try Sandbox()
        let path = try box.write(Self.notebook(backend: ".torch(python: \"/nonexistent/python\", processes: 2)"))
        let listing = try PlanListing(notebook: path, outputDirectory: box.output)
        let gpu = try #require(listing.rows.first { $0[1] == "gpu" })
        #expect(gpu[4] == "unknown" && listing.probeMessages.isEmpty)
        #expect(listing.totals[0].hasSuffix(" + 1 torch run of unknown time"), "\(listing.totals)")
        #expect(listing.totals.contains { $0.contains("loom plan --probe") })
        #expect(!FileManager.default.fileExists(atPath: box.output + "/probes"))
    }

    /// A cached probe result gives the estimate epochs × steps per epoch × seconds per step, labelled as the probe's;
    /// a result stored for another key is not used.
    @Test func aCachedProbeGivesTheEstimate() throws {
        let box = try Sandbox()
        let path = try box.write(Self.notebook(backend: ".torch(python: \"/nonexistent/python\", processes: 2)", epochs: 3))
        let (spec, torch) = try Self.spec(".torch(python: \"/nonexistent/python\", processes: 2)", epochs: 3)
        var key = try #require(TorchProbeKey.of(spec, backend: torch))
        try Self.store(TorchProbeResult(key: key, secondsPerStep: 1.5, warmupSteps: 3, timedSteps: 5, devices: ["cpu", "cpu"],
                                        torch: "t", timm: "m", measuredAt: "now"), output: box.output, as: key.id)
        let listing = try PlanListing(notebook: path, outputDirectory: box.output)
        // 64 images over 2 processes, 8 per process and step: 4 steps; 3 epochs × 4 × 1.5 s = 18 s.
        #expect(listing.rows.first { $0[1] == "gpu" }?[4] == "~18 s (probe)", "\(listing.rows)")
        #expect(listing.totals[0].contains(" + ~18 s for 1 torch run (timing probe"), "\(listing.totals)")
        #expect(!listing.totals[0].contains("unknown"))

        // The same file name holding another key's result (another machine) is ignored.
        let id = key.id
        key.machine = "another machine"
        try Self.store(TorchProbeResult(key: key, secondsPerStep: 1.5, warmupSteps: 3, timedSteps: 5, devices: [], torch: "t",
                                        timm: "m", measuredAt: "now"), output: box.output, as: id)
        #expect(try PlanListing(notebook: path, outputDirectory: box.output).rows.first { $0[1] == "gpu" }?[4] == "unknown")
    }

    static func store(_ result: TorchProbeResult, output: String, as id: String) throws {
        let dir = TorchProbe.directory(outputDirectory: output)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try JSONEncoder().encode(result).write(to: URL(fileURLWithPath: dir + "/\(id).json"))
    }

    /// `loom plan --probe` with a Python that does not exist, one without torch, one that crashes, and a Slurm backend:
    /// each a warning naming the experiment and the cause, the plan still listed, exit status 0.
    @Test func probeFailuresAreClearMessages() throws {
        let box = try Sandbox()
        let noTorch = box.root + "/no-torch-python", crash = box.root + "/crashing-python"
        try Self.script(noTorch, "echo \"ModuleNotFoundError: No module named 'torch'\" >&2; exit 1")
        try Self.script(crash, "echo 'RuntimeError: probe exploded' >&2; exit 3")
        for (backend, expected) in [(".torch(python: \"/nonexistent/python\")", "/nonexistent/python is not an executable file"),
                                    (".torch(python: \"\(noTorch)\")", "has no torch: install torch"),
                                    (".torch(python: \"\(crash)\")", "probe exploded"),
                                    (".torch(launcher: .slurm(partition: \"gpu\"))", "the probe times this machine only")] {
            let path = try box.write(Self.notebook(backend: backend))
            let plan = try LoomProcess.run(["plan", path, "--output", box.output, "--probe"])
            #expect(plan.exited && plan.status == 0, "\(plan.stderr)")
            #expect(plan.stderr.contains("warning: timing probe for gpu: ") && plan.stderr.contains(expected), "\(backend): \(plan.stderr)")
            #expect(plan.stdout.contains(" unknown "), "\(plan.stdout)")
        }
    }

    /// A trainer given through $LOOM_TORCH_TRAINER without the probe beside it: the message names the missing file.
    @Test func aMissingProbeScriptIsNamed() throws {
        let box = try Sandbox()
        try Data("print('trainer')\n".utf8).write(to: URL(fileURLWithPath: box.root + "/loom_train.py"))
        let (spec, _) = try Self.spec(".torch()")
        let env = ["LOOM_TORCH_TRAINER": box.root + "/loom_train.py", "PATH": "/usr/bin:/bin"]
        #expect {
            try TorchProbe.run(spec, backend: TorchBackend(python: "/bin/sh"), outputDirectory: box.output, environment: env)
        } throws: { error in
            "\(error)".contains(box.root + "/loom_probe.py is missing")
        }
    }

    static func script(_ path: String, _ body: String) throws {
        try Data("#!/bin/sh\n\(body)\n".utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
    }

    /// A real probe of a tiny model on two processes: measured once, cached, then shown by a plain `loom plan`.
    @Test(.enabled(if: torchPython != nil, "skipped: LOOM_TORCH_PYTHON not set"), .timeLimit(.minutes(5)))
    func probeMeasuresATinyModelAndCachesIt() throws {
        let python = try #require(torchPython)
        let box = try Sandbox()
        let path = try box.write(Self.notebook(backend: ".torch(python: \"\(python)\", processes: 2)"))
        var logged: [String] = []
        let probed = try PlanListing(notebook: path, outputDirectory: box.output, probe: true, log: { logged.append($0) })
        #expect(probed.probeMessages.isEmpty, "\(probed.probeMessages)")
        #expect(logged.contains { $0.contains("s per step on cpu") || $0.contains("s per step on NVIDIA") }, "\(logged)")
        let (spec, torch) = try Self.spec(".torch(python: \"\(python)\", processes: 2)")
        let key = try #require(TorchProbeKey.of(spec, backend: torch))
        let result = try #require(TorchProbe.cached(key, outputDirectory: box.output))
        #expect(result.secondsPerStep > 0 && result.devices.count == 2 && result.timedSteps == TorchProbe.defaultTimedSteps)
        let plain = try PlanListing(notebook: path, outputDirectory: box.output)
        let expected = TorchProbe.estimate(spec, trainImages: 64, world: 2, secondsPerStep: result.secondsPerStep)
        #expect(plain.rows.first { $0[1] == "gpu" }?[4].hasSuffix(" (probe)") == true, "\(plain.rows)")
        #expect(plain.totals[0].contains("for 1 torch run (timing probe") && expected > 0, "\(plain.totals)")
        logged = []
        _ = try PlanListing(notebook: path, outputDirectory: box.output, probe: true, log: { logged.append($0) })
        #expect(logged.isEmpty, "a cached probe ran again: \(logged)")
    }
}
