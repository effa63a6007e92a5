// Tests of the Table columns that show what differs: `.differs` on realistic pairs, the labelled columns (`.lr`,
// `.weightDecay`, `.batchSize`, `.imageSize`, `.normalize`, `.backend`, `.epochs`), the optimizer label, the checker's
// did-you-mean for a misspelt column, and a rendered table with its CSV download.
import Foundation
import Testing
@testable import Experiments
import Notebook

/// `name`'s differences from `reference`, both resolved from `cells` (which must check and resolve cleanly).
private func differs(_ name: String, from reference: String = "base", _ cells: String...) -> [String] {
    let result = checkCells(cells)
    #expect(result.diagnostics == [], "\(result.diagnostics)")
    let resolver = Resolver(bindings: result.bindings)
    guard let a = result.bindings[reference]?.value, let b = result.bindings[name]?.value,
          let ra = try? resolver.experiment(a), let rb = try? resolver.experiment(b) else {
        Issue.record("\(reference) or \(name) does not resolve")
        return []
    }
    return rb.differences(from: ra)
}

private let base = """
    let base = Experiment(model: .resnet(depth: 18), data: .cifar10, augment: [.randomCrop(padding: 4), .horizontalFlip],
                          epochs: 15)
    """

@Suite struct TableColumnsTests {
    @Test func hyperParametersReadAsPapersWriteThem() {
        let cases: [(Double, String)] = [(0.1, "0.1"), (0.05, "0.05"), (0.01, "0.01"), (1, "1"), (0, "0"), (5e-4, "5e-4"),
                                          (1e-3, "1e-3"), (1e-4, "1e-4"), (1.5e-5, "1.5e-5"), (1e-8, "1e-8"), (2.5e-3, "2.5e-3")]
        for (x, text) in cases { #expect(Label.hyper(x) == text, "\(x)") }
    }

    @Test func optimizerLabelsCarryTheWeightDecay() {
        func label(_ optimizer: String) -> String {
            (try? resolve("e", "let e = Experiment(model: .resnet(depth: 18), optimizer: \(optimizer))"))?.optimizerLabel ?? "unresolved"
        }
        #expect(label(".sgd(lr: 0.1)") == "SGD 0.1, m 0.9, wd 5e-4, nesterov")
        #expect(label(".sgd(lr: 0.5, weightDecay: 1e-4, nesterov: false)") == "SGD 0.5, m 0.9, wd 1e-4")
        #expect(label(".sgd(lr: 0.1, momentum: 0, weightDecay: 0)") == "SGD 0.1, wd 0")
        #expect(label(".adamw(lr: 1e-3)") == "AdamW 1e-3, wd 0.05")
        #expect(label(".adamw(lr: 1e-3, beta2: 0.95, eps: 1e-6, weightDecay: 0.1)") == "AdamW 1e-3, β 0.9/0.95, ε 1e-6, wd 0.1")
        #expect(label(".lion(lr: 1e-4, weightDecay: 1e-3)") == "Lion 1e-4, wd 1e-3")
        #expect(label(".lion(lr: 1e-4, beta1: 0.95, beta2: 0.98, weightDecay: 1e-4)") == "Lion 1e-4, β 0.95/0.98, wd 1e-4")
    }

    @Test func noDifferenceAfterDefaultsAreFilledIn() {
        // Written-out defaults and a with() that restates the base change nothing; the first row is its own reference.
        #expect(differs("same", base, "let same = base.with(optimizer: .sgd(lr: 0.1, weightDecay: 5e-4), batchSize: 128)") == [])
        #expect(differs("same", base, """
            let same = Experiment(model: .resnet(depth: 18, stem: .cifar, attention: .none), data: .cifar10(),
                                  augment: [.randomCrop(), .horizontalFlip], schedule: .cosine(minLR: 0), epochs: 15, seed: 0)
            """) == [])
    }

    @Test func modelDifferences() {
        #expect(differs("se", base, "let se = base.with(model: .resnet(depth: 18, attention: .se))") == ["+SE"])
        #expect(differs("cbam", from: "se", base, "let se = base.with(model: .resnet(depth: 18, attention: .se))",
                            "let cbam = base.with(model: .resnet(depth: 18, attention: .cbam))") == ["SE → CBAM"])
        #expect(differs("base", from: "se", base, "let se = base.with(model: .resnet(depth: 18, attention: .se))") == ["−SE"])
        #expect(differs("big", base, "let big = base.with(model: .resnet(depth: 50, stem: .imagenet, attention: .se))")
                == ["ResNet-18 → ResNet-50", "CIFAR stem → ImageNet stem", "+SE"])
        #expect(differs("narrow", base, "let narrow = base.with(model: .resnet(depth: 18, width: 16))") == ["ResNet-18 → ResNet-18 w16"])
        #expect(differs("vit", base, "let vit = base.with(model: .vit(depth: 6))") == ["ResNet-18 → ViT d192×6 h3 p4"])
        #expect(differs("wide", from: "vit", base, "let vit = base.with(model: .vit(depth: 6))",
                            "let wide = base.with(model: .vit(depth: 6, mlpRatio: 2, qkvBias: false, classes: 5))")
                == ["MLP ratio 4 → 2", "−qkv bias", "classes 10 → 5"])
    }

    @Test func dataDifferencesLeaveOutWhatFollowsFromThem() {
        // The classes, the statistics and a ViT's image side follow from the data: only the data is named.
        #expect(differs("c100", base, "let c100 = base.with(data: .cifar100)") == ["CIFAR-10 → CIFAR-100"])
        let vit = "let v = base.with(model: .vit(depth: 2), data: .shapes(size: 32))"
        #expect(differs("v64", from: "v", base, vit, "let v64 = v.with(data: .shapes(size: 64))") == ["shapes size 32 → 64"])
        #expect(differs("moved", base, "let moved = base.with(data: .cifar10(path: \"elsewhere\"))")
                == ["data path data/cifar-10-batches-bin → elsewhere"])
    }

    @Test func augmentListDifferences() {
        #expect(differs("aa", base, "let aa = base.with(augment: [.randomCrop(padding: 4), .horizontalFlip, .autoAugment(.v0)])")
                == ["augment +AA(v0)"])
        #expect(differs("swap", base, "let swap = base.with(augment: [.randomCrop(padding: 8), .cutout(size: 16)])")
                == ["augment crop → crop(pad 8), +cutout(16), −flip"])
        #expect(differs("order", base, "let order = base.with(augment: [.horizontalFlip, .randomCrop(padding: 4)])")
                == ["augment order crop+flip → flip+crop"])
        #expect(differs("policy", from: "aa", base, "let aa = base.with(augment: [.autoAugment(.cifar10)])",
                            "let policy = base.with(augment: [.autoAugment(.v0)])") == ["augment AA(cifar10) → AA(v0)"])
    }

    @Test func optimizerAndScheduleDifferences() {
        #expect(differs("o", base, "let o = base.with(optimizer: .sgd(lr: 0.05, weightDecay: 1e-4, nesterov: false))")
                == ["lr 0.1 → 0.05", "−nesterov", "wd 5e-4 → 1e-4"])
        #expect(differs("a", base, "let a = base.with(optimizer: .adamw(lr: 1e-3, beta2: 0.95))")
                == ["SGD → AdamW (β 0.9/0.95)", "lr 0.1 → 1e-3", "wd 5e-4 → 0.05"])
        #expect(differs("m", base, "let m = base.with(optimizer: .sgd(lr: 0.1, momentum: 0))") == ["m 0.9 → 0", "−nesterov"])
        #expect(differs("l2", from: "l1", base, "let l1 = base.with(optimizer: .lion(lr: 1e-4, weightDecay: 1e-4))",
                            "let l2 = base.with(optimizer: .lion(lr: 1e-4, beta1: 0.95, weightDecay: 1e-3))")
                == ["β1 0.9 → 0.95", "wd 1e-4 → 1e-3"])
        #expect(differs("s", base, "let s = base.with(schedule: .step(decayEpochs: 30, warmupEpochs: 5, warmupLR: 1e-4))")
                == ["cosine → step(30, ×0.1)", "warmup 0 → 5", "warmup lr 1e-5 → 1e-4"])
        // A warmup start without a warmup changes no learning rate: not a difference worth a word.
        #expect(differs("s", base, "let s = base.with(schedule: .cosine(warmupLR: 1e-4))") == [])
        #expect(differs("s", base, "let s = base.with(schedule: .cosine(minLR: 1e-5))") == ["min lr 0 → 1e-5"])
    }

    @Test func recipeDifferences() {
        #expect(differs("long", base, "let long = base.with(epochs: 30, batchSize: 256)") == ["epochs 15 → 30", "batch 128 → 256"])
        #expect(differs("three", base, "let three = base.with(seeds: 3)") == ["seeds 0 → 0–2"])
        #expect(differs("other", base, "let other = base.with(seed: 1)") == ["seed 0 → 1"])
        #expect(differs("mixed", base, "let mixed = base.with(mix: .cutmix(alpha: 1), labelSmoothing: 0.1)")
                == ["mix none → cutmix(1)", "smoothing 0 → 0.1"])
        #expect(differs("half", from: "mixed", base, "let mixed = base.with(mix: .mixup)", "let half = base.with(mix: .mixup(prob: 0.5))")
                == ["mix prob 1 → 0.5"])
        #expect(differs("kd", base, "let t = base.with(model: .resnet(depth: 50))", "let kd = base.with(teacher: t)")
                == ["+KD from t (T 4, α 0.9)"])
        #expect(differs("kd2", from: "kd", base, "let t = base.with(model: .resnet(depth: 50))", "let kd = base.with(teacher: t)",
                            "let kd2 = base.with(teacher: .distill(teacher: t, temperature: 2))") == ["KD T 4 → 2"])
        #expect(differs("kd2", from: "kd", base, "let t = base.with(model: .resnet(depth: 50))", "let t2 = t.with(epochs: 30)",
                            "let kd = base.with(teacher: t)", "let kd2 = base.with(teacher: .distill(teacher: t2, alpha: 0.5))")
                == ["KD from t → t2", "KD α 0.9 → 0.5"])
        #expect(differs("base", from: "kd", base, "let t = base.with(model: .resnet(depth: 50))", "let kd = base.with(teacher: t)")
                == ["−KD from t"])
        #expect(differs("w", base, "let w = base.with(weights: \"r18.safetensors\", clipGrad: 1)")
                == ["weights none → r18.safetensors", "grad clip off → 1"])
    }

    @Test func manyDifferencesComeInTheOrderOfTheExperimentsArguments() {
        // The order is Experiment's (model, data, augment, …), whatever order `with` was written in.
        let expected = ["+SE", "augment +AA(v0)", "lr 0.1 → 0.05", "epochs 15 → 30", "batch 128 → 256", "seeds 0 → 0–1"]
        #expect(differs("a", base, """
            let a = base.with(model: .resnet(depth: 18, attention: .se), augment: [.randomCrop(padding: 4), .horizontalFlip,
                              .autoAugment(.v0)], optimizer: .sgd(lr: 0.05), epochs: 30, batchSize: 256, seeds: 2)
            """) == expected)
        #expect(differs("b", base, """
            let b = base.with(seeds: 2, batchSize: 256, epochs: 30, optimizer: .sgd(lr: 0.05),
                              augment: [.randomCrop(padding: 4), .horizontalFlip, .autoAugment(.v0)],
                              model: .resnet(depth: 18, attention: .se))
            """) == expected)
    }

    @Test func normalizeColumnAndDifferencesFollowTheChoice() throws {
        let cells = [base, "let half = base.with(normalize: .half)", "let same = base.with(normalize: .dataset)",
                     "let own = Experiment(model: .resnet(depth: 18, classes: 5), data: .imageFolder(path: \"p\"), normalize: .imagenet)",
                     "let custom = base.with(normalize: .custom(mean: [0.5, 0.4, 0.3], std: [0.2, 0.2, 0.2]))"]
        let specs = try ["base", "half", "same", "own", "custom"].map { try resolve($0, cells[0], cells[1], cells[2], cells[3], cells[4]) }
        #expect(specs.map { Labels.column("normalize", $0) }
                == ["CIFAR-10 stats", "0.5", "CIFAR-10 stats", "ImageNet stats", "mean 0.5, 0.4, 0.3 std 0.2, 0.2, 0.2"])
        #expect(differs("half", base, cells[1]) == ["mean/std CIFAR-10 stats → 0.5"])
        #expect(differs("same", base, cells[2]) == [])
    }

    @Test func labelledColumnsShowResolvedValues() throws {
        let cells = [base,
                     "let timm = base.with(data: .cifar100, augment: [.randomResizedCrop(size: 224), .horizontalFlip], "
                         + "optimizer: .lion(lr: 1e-4, weightDecay: 1e-3), epochs: 400, batchSize: 256)",
                     "let folder = Experiment(model: .resnet(depth: 18, classes: 5), data: .imageFolder(path: \"photos\"))",
                     "let shapes = Experiment(model: .vit(depth: 2))"]
        let specs = try ["base", "timm", "folder", "shapes"].map { try resolve($0, cells[0], cells[1], cells[2], cells[3]) }
        func column(_ c: String) -> [String] { specs.map { Labels.column(c, $0) } }
        #expect(column("lr") == ["0.1", "1e-4", "0.1", "0.1"])
        #expect(column("weightDecay") == ["5e-4", "1e-3", "5e-4", "5e-4"])
        #expect(column("batchSize") == ["128", "256", "128", "128"])
        #expect(column("imageSize") == ["32", "224", "native", "32"])
        #expect(column("normalize") == ["CIFAR-10 stats", "CIFAR-100 stats", "ImageNet stats", "shapes stats"])
        #expect(column("epochs") == ["15", "400", "10", "10"])
        #expect(column("optimizer")[1] == "Lion 1e-4, wd 1e-3")
        let headers = ["lr", "weightDecay", "batchSize", "imageSize", "normalize", "backend", "epochs", "differs"].map(Labels.header)
        #expect(headers.map(\.header) == ["lr", "wd", "batch", "image", "mean/std", "backend", "epochs", "differs from row 1"])
        #expect(headers[3].unit == "px")
    }

    @Test(arguments: [
        (".weightDecy", "`.weightDecy` is not a `Column` case; did you mean `.weightDecay`?"),
        (".difers", "`.difers` is not a `Column` case; did you mean `.differs`?"),
        (".imagesize", "`.imagesize` is not a `Column` case; did you mean `.imageSize`?"),
        (".normalise", "`.normalise` is not a `Column` case; did you mean `.normalize`?"),
    ] as [(String, String)])
    func misspeltColumnGetsADidYouMean(column: String, message: String) {
        let result = checkCells(base, "Table(base, columns: [.model, \(column)])")
        #expect(result.diagnostics.map(\.message) == [message])
    }

    @Test func renderedTableShowsTheColumnsAndCarriesThemInItsCSV() throws {
        let box = try Sandbox()
        let path = try box.write("""
            # Columns

            ```swift config
            let base = Experiment(model: .resnet(layers: [1, 1], channels: [8, 16]), data: .shapes(classes: 4, size: 16),
                                  augment: [.randomCrop(padding: 2), .horizontalFlip], epochs: 1, batchSize: 32)
            let se = base.with(model: .resnet(layers: [1, 1], channels: [8, 16], attention: .se), optimizer: .sgd(lr: 0.05))
            let big = se.with(backend: .torch(python: "/nonexistent/python", processes: 2), batchSize: 64)
            Table(base, se, big, columns: [.model, .differs, .optimizer, .lr, .weightDecay, .batchSize, .imageSize,
                                           .normalize, .backend, .epochs, .top1])
            ```
            """)
        let (_, log, html) = try box.run(path) { $0.execute = false }
        let headers = ["differs from row 1", "optimizer", "lr", "wd", "batch", "image <span class=\"unit\">(px)</span>",
                       "mean/std", "backend", "epochs"]
        for h in headers { #expect(html.contains("<th scope=\"col\">\(h)</th>"), "\(h) in \(log.lines)") }
        #expect(html.contains("<td>reference</td>"))
        #expect(html.contains("<td>+SE; lr 0.1 → 0.05</td>"))
        #expect(html.contains("<td>+SE; lr 0.1 → 0.05; batch 32 → 64; backend embedded → torch 2×1 local</td>"))
        #expect(html.contains("<td>SGD 0.05, m 0.9, wd 5e-4, nesterov</td>"))
        // The table's CSV download (the experiment cells' own tables come first).
        let csvs = html.components(separatedBy: "href=\"data:text/csv;charset=utf-8,").dropFirst()
            .compactMap { $0.components(separatedBy: "\"").first?.removingPercentEncoding }
        let csv = try #require(csvs.first { $0.contains("differs from row 1") })
        let lines = csv.components(separatedBy: "\r\n")
        #expect(lines[0] == "run,model,differs from row 1,optimizer,lr,wd,batch,image (px),mean/std,backend,epochs,top-1 (%)")
        #expect(lines[1] == "base,\"ResNet basic[1,1] 8-16\",reference,\"SGD 0.1, m 0.9, wd 5e-4, nesterov\",0.1,5e-4,32,16,"
                + "shapes stats,embedded,1,")
        #expect(lines[3] == "big,\"ResNet basic[1,1] 8-16 +SE\",+SE; lr 0.1 → 0.05; batch 32 → 64; backend embedded → torch 2×1 local,"
                + "\"SGD 0.05, m 0.9, wd 5e-4, nesterov\",0.05,5e-4,64,16,shapes stats,torch 2×1 local,1,")
    }
}
