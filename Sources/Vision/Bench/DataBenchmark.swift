// DataBenchmark: images/s of the training input path on a JPEG folder (read, decode, RandomResizedCrop 224, flip, normalise), and a synthetic JPEG folder to time it on.
import Engine
import Foundation

/// One `loom bench --data` measurement.
public struct DataBenchRow: Encodable {
    public let folder: String
    public let images: Int
    public let batch: Int
    public let threads: Int
    public let reps: Int
    /// Best epoch time, seconds.
    public let seconds: Double
    public let images_per_s: Double
    /// Mean file size (kB) and decoded size of the folder's images.
    public let mean_file_kb: Double
    public let mean_width: Double
    public let mean_height: Double
}

public enum DataBenchmark {
    /// torchvision's ImageNet training input: RandomResizedCrop(224) (scale 0.08–1, ratio 3/4–4/3, bilinear),
    /// RandomHorizontalFlip, ToTensor + Normalize(ImageNet mean/std). DCT-domain downscaling is not used: every
    /// file is decoded at full size, as PIL does, so the pixels are the ones torchvision trains on.
    public static func pipeline(size: Int = 224) -> AugmentPipeline {
        AugmentPipeline([.image(RandomResizedCrop(size: size)), .image(HorizontalFlip()), .normalize(.imagenet)])
    }

    /// Times whole epochs of ``FolderLoader`` over `folder` (one warm-up epoch, which also brings the files into
    /// the page cache, then the best of `reps`), on `threads` of the engine's threads.
    /// - Throws: the folder's or a file's error, naming it.
    public static func run(folder: String, batch: Int, threads: Int, reps: Int, size: Int = 224) throws -> DataBenchRow {
        Threads.set(threads)
        let loader = try FolderLoader(folder: folder, pipeline: pipeline(size: size), batchSize: batch, shuffle: true, seed: 0)
        var epoch = 0
        var checksum: Float = 0
        func pass() throws {
            let order = loader.order(epoch: epoch)
            for b in 0..<loader.batchCount {
                let x = try loader.batch(b, epoch: epoch, order: order)
                checksum += x.images.ptr[0]  // keeps the work observable
            }
            epoch += 1
        }
        try pass()
        var best = Double.infinity
        for _ in 0..<reps {
            let t0 = DispatchTime.now().uptimeNanoseconds
            try pass()
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        }
        _ = checksum
        // Folder statistics from the headers (cheap: the files are cached).
        var bytes = 0.0, w = 0.0, h = 0.0
        for path in loader.paths {
            let data = try ImageFile.bytes(path: path)
            bytes += Double(data.count)
            if let size = headerSize(data) { w += Double(size.width); h += Double(size.height) }
        }
        let n = Double(max(loader.paths.count, 1))
        return DataBenchRow(folder: folder, images: loader.paths.count, batch: batch, threads: threads, reps: reps,
                            seconds: best, images_per_s: Double(loader.paths.count) / best,
                            mean_file_kb: bytes / n / 1000, mean_width: w / n, mean_height: h / n)
    }

    /// Width and height from a JPEG's frame header or a PNG's IHDR, without decoding.
    static func headerSize(_ bytes: [UInt8]) -> (width: Int, height: Int)? {
        switch ImageFormat.sniff(bytes) {
        case .png:
            guard bytes.count >= 24 else { return nil }
            let be = { (o: Int) in bytes[o..<(o + 4)].reduce(0) { $0 << 8 | Int($1) } }
            return (be(16), be(20))
        case .jpeg:
            var i = 2
            while i + 8 < bytes.count, bytes[i] == 0xFF {
                let marker = bytes[i + 1]
                if (0xC0...0xCF).contains(marker), ![0xC4, 0xC8, 0xCC].contains(marker) {
                    return (Int(bytes[i + 7]) << 8 | Int(bytes[i + 8]), Int(bytes[i + 5]) << 8 | Int(bytes[i + 6]))
                }
                i += 2 + (Int(bytes[i + 2]) << 8 | Int(bytes[i + 3]))
            }
            return nil
        case nil: return nil
        }
    }

    /// Writes `images` photograph-like JPEGs into `root/class_K/` (`classes` folders, at most one per image): ImageNet-typical sizes
    /// (500 × 333/375/400, a quarter of them portrait), smooth two-colour gradients with overlapping ellipses and
    /// per-pixel noise (so entropy decoding does real work), quality 90 with 4:2:0 chroma, as most photographs.
    /// Deterministic in `seed`.
    public static func makeSyntheticFolder(at root: String, images: Int = 512, classes: Int = 8, seed: UInt64 = 0) throws {
        let fm = FileManager.default
        let classes = max(1, min(classes, images))  // no empty class folder
        for c in 0..<classes {
            try fm.createDirectory(atPath: root + "/class_\(c)", withIntermediateDirectories: true)
        }
        for i in 0..<images {
            var rng = SeededRNG(seed: seed, stream: UInt64(i))
            let long = 500, short = [333, 375, 400][rng.int(below: 3)]
            let (w, h) = rng.uniform() < 0.25 ? (short, long) : (long, short)
            let image = syntheticPhoto(width: w, height: h, rng: &rng)
            let path = root + "/class_\(i % classes)/img_\(String(format: "%05d", i)).jpg"
            try JPEG.write(image, to: path, quality: 90, subsampling: .s420)
        }
    }

    static func syntheticPhoto(width w: Int, height h: Int, rng: inout SeededRNG) -> Image {
        func colour() -> [Double] { (0..<3).map { _ in rng.uniform(20, 235) } }
        let a = colour(), b = colour()
        let ellipses = (0..<8).map { _ in
            (cx: rng.uniform(0, Double(w)), cy: rng.uniform(0, Double(h)), rx: rng.uniform(20, Double(w) / 3),
             ry: rng.uniform(20, Double(h) / 3), c: colour())
        }
        var px = [UInt8](repeating: 0, count: w * h * 3)
        var noise = rng.next() | 1
        var v = [Double](repeating: 0, count: 3)
        px.withUnsafeMutableBufferPointer { out in
            for y in 0..<h {
                for x in 0..<w {
                    let t = (Double(x) / Double(w) + Double(y) / Double(h)) / 2
                    for c in 0..<3 { v[c] = a[c] * (1 - t) + b[c] * t }
                    for e in ellipses {
                        let dx = (Double(x) - e.cx) / e.rx, dy = (Double(y) - e.cy) / e.ry
                        if dx * dx + dy * dy < 1 { for c in 0..<3 { v[c] = (v[c] + e.c[c]) / 2 } }
                    }
                    for c in 0..<3 {
                        noise ^= noise << 13; noise ^= noise >> 7; noise ^= noise << 17  // xorshift64
                        let n = Double(Int(noise & 31) - 16)
                        out[(y * w + x) * 3 + c] = UInt8(max(0, min(255, v[c] + n)))
                    }
                }
            }
        }
        return Image(width: w, height: h, pixels: px)
    }
}
