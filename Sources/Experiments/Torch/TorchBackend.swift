// Backends: which engine trains an Experiment (`backend: .embedded` or `.torch(...)`), its vocabulary, resolution,
// notebook-wide default (front matter `backend:`) and what of it enters the run key.
import Foundation
import Notebook

/// The engine that trains an experiment.
public enum Backend: Codable, Equatable, Sendable {
    /// Loom's own engine, in this process.
    case embedded
    /// PyTorch/timm with DDP, through `python/loom_train.py` under `torchrun` (locally or via Slurm).
    case torch(TorchBackend)

    /// A short label for `loom plan`: `embedded`, `torch 2×1 local`, `torch 4×2 slurm`.
    public var label: String {
        switch self {
        case .embedded: return "embedded"
        case .torch(let t):
            let launcher: String
            switch t.launcher {
            case .local: launcher = "local"
            case .slurm: launcher = "slurm"
            }
            return "torch \(t.processes)×\(t.nodes) \(launcher)"
        }
    }
}

/// How the torch side runs: interpreter, processes per node, nodes and launcher.
public struct TorchBackend: Codable, Equatable, Sendable {
    /// The Python with torch, timm and safetensors (`torchrun` is run as `python -m torch.distributed.run`).
    public var python: String
    /// Processes per node (`--nproc_per_node`), one per GPU on a GPU machine.
    public var processes: Int
    /// Nodes; more than one needs `launcher: .slurm(...)`.
    public var nodes: Int
    public var launcher: TorchLauncher

    public init(python: String, processes: Int = 1, nodes: Int = 1, launcher: TorchLauncher = .local) {
        self.python = python; self.processes = processes; self.nodes = nodes; self.launcher = launcher
    }

    /// Processes in all: the DDP world. `batchSize` is the global batch, split evenly across it.
    public var worldSize: Int { processes * nodes }

    /// Checks every value that reaches a command line or the Slurm script: no control characters anywhere (a newline
    /// would start a new script line), and `partition`, `account`, `time` and `options` in Slurm's own syntax. Cells
    /// are data, and a shared notebook must not be able to run commands through them.
    /// - Throws: ``ResolveError`` naming the field, the value and what it may hold.
    public func validate() throws {
        guard !python.isEmpty else { throw ResolveError("`.torch(python: \"\")` is empty; give the path of a Python or leave it out") }
        try Self.checkPrintable(python, field: "`.torch(python:)`")
        guard (1...1_024).contains(processes), (1...10_000).contains(nodes) else {
            throw ResolveError("`.torch(processes: \(processes), nodes: \(nodes))`: processes must be in 1...1024 and nodes in 1...10000")
        }
        guard case .slurm(let o) = launcher else { return }
        let name = "[A-Za-z0-9_.+-]+"
        if let p = o.partition {
            try Self.check(p, field: "partition", pattern: "^\(name)(,\(name))*$",
                           expected: "a partition name or a comma list of them (letters, digits, `_.+-`), e.g. \"gpu\"")
        }
        if let a = o.account {
            try Self.check(a, field: "account", pattern: "^\(name)$", expected: "an account name (letters, digits, `_.+-`), e.g. \"lab\"")
        }
        if let t = o.time {
            let hms = "[0-9]+(:[0-9]{1,2}){0,2}", dhms = "[0-9]+-[0-9]{1,2}(:[0-9]{1,2}){0,2}"
            try Self.check(t, field: "time", pattern: "^(\(hms)|\(dhms)|(?i:infinite|unlimited))$",
                           expected: "Slurm's time syntax: minutes, minutes:seconds, hours:minutes:seconds, days-hours, "
                               + "days-hours:minutes or days-hours:minutes:seconds (e.g. \"2-00:00:00\")")
        }
        if let g = o.gpusPerNode, !(0...1_024).contains(g) { throw ResolveError("`.slurm(gpusPerNode: \(g))` must be in 0...1024") }
        if let c = o.cpusPerTask, !(1...4_096).contains(c) { throw ResolveError("`.slurm(cpusPerTask: \(c))` must be in 1...4096") }
        for option in o.options {
            try Self.checkPrintable(option, field: "`.slurm(options:)`")
            try Self.check(option, field: "options", pattern: "^--?[A-Za-z][A-Za-z0-9-]*(=.*)?$",
                           expected: "one sbatch option per entry, written `--name=value` or `--flag`, e.g. \"--constraint=a100\"")
            let optionName = String(option.drop(while: { $0 == "-" }).prefix(while: { $0 != "=" }))
            if let field = Self.reservedOptions[optionName] {
                throw ResolveError("`.slurm(options: [\"\(option)\"])`: Loom writes --\(optionName) itself; \(field)")
            }
        }
    }

