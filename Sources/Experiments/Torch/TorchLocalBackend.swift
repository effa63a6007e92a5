// Torch, local launcher: torchrun as a child process on this machine, followed until it exits.
import Foundation
import Vision

/// The torch backend with `launcher: .local`: torchrun as a child process on this machine.
struct TorchLocalBackend: TorchRunBackend {
    let torch: TorchBackend

    /// Runs torchrun as a child process with its output in `train.log`; nil when it succeeded, else what went wrong
    /// with the log's tail.
    func launch(_ launch: TorchLaunch, resume: String?, follower: TorchFollower, stop: StopFlag, execution: TorchExecution,
                emit: (TrainingEvent) -> Void) throws -> String? {
        let files = launch.files
        _ = FileManager.default.createFile(atPath: files.log, contents: nil)
        guard let log = FileHandle(forWritingAtPath: files.log) else { throw ExecuteError("cannot write \(files.log)") }
        defer { try? log.close() }
        let p = Process()
        // The interpreter and its arguments as an argv array: no shell, and no `env` to read a value as an option or
        // an assignment.
        let arguments = launch.torchrunArguments(resume: resume)
        p.executableURL = URL(fileURLWithPath: try TorchLaunch.executable(arguments[0], environment: execution.environment))
        p.arguments = Array(arguments.dropFirst())
        var env = execution.environment
        env["PYTHONUNBUFFERED"] = "1"
        p.environment = env
        p.standardOutput = log
        p.standardError = log
        p.standardInput = FileHandle.nullDevice
        do { try p.run() } catch {
            throw ExecuteError("cannot start \(launch.backend.python) for the torch backend: \(error)")
        }
        while p.isRunning {
            try follower.poll(emit: emit)
            if stop.isSet {
                p.terminate()
                p.waitUntilExit()
                try? follower.poll(emit: emit)
                throw Interrupted()
            }
            Thread.sleep(forTimeInterval: execution.pollInterval)
        }
        p.waitUntilExit()
        try follower.poll(final: true, emit: emit)
        let status = TorchStatus.read(files.status)
        if p.terminationReason == .exit && p.terminationStatus == 0 && status?.succeeded == true { return nil }
        let how = p.terminationReason == .uncaughtSignal ? "killed by signal \(p.terminationStatus)"
            : "exit status \(p.terminationStatus)"
        return "`\(launch.torchrunArguments(resume: resume).joined(separator: " "))` ended with \(how)"
            + (status == nil ? " and no status.json" : "") + "\n--- last lines of \(files.log) ---\n" + tail(of: files.log)
    }
}
