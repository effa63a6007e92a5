// `loom weights import`: its errors without torch, the converter's reports decoded, and with LOOM_TORCH_PYTHON real
// checkpoints (prefixes, the head's class count, a mismatch, a hostile pickle, a truncated file).
import Foundation
import Testing
import Vision
@testable import Experiments

/// A fresh temporary folder for one test.
private func scratch() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("loom-weights-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
}

/// Whether `python` can import torch (a system Python usually cannot).
private func hasTorch(_ python: String) -> Bool {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: python)
    p.arguments = ["-c", "import torch"]
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    guard (try? p.run()) != nil else { return false }
    p.waitUntilExit()
    return p.terminationStatus == 0
}

private let systemPython = ["/usr/bin/python3", "/usr/local/bin/python3"].first { FileManager.default.isExecutableFile(atPath: $0) }

/// The small SE-ResNet the torch tests save: its expression and the converter's model object.
private let tinyExpression = ".resnet(layers: [1, 1, 1], block: .basic, channels: [16, 32, 64], width: 16, attention: .se)"
private let tinyModel = #"{"arch":"resnet","block":"basic","layers":[1,1,1],"channels":[16,32,64],"stem":"cifar","stemWidth":16,"attention":"se","classes":10}"#

@Suite struct WeightsImportTests {
    @Test func convertersAreFoundInTheSourceTree() {
        #expect(FileManager.default.fileExists(atPath: TorchLaunch.sourceTreeTrainer), "\(TorchLaunch.sourceTreeTrainer)")
        let converter = URL(fileURLWithPath: TorchLaunch.sourceTreeTrainer).deletingLastPathComponent()
            .appendingPathComponent("loom_weights.py").path
        #expect(FileManager.default.fileExists(atPath: converter))
    }

    @Test func missingFileIsNamed() {
        #expect { try WeightsImport(file: "/nonexistent/model.pth", model: "r18").run() } throws: { error in
            "\(error)".contains("/nonexistent/model.pth: no such readable file")
        }
    }

    @Test func badModelIsTheCellsError() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("m.pth").path
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: file))
        #expect { try WeightsImport(file: file, model: ".resnet(dept: 18)").run() } throws: { error in
            "\(error)".contains("did you mean `depth`?")
        }
    }

    @Test func defaultOutputIsUnderOutputWeights() {
        #expect(WeightsImport(file: "ckpt/resnet50.a1_in1k.pth.tar", model: "r50").outputPath
                == "output/weights/resnet50.a1_in1k.safetensors")
        #expect(WeightsImport(file: "x.bin", model: "r50", out: "w.safetensors").outputPath == "w.safetensors")
    }

    @Test func convertersReportsAreDecoded() throws {
        let ok = try WeightsImport.decode(stdout: #"{"status": "ok", "tensors": 3, "parameters": 10, "skipped": ["epoch"]}"#,
                                          stderr: "", status: 0, python: "py")
        guard case .converted(3, 10, ["epoch"]) = ok else { Issue.record("\(ok)"); return }
        let names = (1...9).map { "\"layer\($0).w\"" }.joined(separator: ", ")
        let mismatch = try WeightsImport.decode(stdout: "noise\n" + #"{"status": "mismatch", "missing": ["#
            + names + #"], "unexpected": [], "wrong": [["fc.weight", [10, 64], [100, 64]]], "head_classes": 10, "tensors": 9}"#,
                                                stderr: "", status: 1, python: "py")
        guard case .mismatch(let m) = mismatch else { Issue.record("\(mismatch)"); return }
        let text = m.message(file: "f.pth", model: "M", classesWritten: true)
        #expect(text.contains("missing from the checkpoint: layer1.w, layer2.w, layer3.w, layer4.w, layer5.w, layer6.w, … (9 in all)"))
        #expect(text.contains("wrong shape: fc.weight [10, 64] (model [100, 64])"))
        #expect(text.contains("the checkpoint's head has 10 classes"))
        #expect { try WeightsImport.decode(stdout: #"{"status": "error", "message": "f.pth is not a torch checkpoint"}"#,
                                           stderr: "", status: 1, python: "py") } throws: { "\($0)" == "f.pth is not a torch checkpoint" }
        #expect { try WeightsImport.decode(stdout: "", stderr: "Traceback\nImportError: boom", status: 1, python: "py") }
            throws: { "\($0)".contains("exited 1 without a result") && "\($0)".contains("ImportError: boom") }
    }

    @Test(.enabled(if: systemPython.map { !hasTorch($0) } ?? false, "needs a python3 without torch"))
    func pythonWithoutTorchIsNamed() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("m.pth").path
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: file))
        #expect { try WeightsImport(file: file, model: "r18", out: dir.appendingPathComponent("o.safetensors").path,
                                    python: systemPython).run() } throws: { "\($0)".contains("lacks the module torch") }
    }
}