    /// sbatch options Loom sets from other fields (or that would replace the script), with what to use instead.
    static let reservedOptions: [String: String] = [
        "wrap": "the batch script is Loom's (--wrap would replace it)", "nodes": "use `.torch(nodes:)`",
        "N": "use `.torch(nodes:)`", "ntasks-per-node": "one task per node runs torchrun",
        "output": "the log goes beside the run's files", "o": "the log goes beside the run's files",
        "job-name": "the job is named after the run", "J": "the job is named after the run",
        "partition": "use `.slurm(partition:)`", "p": "use `.slurm(partition:)`", "time": "use `.slurm(time:)`",
        "t": "use `.slurm(time:)`", "account": "use `.slurm(account:)`", "A": "use `.slurm(account:)`",
        "gpus-per-node": "use `.slurm(gpusPerNode:)`", "cpus-per-task": "use `.slurm(cpusPerTask:)`",
        "c": "use `.slurm(cpusPerTask:)`", "parsable": "Loom submits with --parsable",
    ]

    /// Refuses control characters (newline, carriage return, NUL, escape, …) in a value written to a script or passed
    /// to a program.
    static func checkPrintable(_ value: String, field: String) throws {
        if let bad = value.unicodeScalars.first(where: { $0.properties.generalCategory == .control || $0 == "\u{2028}" || $0 == "\u{2029}" }) {
            throw ResolveError("\(field) \(value.debugDescription) contains the control character U+"
                               + String(repeating: "0", count: max(0, 4 - String(bad.value, radix: 16).count)) + String(bad.value, radix: 16, uppercase: true) + "; values that reach a command line or batch script may not")
        }
    }

    private static func check(_ value: String, field: String, pattern: String, expected: String) throws {
        try checkPrintable(value, field: "`.slurm(\(field):)`")
        guard value.range(of: pattern, options: .regularExpression) != nil else {
            throw ResolveError("`.slurm(\(field): \(value.debugDescription))` is not \(expected)")
        }
    }
}

/// Where `torchrun` starts.
public enum TorchLauncher: Codable, Equatable, Sendable {
    /// `torchrun --standalone` on this machine, as a child process.
    case local
    /// A Slurm batch script (written under the run's checkpoint folder) submitted with `sbatch`.
    case slurm(SlurmOptions)
}

/// `#SBATCH` settings of `.slurm(...)`; nil fields are left to the cluster's defaults.
public struct SlurmOptions: Codable, Equatable, Sendable {
    public var partition: String?
    /// Wall-time limit as Slurm writes it, e.g. "2-00:00:00".
    public var time: String?
    public var account: String?
    /// GPUs per node; nil asks for `processes` GPUs per node.
    public var gpusPerNode: Int?
    public var cpusPerTask: Int?
    /// More `#SBATCH` lines, written as given (e.g. "--constraint=a100").
    public var options: [String]

    public init(partition: String? = nil, time: String? = nil, account: String? = nil, gpusPerNode: Int? = nil,
                cpusPerTask: Int? = nil, options: [String] = []) {
        self.partition = partition; self.time = time; self.account = account; self.gpusPerNode = gpusPerNode
        self.cpusPerTask = cpusPerTask; self.options = options
    }
}

extension Vocabulary {
    static let launcher = EnumSchema("Launcher", cases: [
        CaseSchema("local", doc: "`torchrun --standalone` on this machine."),
        CaseSchema("slurm", [
            ParameterSchema("partition", .string, default: .absent, doc: "`#SBATCH --partition`."),
            ParameterSchema("time", .string, default: .absent, doc: "`#SBATCH --time`, e.g. \"1-00:00:00\"."),
            ParameterSchema("account", .string, default: .absent, doc: "`#SBATCH --account`."),
            ParameterSchema("gpusPerNode", .int(.within(0...1_024)), default: .absent,
                            doc: "`#SBATCH --gpus-per-node`; omitted, `processes`."),
            ParameterSchema("cpusPerTask", .int(.within(1...4_096)), default: .absent, doc: "`#SBATCH --cpus-per-task`."),
            ParameterSchema("options", .array(of: .string), default: [], doc: "More `#SBATCH` options, as written."),
        ], doc: "Write a batch script under the run's checkpoint folder and submit it with `sbatch`."),
    ])

    static let backend = EnumSchema("Backend", cases: [
        CaseSchema("embedded", doc: "Loom's own engine in this process (the default)."),
        CaseSchema("torch", [
            ParameterSchema("python", .string, default: .absent,
                            doc: "Python with torch, timm and safetensors; omitted, `$LOOM_TORCH_PYTHON` or `python3`."),
            ParameterSchema("processes", .int(.within(1...1_024)), default: 1,
                            doc: "DDP processes per node (one per GPU); `batchSize` is split across all processes."),
            ParameterSchema("nodes", .int(.within(1...10_000)), default: 1, doc: "Nodes; more than one needs `.slurm`."),
            ParameterSchema("launcher", .enumeration(launcher), default: .case("local"),
                            doc: "`.local` (torchrun here) or `.slurm(...)` (a batch script)."),
        ], doc: "PyTorch/timm with DDP via Loom's `python/loom_train.py`; results, curves and weights come back."),
    ])
}

