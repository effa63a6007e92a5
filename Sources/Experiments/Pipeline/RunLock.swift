// RunLock: a run's "this process is running me" lock, and the sweep that stores runs whose process died as interrupted.
import Foundation
import Notebook

/// An exclusive `flock` on `checkpoints/<key>/running.lock`, held by the process that runs `key` from `beginRun` to
/// `finishRun`. The kernel releases it when the process ends in any way (SIGKILL, a crash), so another process can
/// tell a run that is in progress from one whose process is gone — which the store alone cannot, since a killed
/// process never writes its end.
final class RunLock {
    private let fd: Int32

    private init(fd: Int32) { self.fd = fd }
    deinit { release() }

    static func file(_ ws: Workspace, _ key: String) -> String { ws.checkpointDirectory(key) + "/running.lock" }

    /// Takes the lock of `key`'s run; nil (and the run goes ahead) when the file system does not support it.
    static func acquire(_ ws: Workspace, key: String) -> RunLock? {
        try? FileManager.default.createDirectory(atPath: ws.checkpointDirectory(key), withIntermediateDirectories: true)
        let fd = open(file(ws, key), O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return nil }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { close(fd); return nil }
        return RunLock(fd: fd)
    }

    private var released = false
    func release() {
        guard !released else { return }
        released = true
        _ = flock(fd, LOCK_UN)
        close(fd)
    }

    /// Whether some live process holds `key`'s lock: true, false, or nil when there is no lock file (a run started by
    /// an older Loom, or on another machine's copy of the folder: nothing can be said).
    static func isHeld(_ ws: Workspace, key: String) -> Bool? { isHeld(lockFile: file(ws, key)) }

    static func isHeld(lockFile: String) -> Bool? {
        let fd = open(lockFile, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        if flock(fd, LOCK_SH | LOCK_NB) == 0 {
            _ = flock(fd, LOCK_UN)
            return false
        }
        return errno == EWOULDBLOCK ? true : nil
    }
}

/// Stores every `running` run whose process has ended (its lock is free) as interrupted, so no run stays `running`
/// after its process is gone; the next execution resumes it from its checkpoint as before. Returns the keys swept.
@discardableResult
func sweepAbandonedRuns(_ ws: Workspace, log: (String) -> Void) -> [String] {
    guard !ws.store.isReadOnly, let running = try? ws.store.runs(RunFilter(status: .running)) else { return [] }
    var swept: [String] = []
    for run in running where RunLock.isHeld(ws, key: run.key) == false {
        let message = "the process running it ended without finishing (killed or crashed); `loom run` resumes from its checkpoint"
        guard (try? ws.store.finishRun(key: run.key, outcome: .interrupted(message))) != nil else { continue }
        log("\(run.cell) (run \(run.key.prefix(12))): \(message)")
        swept.append(run.key)
    }
    return swept
}

/// Whether the process that ran `key` (a run stored as `running` in the store at `storePath`) has ended without
/// finishing it: its lock beside the store is free. Reads only; `loom runs` shows such a run as interrupted before
/// the next `loom run` records it so.
public func runProcessEnded(storePath: String, key: String) -> Bool {
    let output = (storePath as NSString).deletingLastPathComponent
    let lock = ((output.isEmpty ? "." : output) as NSString).appendingPathComponent("checkpoints/\(key)/running.lock")
    return RunLock.isHeld(lockFile: lock) == false
}