/// With the torch backend's Python: real checkpoints written by torch, converted and checked end to end.
@Suite(.enabled(if: torchPython != nil, "set LOOM_TORCH_PYTHON to a Python with torch, timm and safetensors"))
struct WeightsImportTorchTests {
    /// Saves the tiny SE-ResNet's random weights as `name` in `dir`: under `state_dict` with `module.` prefixes, beside
    /// non-tensor entries, as a training checkpoint is; also a pickle that would run code, and a truncated copy.
    func makeCheckpoints(in dir: URL) throws {
        let script = """
            import sys, torch
            sys.path.insert(0, \(String(reflecting: URL(fileURLWithPath: TorchLaunch.sourceTreeTrainer).deletingLastPathComponent().path)))
            from loom_train import build_model
            import json
            m = build_model(json.loads('\(tinyModel)'))
            torch.manual_seed(1)
            for p in m.parameters(): p.data.normal_(0, 0.1)
            torch.save({"epoch": 3, "state_dict": {"module." + k: v for k, v in m.state_dict().items()}}, "ck.pth.tar")
            data = open("ck.pth.tar", "rb").read()
            open("trunc.pth", "wb").write(data[:len(data) // 2])
            class Evil:
                def __reduce__(self):
                    import os
                    return (os.mkdir, (os.path.abspath("PWNED"),))
            torch.save({"state_dict": {"a": torch.zeros(1)}, "x": Evil()}, "evil.pth")
            """
        let p = Process()
        p.executableURL = URL(fileURLWithPath: torchPython!)
        p.arguments = ["-c", script]
        p.currentDirectoryURL = dir
        try p.run()
        p.waitUntilExit()
        try #require(p.terminationStatus == 0)
    }

    @Test func importsACheckpointAndTheHeadDecidesClasses() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        try makeCheckpoints(in: dir)
        let out = dir.appendingPathComponent("w.safetensors").path
        let lines = try WeightsImport(file: dir.appendingPathComponent("ck.pth.tar").path, model: tinyExpression, out: out,
                                      python: torchPython).run()
        #expect(lines[0].hasPrefix("imported 68 tensors"), "\(lines)")
        #expect(lines[1].hasSuffix("classes: 10)"), "\(lines)")  // not written: taken from fc.weight
        #expect(lines.contains { $0.contains("non-tensor entries: epoch") })
        let (spec, _) = try Predictor.loadModel(tinyExpression, weights: out)
        #expect(spec.classes == 10)
    }

    @Test func mismatchListsNamesAndWritesNothing() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        try makeCheckpoints(in: dir)
        let out = dir.appendingPathComponent("w.safetensors").path
        let noSE = ".resnet(layers: [1, 1, 1], block: .basic, channels: [16, 32, 64], width: 16, classes: 10)"
        #expect { try WeightsImport(file: dir.appendingPathComponent("ck.pth.tar").path, model: noSE, out: out,
                                    python: torchPython).run() } throws: { error in
            "\(error)".contains("not in the model: layer1.0.se.fc1.bias") && "\(error)".contains("(12 in all)")
        }
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func hostileAndTruncatedFilesAreRefused() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        try makeCheckpoints(in: dir)
        let out = dir.appendingPathComponent("w.safetensors").path
        #expect { try WeightsImport(file: dir.appendingPathComponent("evil.pth").path, model: "r18", out: out,
                                    python: torchPython).run() } throws: { "\($0)".contains("never runs pickled code") }
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("PWNED").path))
        #expect { try WeightsImport(file: dir.appendingPathComponent("trunc.pth").path, model: "r18", out: out,
                                    python: torchPython).run() } throws: { "\($0)".contains("cannot be read as a torch checkpoint") }
        #expect(!FileManager.default.fileExists(atPath: out))
    }
}
