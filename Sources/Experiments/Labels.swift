// Labels: short human descriptions of an experiment's parts for tables, legends and captions.
import Engine
import Foundation
import Vision

enum Labels {
    static func number(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e6 ? String(Int(v)) : String(format: "%g", v)
    }

    static func model(_ m: ModelSpec) -> String {
        switch m {
        case let .resnet(c):
            let depths: [[Int]: Int] = [[2, 2, 2, 2]: 18, [3, 4, 6, 3]: 34, [3, 8, 36, 3]: 152]
            var name: String
            if c.block == .bottleneck && c.layers == [3, 4, 6, 3] { name = "ResNet-50" }
            else if c.block == .bottleneck && c.layers == [3, 4, 23, 3] { name = "ResNet-101" }
            else if c.block == .basic, let d = depths[c.layers] { name = "ResNet-\(d)" }
            else { name = "ResNet[" + c.layers.map(String.init).joined(separator: ",") + "]" }
            if c.channels != [64, 128, 256, 512] { name += " w\(c.channels[0])" }
            if c.stem == .imagenet { name += " (ImageNet stem)" }
            switch c.attention { case .se: name += " +SE"; case .cbam: name += " +CBAM"; case .none: break }
            return name
        case let .vit(c):
            return "ViT p\(c.patch) d\(c.dim)×\(c.depth) h\(c.heads)"
        }
    }

    static func data(_ d: DataSpec) -> String {
        switch d {
        case let .shapes(classes, size, train, _, cue, _):
            return "shapes \(classes)×\(size)px, \(train) train" + (cue > 0 ? ", texture cue \(number(cue))" : "")
        case .cifar10: return "CIFAR-10"
        case .cifar100: return "CIFAR-100"
        case let .imageFolder(path, _): return "folder \(path)"
        }
    }

    static func augment(_ spec: ExperimentSpec) -> String {
        let parts = spec.augment.map { a -> String in
            switch a {
            case .randomCrop: return "crop"
            case .horizontalFlip: return "flip"
            case .randomResizedCrop: return "RRC"
            case let .resize(s): return "resize\(s)"
            case .colorJitter: return "jitter"
            case let .autoAugment(p): return "AA(\(p))"
            case let .randAugment(c): return "RA(\(c))"
            case .trivialAugment: return "TA"
            case let .cutout(s): return "cutout\(s)"
            case let .randomErasing(p, _, _): return "RE(\(number(p)))"
            }
        }
        return parts.isEmpty ? "none" : parts.joined(separator: "+")
    }

    static func mix(_ spec: ExperimentSpec) -> String {
        guard let m = spec.mix else { return "none" }
        switch (m.mixupAlpha > 0, m.cutmixAlpha > 0) {
        case (true, true): return "mixup \(number(m.mixupAlpha)) / cutmix \(number(m.cutmixAlpha))"
        case (true, false): return "mixup \(number(m.mixupAlpha))"
        default: return "cutmix \(number(m.cutmixAlpha))"
        }
    }

    static func optimizer(_ spec: ExperimentSpec) -> String {
        let lr = number(spec.learningRate)
        switch spec.optimizer {
        case let .sgd(momentum, wd, nesterov):
            return "SGD lr \(lr)" + (momentum > 0 ? (nesterov ? " Nesterov" : " m\(number(Double(momentum)))") : "")
                + (wd > 0 ? " wd \(number(Double(wd)))" : "")
        case let .adamw(_, _, _, wd): return "AdamW lr \(lr) wd \(number(Double(wd)))"
        case let .lion(_, _, wd): return "Lion lr \(lr) wd \(number(Double(wd)))"
        }
    }

    static func schedule(_ spec: ExperimentSpec) -> String {
        let s = spec.schedule
        var name: String
        switch s.shape {
        case .constant: name = "constant"
        case .cosine: name = "cosine"
        case let .step(e, r): name = "step \(e)×\(number(Double(r)))"
        case let .multiStep(m, r): name = "steps \(m.map(String.init).joined(separator: ","))×\(number(Double(r)))"
        }
        if s.warmupEpochs > 0 { name += ", warmup \(s.warmupEpochs)" }
        return name
    }

    static func column(_ c: String, _ spec: ExperimentSpec) -> String {
        switch c {
        case "model": return model(spec.model)
        case "data": return data(spec.data)
        case "augment": return augment(spec)
        case "mix": return mix(spec)
        case "optimizer": return optimizer(spec)
        case "schedule": return schedule(spec)
        case "epochs": return String(spec.epochs)
        case "batchSize": return String(spec.batchSize)
        default: return c
        }
    }
}
