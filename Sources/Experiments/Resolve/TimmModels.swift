// timm model names: `.timm("resnet50")`, `.timm("vit_small_patch16_224.dino")` mapped onto Loom's own ResNet and ViT.
import Notebook
import Vision

/// The timm architectures Loom implements, by timm's model name (`arch[.pretrained_tag]`), as Loom configs.
///
/// The architecture decides the config; the tag only changes the default class count: `.dino` tags are
/// headless (timm's `num_classes=0`), `…in21k` tags (not fine-tuned) have ImageNet-21k's 21,843 classes, every
/// other tag ImageNet-1k's 1,000. `classes:` overrides it. A `.timm(...)` model resolves to the same spec as the
/// `.resnet`/`.vit` expression it stands for (run keys follow the cell's text, so the two forms key apart).
enum TimmModels {
    /// ResNets: timm's `resnet{18,34,50,101,152}` and `seresnet{…}` (ImageNet stem, 64-channel width).
    static let resnets: [(name: String, depth: Int, attention: AttentionKind)] =
        [18, 34, 50, 101, 152].flatMap { d in [("resnet\(d)", d, AttentionKind.none), ("seresnet\(d)", d, .se)] }

    /// ViT sizes as timm's `vit_<size>_patch<P>_<image>` names them: (embedding width, depth, heads).
    static let vitSizes: [(size: String, dim: Int, depth: Int, heads: Int)] = [
        ("tiny", 192, 12, 3), ("small", 384, 12, 6), ("base", 768, 12, 12), ("large", 1_024, 24, 16),
    ]

    /// Example names for errors and docs.
    static let examples = ["resnet50", "seresnet50", "vit_small_patch16_224", "vit_small_patch16_224.dino"]

    /// The config of timm model `name`; `classes` overrides the tag's default.
    static func spec(_ name: String, classes: Int?) throws -> ModelSpec {
        let parts = name.split(separator: ".", maxSplits: 1).map(String.init)
        let arch = parts.first ?? "", tag = parts.count > 1 ? parts[1] : ""
        let classes = classes ?? defaultClasses(tag: tag)
        if let r = resnets.first(where: { $0.name == arch }) {
            return .resnet(ResNet.Config.depth(r.depth, width: 1, stem: .imagenet, attention: r.attention, classes: classes)!)
        }
        if let vit = try vitConfig(arch, classes: classes) { return .vit(vit) }
        let known = resnets.map(\.name) + vitSizes.map { "vit_\($0.size)_patch16_224" }
        throw ResolveError(Suggestion.message("`.timm(\"\(name)\")`: Loom has no timm architecture `\(arch)` (it implements "
                                              + "resnet18–152, seresnet18–152 and vit_{tiny,small,base,large}_patch<P>_<size>)",
                                              nearest: Suggestion.nearest(to: arch, in: known)))
    }

    /// A `vit_<size>_patch<P>_<image>` name as a ViT config (timm's defaults: MLP ratio 4, qkv bias, class token).
    static func vitConfig(_ arch: String, classes: Int) throws -> ViT.Config? {
        let fields = arch.split(separator: "_").map(String.init)
        guard fields.count == 4, fields[0] == "vit", fields[2].hasPrefix("patch"),
              let size = vitSizes.first(where: { $0.size == fields[1] }),
              let patch = Int(fields[2].dropFirst("patch".count)), let image = Int(fields[3]) else { return nil }
        guard patch > 0, image > 0, image % patch == 0 else {
            throw ResolveError("`.timm(\"\(arch)\")`: patch \(patch) does not divide the image side \(image)")
        }
        return ViT.Config(image: image, patch: patch, dim: size.dim, depth: size.depth, heads: size.heads,
                          mlpRatio: 4, qkvBias: true, classes: classes)
    }

    /// The class count a pretrained tag implies.
    static func defaultClasses(tag: String) -> Int {
        if tag.hasPrefix("dino") { return 0 }
        if tag.hasSuffix("in21k") { return 21_843 }
        return 1_000
    }
}
