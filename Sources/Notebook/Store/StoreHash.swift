// SHA-256 content hashing (FIPS 180-4) for artifact and image keys; no CryptoKit on Linux.
import Foundation

/// Content hashes used to key artifacts in the store and to deduplicate images in the report.
public enum ContentHash {
    /// The SHA-256 digest of `data` as 64 lowercase hex characters.
    public static func sha256Hex(_ data: Data) -> String {
        sha256(data).map { String(format: "%02x", $0) }.joined()
    }

    /// The SHA-256 digest of `data` (32 bytes).
    public static func sha256(_ data: Data) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data)
        return hasher.finalize()
    }

    /// The SHA-256 of a file's contents as hex, read in 1 MiB pieces (weights and datasets can be gigabytes).
    /// Results are remembered for the life of the process by path, size, modification time (nanoseconds) and inode,
    /// so a file keyed by several runs is read once; any rewrite changes at least one of those.
    /// - Throws: the read error when the file cannot be opened or read.
    public static func sha256Hex(fileAt path: String) throws -> String {
        var st = stat()
        guard stat(path, &st) == 0 else { throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: path]) }
        #if canImport(Darwin)
        let stamp = "\(st.st_size):\(st.st_mtimespec.tv_sec).\(st.st_mtimespec.tv_nsec):\(st.st_ino):\(st.st_dev)"
        #else
        let stamp = "\(st.st_size):\(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec):\(st.st_ino):\(st.st_dev)"
        #endif
        if let hit = FileHashMemo.shared.get(path, stamp) { return hit }
        guard let handle = FileHandle(forReadingAtPath: path) else { throw CocoaError(.fileReadNoPermission, userInfo: [NSFilePathErrorKey: path]) }
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(chunk) }
        let hex = hasher.finalize().map { String(format: "%02x", $0) }.joined()
        FileHashMemo.shared.set(path, stamp, hex)
        return hex
    }

    /// Incremental SHA-256 (FIPS 180-4): feed bytes with ``update(_:)``, then ``finalize()``.
    struct SHA256 {
        private var h: [UInt32] = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]
        private var pending: [UInt8] = []
        private var length: UInt64 = 0
        private var w = [UInt32](repeating: 0, count: 64)

        mutating func update(_ data: Data) {
            length &+= UInt64(data.count)
            pending.append(contentsOf: data)
            let whole = pending.count / 64 * 64
            guard whole > 0 else { return }
            pending.withUnsafeBufferPointer { buffer in
                for chunk in stride(from: 0, to: whole, by: 64) { compress(buffer, chunk) }
            }
            pending.removeFirst(whole)
        }

        mutating func finalize() -> [UInt8] {
            // Padding: 0x80, zeros to 56 mod 64, then the bit length big-endian.
            var tail = pending
            let bitLength = length &* 8
            tail.append(0x80)
            while tail.count % 64 != 56 { tail.append(0) }
            for shift in stride(from: 56, through: 0, by: -8) { tail.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift))) }
            tail.withUnsafeBufferPointer { buffer in
                for chunk in stride(from: 0, to: buffer.count, by: 64) { compress(buffer, chunk) }
            }
            pending = []
            return h.flatMap { word in (0..<4).map { UInt8(truncatingIfNeeded: word >> UInt32(24 - 8 * $0)) } }
        }

        private mutating func compress(_ message: UnsafeBufferPointer<UInt8>, _ chunk: Int) {
            for i in 0..<16 {
                let b = chunk + 4 * i
                w[i] = UInt32(message[b]) << 24 | UInt32(message[b + 1]) << 16 | UInt32(message[b + 2]) << 8 | UInt32(message[b + 3])
            }
            for i in 16..<64 {
                let s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3)
                let s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10)
                w[i] = w[i - 16] &+ s0 &+ w[i - 7] &+ s1
            }
            var (a, b, c, d, e, f, g, hh) = (h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7])
            for i in 0..<64 {
                let s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)
                let ch = (e & f) ^ (~e & g)
                let t1 = hh &+ s1 &+ ch &+ ContentHash.k[i] &+ w[i]
                let s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
                let maj = (a & b) ^ (a & c) ^ (b & c)
                let t2 = s0 &+ maj
                (hh, g, f, e, d, c, b, a) = (g, f, e, d &+ t1, c, b, a, t1 &+ t2)
            }
            h[0] = h[0] &+ a; h[1] = h[1] &+ b; h[2] = h[2] &+ c; h[3] = h[3] &+ d
            h[4] = h[4] &+ e; h[5] = h[5] &+ f; h[6] = h[6] &+ g; h[7] = h[7] &+ hh
        }

        private func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }
    }


    fileprivate static let k: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ]
}

/// File hashes already computed in this process, by path and stat stamp.
final class FileHashMemo: @unchecked Sendable {
    static let shared = FileHashMemo()
    private let lock = NSLock()
    private var entries: [String: (stamp: String, hex: String)] = [:]

    func get(_ path: String, _ stamp: String) -> String? {
        lock.lock(); defer { lock.unlock() }
        guard let e = entries[path], e.stamp == stamp else { return nil }
        return e.hex
    }

    func set(_ path: String, _ stamp: String, _ hex: String) {
        lock.lock(); defer { lock.unlock() }
        entries[path] = (stamp, hex)
    }
}
