// StandardStreams: stdin/stdout/stderr made safe at start-up, and output write errors turned into exit status 74.
import Foundation

/// What `loom` does with its three standard streams so that no output problem becomes a crash or a corrupt store.
///
/// - A closed descriptor 0, 1 or 2 is filled at start-up (before any file is opened), so the results database can
///   never receive descriptor 1 or 2 and then the progress lines. A closed stdout gets `/dev/null` opened
///   read-only: every write to it fails, and the failure is reported at exit. A closed stderr gets a copy of
///   stdout when that works, so error messages still appear somewhere.
/// - SIGPIPE is ignored: writing to a closed pipe (`loom runs | head -1`) becomes an EPIPE error, not a death by
///   signal.
/// - Everything reaches stdout through stdio (`print`, ``out(_:)``); at exit ``finish(status:)`` flushes it and a
///   failed write (disk full, closed pipe, closed descriptor) exits 74 (EX_IOERR) with a message on stderr.
enum StandardStreams {
    /// Exit status when standard output could not be written (sysexits.h EX_IOERR).
    static let outputErrorStatus: Int32 = 74

    nonisolated(unsafe) private(set) static var stdoutWasClosed = false

    /// Call first thing in `main`, before anything opens a file.
    static func prepare() {
        signal(SIGPIPE, SIG_IGN)
        let stdinClosed = fcntl(0, F_GETFD) == -1 && errno == EBADF
        if stdinClosed { reopen(0, flags: O_RDONLY) }
        stdoutWasClosed = fcntl(1, F_GETFD) == -1 && errno == EBADF
        let stderrClosed = fcntl(2, F_GETFD) == -1 && errno == EBADF
        if stdoutWasClosed { reopen(1, flags: O_RDONLY) }  // read-only: writes fail with EBADF, reported at exit
        if stderrClosed {
            if !stdoutWasClosed { _ = dup2(1, 2) } else { reopen(2, flags: O_WRONLY) }
        }
    }

    /// Opens /dev/null on descriptor `fd` (which is free: open returns the lowest free descriptor).
    private static func reopen(_ fd: Int32, flags: Int32) {
        let opened = open("/dev/null", flags)
        if opened >= 0 && opened != fd { _ = dup2(opened, fd); close(opened) }
    }

    /// Writes text to standard output through stdio (errors surface at ``finish(status:)``).
    static func out(_ text: String) {
        fputs(text, stdout)
    }

    /// Writes text to standard error; a failure loses the text and nothing else (there is no other stream to say so).
    static func err(_ text: String) {
        fputs(text, stderr)
        fflush(stderr)
    }

    /// Flushes standard output and exits: with `status`, or 74 with a message when any output was lost.
    static func finish(status: Int32) -> Never {
        let flushed = fflush(stdout) == 0
        let code = errno
        if !flushed || ferror(stdout) != 0 {
            let reason = stdoutWasClosed ? "standard output is closed"
                : String(cString: strerror(flushed ? EIO : code))
            err("Error: cannot write to standard output: \(reason); the output is incomplete\n")
            exit(outputErrorStatus)
        }
        exit(status)
    }
}
