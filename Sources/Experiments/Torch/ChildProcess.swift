// ChildProcess: run a program with an argv array (never a shell) and collect its exit status, stdout and stderr.
import Dispatch
import Foundation

enum ChildProcess {
    /// Runs `executable` with `arguments` and `environment`, stdin closed. Both output pipes are drained at once
    /// (stderr on another thread), so a child that writes more than a pipe buffer to either cannot hang us.
    static func run(_ executable: String, _ arguments: [String], environment: [String: String]) throws
        -> (status: Int32, stdout: String, stderr: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        p.environment = environment
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        nonisolated(unsafe) var errData = Data()
        let drained = DispatchGroup()
        drained.enter()
        DispatchQueue.global().async {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            drained.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        drained.wait()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
    }
}