extension Backend {
    /// The backend of an `Experiment` value: its own `backend:` when written, else `notebookDefault` (front matter),
    /// else `.embedded`.
    /// - Throws: ``ResolveError`` for a torch backend that cannot run (several nodes without Slurm).
    public static func resolve(_ value: ResolvedValue?, notebookDefault: ResolvedValue? = nil,
                               environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Backend {
        let chosen = (value == nil || value == .null) ? notebookDefault : value
        guard let chosen, chosen != .null, chosen.name == "torch" else { return .embedded }
        let a = Arguments(chosen, owner: ".torch")
        let python = a.optionalString("python") ?? TorchLaunch.defaultPython(environment: environment)
        let launcherValue = a.value("launcher")
        var launcher = TorchLauncher.local
        if launcherValue.name == "slurm" {
            let s = Arguments(launcherValue, owner: ".slurm")
            launcher = .slurm(SlurmOptions(partition: s.optionalString("partition"), time: s.optionalString("time"),
                                           account: s.optionalString("account"), gpusPerNode: s.optionalInt("gpusPerNode"),
                                           cpusPerTask: s.optionalInt("cpusPerTask"),
                                           options: s.array("options").compactMap {
                                               if case .string(let o) = $0 { return o }
                                               return nil
                                           }))
        }
        let torch = TorchBackend(python: python, processes: a.int("processes"), nodes: a.int("nodes"), launcher: launcher)
        if torch.nodes > 1, case .local = torch.launcher {
            throw ResolveError("`.torch(nodes: \(torch.nodes))` needs `launcher: .slurm(...)`: a local torchrun runs on one node")
        }
        try torch.validate()
        return .torch(torch)
    }

    /// The experiment value as the run key sees it. The embedded backend leaves no trace (so keys of notebooks
    /// written before backends existed stay the same); a torch backend enters as `.torch(worldSize: N)`: the DDP
    /// world changes results (per-process BatchNorm statistics, data sharding), while the Python path, launcher and
    /// the split of the world into nodes × processes do not.
    ///
    /// `trainer` is the SHA-256 of `python/loom_train.py` (``trainerHash(environment:)``): the script is part of what
    /// a torch run computes, so editing it re-runs torch runs (and only them).
    public func keyValue(_ value: ResolvedValue, trainer: String = Backend.trainerHash()) -> ResolvedValue {
        guard case let .call(name, args) = value else { return value }
        var kept = args.filter { $0.label != "backend" }
        if case .torch(let t) = self {
            kept.append(ResolvedArgument("backend", .enumCase("torch", [ResolvedArgument("worldSize", .int(t.worldSize)),
                                                                        ResolvedArgument("trainer", .string(trainer))])))
        }
        return .call(name, kept)
    }

    /// The content hash of the torch trainer script a run would copy, or "missing" when none is found (the run then
    /// fails with the places looked at).
    public static func trainerHash(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        guard let path = try? TorchLaunch.trainerScript(environment: environment),
              let hash = try? ContentHash.sha256Hex(fileAt: path) else { return "missing" }
        return hash
    }

    /// Checks what the torch side needs of an experiment before anything trains.
    /// - Throws: ``ResolveError`` naming the field (a batch that does not split across the processes, …).
    public func validate(_ spec: ExperimentSpec) throws {
        guard case .torch(let t) = self else { return }
        guard spec.batchSize % t.worldSize == 0 else {
            throw ResolveError("`batchSize: \(spec.batchSize)` is the global batch and must split evenly across the "
                               + "\(t.worldSize) torch processes; use a multiple of \(t.worldSize)")
        }
    }
}

/// The notebook-wide default backend from front matter, e.g.
/// `backend: '.torch(python: "/opt/venv/bin/python", processes: 4)'` (quoted: YAML reads `: ` inside as a map) or
/// `backend: embedded`. Experiments that write `backend:` keep theirs.
public enum NotebookBackend {
    private static let probe = CallSchema("NotebookBackend", [
        ParameterSchema("backend", .enumeration(Vocabulary.backend), doc: "The default backend."),
    ], kind: "frontMatter", doc: "Front matter `backend:`.")

    /// The checked default, or nil when the front matter has no `backend:`.
    /// - Throws: ``ResolveError`` with the checker's message and a hint when the text is not a backend.
    public static func value(_ frontMatter: FrontMatter?) throws -> ResolvedValue? {
        guard var text = frontMatter?.extra["backend"]?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else {
            return nil
        }
        if !text.hasPrefix(".") { text = "." + text }
        var bindings = Bindings()
        let checked = Checker(registry: SchemaRegistry([probe])).check(Cell(source: "NotebookBackend(backend: \(text))"),
                                                                       bindings: &bindings)
        if let error = checked.diagnostics.first(where: { $0.severity == .error }) {
            throw ResolveError("front matter `backend: \(text)`: \(error.message) (write e.g. "
                               + "`backend: '.torch(processes: 2)'` or `backend: embedded`)")
        }
        return checked.statements.first?.value["backend"]
    }
}
