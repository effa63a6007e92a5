// Vocabulary outputs: the bare calls that render comparisons of runs (Table, Curves, Bars, Samples, Confusion).
import Notebook

extension Vocabulary {
    static let column = EnumSchema("Column", cases: [
        CaseSchema("model", doc: "The model's label, e.g. \"ResNet-18 w16 +SE\"."),
        CaseSchema("data", doc: "The dataset's label."),
        CaseSchema("augment", doc: "The augmentation label, e.g. \"crop+flip+AA(cifar10)\"."),
        CaseSchema("mix", doc: "The mixing label."),
        CaseSchema("optimizer", doc: "The optimiser label with its weight decay, e.g. \"SGD 0.1, m 0.9, wd 5e-4, nesterov\"."),
        CaseSchema("schedule", doc: "The schedule label."),
        CaseSchema("epochs", doc: "Training epochs."),
        CaseSchema("batchSize", doc: "Batch size (the global batch), headed \"batch\"."),
        CaseSchema("lr", doc: "The base learning rate, e.g. \"0.1\", \"1e-3\"."),
        CaseSchema("weightDecay", doc: "The optimiser's weight decay, e.g. \"5e-4\", headed \"wd\"."),
        CaseSchema("imageSize", doc: "The image side the model sees (after `.resize`/`.randomResizedCrop`), in pixels."),
        CaseSchema("normalize", doc: "The mean/std the images are normalised with, e.g. \"CIFAR-100 stats\"."),
        CaseSchema("backend", doc: "The backend that trains the run, e.g. \"embedded\", \"torch 2×1 local\"."),
        CaseSchema("differs", doc: "The settings in which the row's experiment differs from the first row's (resolved "
                   + "values), e.g. \"+SE; lr 0.1 → 0.05\"; the first row reads \"reference\"."),
    ] + members.map { CaseSchema($0.name, doc: $0.doc) })

    /// Per-epoch series of a run.
    static let curveMetric = EnumSchema("CurveMetric", cases: [
        CaseSchema("testTop1", doc: "Test top-1 accuracy per epoch."),
        CaseSchema("testTop5", doc: "Test top-5 accuracy per epoch."),
        CaseSchema("testLoss", doc: "Test loss per epoch."),
        CaseSchema("trainLoss", doc: "Mean training loss per epoch."),
        CaseSchema("lr", doc: "Learning rate per epoch."),
        CaseSchema("imagesPerSecond", doc: "Training throughput per epoch."),
    ])

    /// Final values of a run (the experiment's members).
    static let barMetric = EnumSchema("BarMetric", cases: members.map { CaseSchema($0.name, doc: $0.doc) })

    /// A Table's reference row and the metrics compared with it (docs/methods.md §12).
    static let baseline = EnumSchema("Baseline", cases: [
        CaseSchema("compare", [
            ParameterSchema("to", .reference(kind: Kind.experiment), doc: "The reference experiment."),
            ParameterSchema("metrics", .array(of: .enumeration(barMetric), minCount: 1), default: .array([.case("top1")]),
                            doc: "The results whose difference from the reference is shown, one column each."),
        ], doc: "Compare each row with `to` in each of `metrics`."),
    ])

    static let runsVariadic = VariadicSchema("runs", runs, minCount: 1, doc: "Experiments or sweeps to compare.")
    static let run = ParameterSchema("run", .reference(kind: Kind.experiment), positional: true, doc: "The experiment to show.")

    static let outputs: [CallSchema] = [
        CallSchema("Table", [
            ParameterSchema("columns", .array(of: .enumeration(column), minCount: 1),
                            default: .array(["model", "augment", "optimizer", "top1", "top5", "params", "trainTime"]
                                .map { .case($0) }),
                            doc: "Columns, left to right; the best value of each result column is marked."),
            ParameterSchema("baseline", .oneOf([.reference(kind: Kind.experiment), .enumeration(baseline)]), default: .absent,
                            doc: "A reference row: `baseline: base` adds each row's top-1 difference from `base`, marked "
                                + "\"within noise\" unless it exceeds the seed-to-seed spread (docs/methods.md §12); "
                                + "`.compare(to: base, metrics: [.top1, .testLoss])` chooses the results."),
        ], variadic: runsVariadic, kind: Kind.output, derivable: false, doc: "A table with one row per run."),
        CallSchema("Curves", [
            ParameterSchema("metric", .enumeration(curveMetric), default: .case("testTop1"), doc: "The series to plot."),
        ], variadic: runsVariadic, kind: Kind.output, derivable: false, doc: "A line chart of a metric against epoch."),
        CallSchema("Bars", [
            ParameterSchema("metric", .enumeration(barMetric), default: .case("top1"), doc: "The result to compare."),
        ], variadic: runsVariadic, kind: Kind.output, derivable: false, doc: "A bar chart of a final result per run."),
        CallSchema("Samples", [
            run,
            ParameterSchema("count", .int(.within(1...32)), default: 8, doc: "Augmented versions per image."),
            ParameterSchema("images", .int(.within(1...32)), default: 4, doc: "Training images, one per row."),
        ], kind: Kind.output, derivable: false, doc: "A grid of training images through the run's augmentation."),
        CallSchema("Confusion", [run], kind: Kind.output, derivable: false,
                   doc: "The test-set confusion matrix of the run's final model."),
    ]
}
