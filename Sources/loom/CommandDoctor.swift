// `loom doctor`: the machine facts a bug report needs, in one screen.
import ArgumentParser
import Experiments
import Foundation

struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Show the CPU, Loom's kernel path, the BLAS core, versions and the torch backend's Python.",
        discussion: """
        Paste its output into a bug report. The BLAS core line says whether Loom corrected a core weaker \
        than the CPU allows (OpenBLAS before 0.3.25 falls back to Prescott on CPUs it does not know); \
        a user's own OPENBLAS_CORETYPE always wins.
        """)

    @Option(name: .long, help: "The torch backend's Python to probe (default: $LOOM_TORCH_PYTHON; none when unset).")
    var python: String?

    @Flag(name: .long, help: "Print the facts as JSON.")
    var json = false

    func run() throws {
        let sections = Doctor.sections(python: python ?? ProcessInfo.processInfo.environment["LOOM_TORCH_PYTHON"])
        if json {
            print(String(decoding: try Doctor.json(sections), as: UTF8.self))
        } else {
            print(Doctor.text(sections), terminator: "")
        }
    }
}
