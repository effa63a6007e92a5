// Doctor: the facts a bug report needs, in one screen — CPU and ISA, Loom's kernel path, the BLAS
// library and core, thread count, Swift and SQLite versions, and the torch backend's Python.
import CBLAS
import Engine
import Foundation
import Notebook

/// One section of `loom doctor`: a title and its (name, value) lines.
public struct DoctorSection: Equatable, Sendable {
    public var title: String
    public var facts: [(String, String)]

    public static func == (a: DoctorSection, b: DoctorSection) -> Bool {
        a.title == b.title && a.facts.map(\.0) == b.facts.map(\.0) && a.facts.map(\.1) == b.facts.map(\.1)
    }
}

public enum Doctor {
    /// The sections, in order; `python` is the torch backend's interpreter to probe, if any.
    public static func sections(python: String?, probeTimeout: TimeInterval = 60) -> [DoctorSection] {
        let cpu = CPUFacts.current
        let level = BLASCore.level(of: cpu)
        let coreLevel = BLASCore.level(ofCore: BLASCore.current)
        var corrected: String
        switch BLASCore.origin {
        case .detected: corrected = "no (OpenBLAS's own detection)"
        case .userSet(let v): corrected = "no (OPENBLAS_CORETYPE=\(v), the user's choice)"
        case .corrected(let from): corrected = "yes: OpenBLAS chose \(from); Loom set OPENBLAS_CORETYPE=\(BLASCore.current)"
        }
        var blas = [("library", Threads.blasConfig), ("core", BLASCore.current
                     + (coreLevel.map { " (\($0) kernels)" } ?? " (a core Loom does not know)")),
                    ("core corrected", corrected)]
        if let coreLevel, coreLevel < level {
            blas.append(("warning", "the core is weaker than this CPU allows (\(level)); unset OPENBLAS_CORETYPE, or set it to \(BLASCore.bestCore(for: cpu) ?? "a stronger core")"))
        }
        blas.append(("threads", "OpenBLAS \(openblas_get_num_threads()) (Loom calls it single-threaded inside its own shards)"))
        let facts: [DoctorSection] = [
            DoctorSection(title: "CPU", facts: [
                ("model", cpu.brand.isEmpty ? "unknown" : cpu.brand),
                ("vendor", "\(cpu.vendor), family \(cpu.family), model \(cpu.model)"),
                ("ISA", cpu.isaSummary),
                ("cores", "\(ProcessInfo.processInfo.activeProcessorCount)"),
            ]),
            DoctorSection(title: "Loom engine", facts: [
                ("kernels", "\(KernelISA.current.rawValue): \(KernelISA.current.name)"
                    + (ProcessInfo.processInfo.environment["LOOM_ISA"].map { " (LOOM_ISA=\($0))" } ?? "")),
                ("numerics", engineNumericsVersion),
                ("threads", "\(Threads.count)" + (ProcessInfo.processInfo.environment["LOOM_THREADS"].map { " (LOOM_THREADS=\($0))" } ?? "")),
            ]),
            DoctorSection(title: "BLAS", facts: blas),
            DoctorSection(title: "Toolchain", facts: [
                ("Swift", swiftVersion),
                ("SQLite", ResultsStore.sqliteVersion),
                ("OS", ProcessInfo.processInfo.operatingSystemVersionString),
            ]),
        ]
        return facts + [torchSection(python: python, timeout: probeTimeout)]
    }

    /// The Swift compiler this binary was built with.
    static var swiftVersion: String {
        #if compiler(>=6.5)
        return "6.5 or later"
        #elseif compiler(>=6.4)
        return "6.4"
        #elseif compiler(>=6.3)
        return "6.3"
        #elseif compiler(>=6.2)
        return "6.2"
        #else
        return "before 6.2"
        #endif
    }

    /// What the torch backend's Python has: torch, timm and CUDA devices, probed with a time limit.
    static func torchSection(python: String?, timeout: TimeInterval) -> DoctorSection {
        guard let python, !python.isEmpty else {
            return DoctorSection(title: "Torch backend", facts: [("python", "not configured (set LOOM_TORCH_PYTHON or pass --python)")])
        }
        let script = """
        import json, platform
        out = {"python": platform.python_version()}
        try:
            import torch
            out["torch"] = torch.__version__
            out["cuda"] = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
        except Exception as e:
            out["torch"] = "missing (" + type(e).__name__ + ")"
        try:
            import timm
            out["timm"] = timm.__version__
        except Exception as e:
            out["timm"] = "missing (" + type(e).__name__ + ")"
        print(json.dumps(out))
        """
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [python, "-c", script]
        p.environment = BLASCore.childEnvironment()
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        p.standardInput = FileHandle.nullDevice
        var facts: [(String, String)] = [("python", python)]
        do { try p.run() } catch {
            facts.append(("status", "cannot start: \(error.localizedDescription)"))
            return DoctorSection(title: "Torch backend", facts: facts)
        }
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if p.isRunning {
            p.terminate()
            p.waitUntilExit()
            facts.append(("status", "no answer within \(Int(timeout)) s"))
            return DoctorSection(title: "Torch backend", facts: facts)
        }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        guard p.terminationStatus == 0, let o = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            facts.append(("status", "exited with status \(p.terminationStatus) (is it a Python 3?)"))
            return DoctorSection(title: "Torch backend", facts: facts)
        }
        facts[0].1 = "\(python) (Python \(o["python"] as? String ?? "?"))"
        facts.append(("torch", o["torch"] as? String ?? "?"))
        facts.append(("timm", o["timm"] as? String ?? "?"))
        let cuda = o["cuda"] as? [String] ?? []
        facts.append(("CUDA devices", cuda.isEmpty ? "none (trains on the CPU)" : TorchStatus.deviceSummary(cuda) ?? ""))
        return DoctorSection(title: "Torch backend", facts: facts)
    }

    /// The sections as aligned text, one screen.
    public static func text(_ sections: [DoctorSection]) -> String {
        let width = sections.flatMap { $0.facts.map(\.0.count) }.max() ?? 0
        return sections.map { s in
            ([s.title] + s.facts.map { "  " + $0.0.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.1 })
                .joined(separator: "\n")
        }.joined(separator: "\n") + "\n"
    }

    /// The sections as one JSON object of objects (for bug reports and tests).
    public static func json(_ sections: [DoctorSection]) throws -> Data {
        var o: [String: [String: String]] = [:]
        for s in sections { o[s.title] = Dictionary(s.facts, uniquingKeysWith: { a, _ in a }) }
        return try JSONSerialization.data(withJSONObject: o, options: [.sortedKeys, .prettyPrinted])
    }
}
