// Labels: table cells and headers for an experiment's descriptive columns (the texts come from ResolveLabels.swift).
import Foundation
import Notebook

enum Labels {
    /// The text of a descriptive `Table` column (`.model`, `.augment`, …) for one experiment.
    static func column(_ c: String, _ spec: ExperimentSpec) -> String {
        switch c {
        case "model": return spec.modelLabel
        case "data": return spec.dataLabel
        case "augment": return spec.augmentLabel
        case "mix": return spec.mixLabel
        case "optimizer": return spec.optimizerLabel
        case "schedule": return spec.scheduleLabel
        case "epochs": return String(spec.epochs)
        case "batchSize": return String(spec.batchSize)
        case "lr": return Label.hyper(spec.learningRate)
        case "weightDecay": return Label.hyper(Double(spec.optimizer.weightDecay))
        case "imageSize": return spec.imageSizeLabel
        case "normalize": return spec.normalizeLabel
        default: return c
        }
    }

    /// The text of a descriptive column for a planned experiment: the columns that need more than the spec
    /// (`.backend`; `.differs`, against the table's first row `reference`), else ``column(_:_:)-(String,ExperimentSpec)``.
    static func column(_ c: String, _ e: PlannedExperiment, reference: PlannedExperiment?) -> String {
        switch c {
        case "backend": return e.backend.label
        case "differs": return differs(e, from: reference)
        default: return column(c, e.spec)
        }
    }

    /// "reference" for the first row's experiment itself, "no difference" for a row that matches it in every setting,
    /// else the differences joined by "; " (a difference may hold commas, e.g. "augment +AA(v0), −flip").
    static func differs(_ e: PlannedExperiment, from reference: PlannedExperiment?) -> String {
        guard let reference, reference.name != e.name || reference.key != e.key else { return "reference" }
        var out = e.spec.differences(from: reference.spec)
        if reference.backend.label != e.backend.label { out.append("backend \(reference.backend.label) → \(e.backend.label)") }
        return out.isEmpty ? "no difference" : out.joined(separator: "; ")
    }

    /// The header of a descriptive column: short (headers do not wrap), with the unit apart.
    static func header(_ c: String) -> TableColumn {
        switch c {
        case "batchSize": return TableColumn("batch")
        case "weightDecay": return TableColumn("wd")
        case "imageSize": return TableColumn("image", unit: "px")
        case "normalize": return TableColumn("mean/std")
        case "differs": return TableColumn("differs from row 1")
        default: return TableColumn(c)
        }
    }
}
