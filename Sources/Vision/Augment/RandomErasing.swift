// Random Erasing (timm modes const/rand/pixel) and Cutout, on normalised Float CHW images.

import Foundation

/// timm `RandomErasing` (Zhong et al. 2020; docs/methods.md §2.10), applied after normalisation: with
/// probability `probability`, `count` boxes (uniform in minCount…maxCount), each from up to 10
/// attempts of area U(minArea, maxArea)·HW/count and log-uniform aspect, filled per `mode`.
public struct RandomErasing: PlanarAugmentation {
    /// What erased pixels become.
    public enum Mode: String, Sendable {
        /// 0, i.e. the dataset mean after normalisation.
        case const
        /// One N(0, 1) value per channel.
        case rand
        /// N(0, 1) per pixel and channel (timm train.py's default `--remode pixel`).
        case pixel
    }

    public var probability: Double
    public var minArea: Double
    public var maxArea: Double
    public var minAspect: Double
    public var maxAspect: Double
    public var mode: Mode
    public var minCount: Int
    public var maxCount: Int

    /// timm defaults: p 0.5, area 0.02…1/3, aspect 0.3…1/0.3, const, one box.
    public init(probability: Double = 0.5, minArea: Double = 0.02, maxArea: Double = 1.0 / 3, minAspect: Double = 0.3,
                maxAspect: Double? = nil, mode: Mode = .const, minCount: Int = 1, maxCount: Int? = nil) {
        precondition(minCount >= 1 && (maxCount ?? minCount) >= minCount, "RandomErasing counts must satisfy 1 ≤ min ≤ max")
        self.probability = probability; self.minArea = minArea; self.maxArea = maxArea
        self.minAspect = minAspect; self.maxAspect = maxAspect ?? 1 / minAspect; self.mode = mode
        self.minCount = minCount; self.maxCount = maxCount ?? minCount
    }

    public var name: String { "RandomErasing(p \(probability), \(mode.rawValue), count \(minCount)…\(maxCount))" }

    public func apply(_ image: inout PlanarImage, rng: inout SeededRNG) {
        if rng.uniform() > probability { return }
        let (ch, ih, iw) = (image.channels, image.height, image.width)
        let area = Double(ih * iw)
        let count = minCount == maxCount ? minCount : rng.int(in: minCount...maxCount)
        let logLo = log(minAspect), logHi = log(maxAspect)
        for _ in 0..<count {
            for _ in 0..<10 {
                let target = rng.uniform(minArea, maxArea) * area / Double(count)
                let aspect = exp(rng.uniform(logLo, logHi))
                let h = Int((target * aspect).squareRoot().rounded(.toNearestOrEven))
                let w = Int((target / aspect).squareRoot().rounded(.toNearestOrEven))
                guard w < iw && h < ih else { continue }
                let top = rng.int(in: 0...(ih - h)), left = rng.int(in: 0...(iw - w))
                let colour = mode == .rand ? (0..<ch).map { _ in Float(rng.normal()) } : [Float](repeating: 0, count: ch)
                image.data.withUnsafeMutableBufferPointer { d in
                    for c in 0..<ch {
                        for y in top..<(top + h) {
                            let row = (c * ih + y) * iw
                            for x in left..<(left + w) { d[row + x] = mode == .pixel ? Float(rng.normal()) : colour[c] }
                        }
                    }
                }
                break
            }
        }
    }
}

/// Cutout (DeVries & Taylor 2017): one `size × size` square, centred at a uniform pixel and clipped
/// to the image, set to 0 (the mean, on a normalised image).
public struct Cutout: PlanarAugmentation {
    public var size: Int
    public init(size: Int = 16) { self.size = size }
    public var name: String { "Cutout(\(size))" }

    public func apply(_ image: inout PlanarImage, rng: inout SeededRNG) {
        let (ch, ih, iw) = (image.channels, image.height, image.width)
        let cy = rng.int(below: ih), cx = rng.int(below: iw)
        let y0 = max(0, cy - size / 2), y1 = min(ih, cy + size / 2)
        let x0 = max(0, cx - size / 2), x1 = min(iw, cx + size / 2)
        guard y0 < y1 && x0 < x1 else { return }
        image.data.withUnsafeMutableBufferPointer { d in
            for c in 0..<ch {
                for y in y0..<y1 {
                    let row = (c * ih + y) * iw
                    for x in x0..<x1 { d[row + x] = 0 }
                }
            }
        }
    }
}
