// FolderLoader: batches decoded from image files on the engine's threads (decode + augment per image), for folders too large to hold decoded.
import Engine
import Foundation

/// Iterates an image folder's files in batches, reading and decoding each file (JPEG or PNG by content) and
/// augmenting it on the engine's threads — what torchvision's `DataLoader` workers do per epoch. The order and
/// the per-image random streams follow ``DataLoader`` (epoch permutation from the seed; image i of epoch e is
/// augmented with `AugmentPipeline.rng(seed, e, i)`), so the same pipeline gives the same batches from files
/// as from decoded images.
public struct FolderLoader {
    public let paths: [String]
    public let labels: [Int]
    public let pipeline: AugmentPipeline
    public let batchSize: Int
    public let shuffle: Bool
    /// Drop the last partial batch (as ``DataLoader/dropLast``).
    public let dropLast: Bool
    public let seed: UInt64

    public init(paths: [String], labels: [Int], pipeline: AugmentPipeline, batchSize: Int, shuffle: Bool,
                dropLast: Bool = false, seed: UInt64) {
        precondition(batchSize > 0, "batch size must be positive")
        precondition(paths.count == labels.count, "\(paths.count) files but \(labels.count) labels")
        self.paths = paths; self.labels = labels; self.pipeline = pipeline
        self.batchSize = batchSize; self.shuffle = shuffle; self.dropLast = dropLast; self.seed = seed
        _ = AllocatorPolicy.applied
    }

    /// A loader over `ImageFolder.files(root:)`.
    public init(folder root: String, pipeline: AugmentPipeline, batchSize: Int, shuffle: Bool = true, seed: UInt64 = 0) throws {
        let listing = try ImageFolder.files(root: root)
        self.init(paths: listing.paths, labels: listing.labels, pipeline: pipeline, batchSize: batchSize, shuffle: shuffle, seed: seed)
    }


    /// Builds batch `b` of `epoch`: each file read, decoded and augmented on the engine's threads.
    /// - Throws: the first file's error (unreadable, not an image, truncated, too large), naming it; or
    ///   ``FolderLoaderError`` when an image's size after the pipeline differs from the batch's.
    public func batch(_ b: Int, epoch: Int, order: [Int]) throws -> Batch {
        let lo = b * batchSize, hi = min(lo + batchSize, paths.count)
        let idx = Array(order[lo..<hi])
        let pipeline = self.pipeline, seed = self.seed, paths = self.paths
        func load(_ k: Int) throws -> PlanarImage {
            var rng = AugmentPipeline.rng(seed: seed, epoch: epoch, index: idx[k])
            return pipeline(try ImageFile.read(path: paths[idx[k]]), rng: &rng)
        }
        // The first image fixes the batch's size after the pipeline (a resize or crop sets it).
        let first = try load(0)
        let c = 3, h = first.height, w = first.width, plane = c * h * w
        guard first.data.count == plane else {
            throw FolderLoaderError(path: paths[idx[0]], message: "has \(first.data.count / max(h * w, 1)) channels after the pipeline")
        }
        let x = Tensor(uninitialized: [idx.count, c, h, w])
        let xp = SendPtr(x.ptr)
        first.data.withUnsafeBufferPointer { xp.p.update(from: $0.baseAddress!, count: plane) }
        let failure = FirstError()
        parallelFor(idx.count - 1, costPerItem: 1 << 16) { s, e in
            for k in (s + 1)..<(e + 1) {
                do {
                    let p = try load(k)
                    guard p.data.count == plane else {
                        throw FolderLoaderError(path: paths[idx[k]], message: "is \(p.width)×\(p.height) after the pipeline, "
                                                + "the batch is \(w)×\(h); put a resize or crop in the pipeline")
                    }
                    p.data.withUnsafeBufferPointer { (xp.p + k * plane).update(from: $0.baseAddress!, count: plane) }
                } catch {
                    failure.record(error, at: k)
                }
            }
        }
        if let error = failure.error { throw error }
        return Batch(images: x, labels: idx.map { labels[$0] }, indices: idx)
    }
}

/// An image whose size after the pipeline does not fit its batch.
public struct FolderLoaderError: Error, CustomStringConvertible, Equatable {
    public let path: String, message: String
    public var description: String { "image \(path) \(message)" }
}

/// The error of the lowest-numbered failing item of a parallel loop (deterministic whatever the thread timing).
final class FirstError: @unchecked Sendable {
    private let lock = NSLock()
    private var best: (Int, Error)?
    func record(_ error: Error, at k: Int) {
        lock.lock(); defer { lock.unlock() }
        if best == nil || k < best!.0 { best = (k, error) }
    }
    var error: Error? { lock.lock(); defer { lock.unlock() }; return best?.1 }
}
