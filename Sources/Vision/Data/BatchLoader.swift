// BatchLoader: what training and evaluation iterate — batches from decoded images or read per batch from files —
// and the one-batch-ahead prefetching stream over either.
import Foundation

/// A source of seeded, augmented mini-batches. ``DataLoader`` augments images held decoded in memory (CIFAR,
/// `.shapes`); ``FolderLoader`` reads and decodes each batch's files (image folders, which need not fit in memory).
/// Both draw the same epoch order and the same per-image random streams, so a dataset gives the same batches, and
/// trains to the same weights, whichever of them holds it.
public protocol BatchLoader {
    /// Images per epoch.
    var count: Int { get }
    /// Images per batch.
    var batchSize: Int { get }
    /// Whether epochs are shuffled.
    var shuffle: Bool { get }
    /// Whether a last, partial batch is left out (Mixup needs full batches).
    var dropLast: Bool { get }
    /// The seed of the epoch orders and of the per-image augmentation streams.
    var seed: UInt64 { get }
    /// Batch `b` of `epoch` in `order`.
    /// - Throws: the loader's error for an image it cannot read (never for ``DataLoader``).
    func batch(_ b: Int, epoch: Int, order: [Int]) throws -> Batch
}

extension BatchLoader {
    /// Batches per epoch (the last one may be short unless ``dropLast``).
    public var batchCount: Int {
        dropLast ? count / batchSize : (count + batchSize - 1) / batchSize
    }

    /// The dataset order for an epoch: a seeded permutation per epoch, or the stored order without shuffling.
    public func order(epoch: Int) -> [Int] {
        guard shuffle else { return Array(0..<count) }
        var rng = SeededRNG(seed: seed, stream: 0x5348_5546 ^ UInt64(epoch))
        return rng.permutation(count)
    }

    /// Batches `start..<batchCount` of an epoch, each built on a background thread while the previous one is used:
    /// at most two batches are held at once.
    public func stream(epoch: Int, from start: Int = 0) -> BatchStream {
        BatchStream(loader: self, epoch: epoch, start: start)
    }
}

/// Batches of one epoch with one batch of look-ahead built on a background queue; a batch's error is thrown when
/// that batch is reached.
public struct BatchStream {
    let loader: any BatchLoader
    let epoch: Int
    let order: [Int]
    var upcoming: Int
    var pending: (DispatchGroup, Box)?

    final class Box: @unchecked Sendable { var result: Result<Batch, Error>? }

    init(loader: any BatchLoader, epoch: Int, start: Int) {
        self.loader = loader; self.epoch = epoch; self.upcoming = start
        order = loader.order(epoch: epoch)
        pending = start < loader.batchCount ? Self.launch(loader, start, epoch, order) : nil
    }

    static func launch(_ loader: any BatchLoader, _ b: Int, _ epoch: Int, _ order: [Int]) -> (DispatchGroup, Box) {
        let g = DispatchGroup(), box = Box()
        DispatchQueue.global(qos: .userInitiated).async(group: g) {
            box.result = Result { try loader.batch(b, epoch: epoch, order: order) }
        }
        return (g, box)
    }

    /// The next batch, nil after the last.
    /// - Throws: the error building this batch (a file that cannot be read), after which the stream is finished.
    public mutating func next() throws -> Batch? {
        guard let (g, box) = pending else { return nil }
        g.wait()
        upcoming += 1
        guard case .success(let batch)? = box.result else {
            pending = nil
            if case .failure(let error)? = box.result { throw error }
            return nil
        }
        pending = upcoming < loader.batchCount ? Self.launch(loader, upcoming, epoch, order) : nil
        return batch
    }
}

extension DataLoader: BatchLoader {
    public var count: Int { data.count }
}

extension FolderLoader: BatchLoader {
    public var count: Int { paths.count }
}
