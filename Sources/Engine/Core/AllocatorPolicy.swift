// The C allocator's policy while image files are loaded (Vision's FolderLoader applies it): large per-image buffers reused from the heap rather than mapped afresh per image.
import CCPU

/// glibc maps every block above its mmap threshold (128 kB, raised only as such blocks are freed) with a fresh,
/// kernel-zeroed mapping and returns heap tops above its trim threshold (128 kB) to the kernel. A decoded photograph,
/// its crop and each resize pass are a few hundred kB, so the file loader mapped, faulted in and unmapped several
/// buffers per image: a quarter of its time was page faults (`perf record` on `loom bench --data`). Thresholds of
/// 32 MB and 128 MB keep those buffers in the heap, where freed ones are reused.
public enum AllocatorPolicy {
    /// Set once per process, on first use; whether the thresholds were set (false off glibc).
    public static let applied: Bool = ccpu_keep_large_buffers(32 << 20, 128 << 20) == 1
}
