// Machine: the facts of the machine a result is computed on (CPU, Loom's kernel ISA, BLAS core,
// threads), recorded with every result and shown by `loom doctor`; never part of a cache key.

/// What computed a result: enough to explain why two machines' numbers differ in the last digits.
public struct MachineFacts: Sendable, Equatable {
    /// The CPU's brand string, e.g. "AMD EPYC 9R14 96-Core Processor".
    public var cpu: String
    /// The instruction-set path of Loom's own kernels, e.g. "avx2".
    public var isa: String
    /// OpenBLAS's kernel core and how it was chosen, e.g. "Haswell (corrected from Prescott)".
    public var blasCore: String
    /// The engine's thread count.
    public var threads: Int

    public init(cpu: String, isa: String, blasCore: String, threads: Int) {
        self.cpu = cpu
        self.isa = isa
        self.blasCore = blasCore
        self.threads = threads
    }

    /// This process's facts now.
    public static var current: MachineFacts {
        MachineFacts(cpu: CPUFacts.current.brand.isEmpty ? CPUFacts.current.vendor : CPUFacts.current.brand,
                     isa: kernelISAName, blasCore: BLASCore.summary, threads: Threads.count)
    }

    /// The ISA path Loom's kernels run (`KernelISA.current`: cpuid and `LOOM_ISA`), e.g. "avx512".
    public static var kernelISAName: String { KernelISA.current.rawValue }
}
