// Labels: table cells for an experiment's descriptive columns (the texts come from ResolveLabels.swift).
import Foundation

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
        default: return c
        }
    }
}
