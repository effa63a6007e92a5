// Process start: what the `loom` executable does before any other work.
import Engine

/// The steps a Loom process takes first, for the executable that cannot see the Engine.
public enum ProcessStart {
    /// Re-executes the process with OpenBLAS's best kernel core when the library chose one weaker than the CPU
    /// allows (see `BLASCore.reexecIfWeaker`); call before any BLAS work.
    public static func correctBLASCore() {
        BLASCore.reexecIfWeaker()
    }
}
