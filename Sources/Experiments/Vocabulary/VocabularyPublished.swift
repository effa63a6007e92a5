// Vocabulary of published values: the `Published(...)` statement and the `published` results of an experiment.
import Notebook

extension Vocabulary {
    /// Percentages as Loom's tables print them (61.12 for 61.12 %), so a value is copied from a paper as printed.
    static let publishedPercent = ValueType.number(.within(0...100))

    /// `Published(r50, top1:top5:params:trainTime:source:)`: what a paper or report published for the experiment
    /// `r50` claims to reproduce. Shown beside Loom's results, never stored as a run, never part of a key
    /// (docs/design.md §3.6).
    static let published = CallSchema("Published", [
        ParameterSchema("run", .reference(kind: Kind.experiment), positional: true,
                        doc: "The experiment binding the published values belong to, e.g. `r50`."),
        ParameterSchema("top1", publishedPercent, default: .absent,
                        doc: "Published top-1 accuracy in percent (79.05 for 79.05 %), as Loom's tables show top-1."),
        ParameterSchema("top5", publishedPercent, default: .absent, doc: "Published top-5 accuracy in percent."),
        ParameterSchema("params", .number(NumericBounds(lower: 0, lowerInclusive: false, upper: 1e13)), default: .absent,
                        doc: "Published parameter count, e.g. `23.7e6`."),
        ParameterSchema("trainTime", .string, default: .absent,
                        doc: "Published training time as written there, e.g. \"1h 7m 26s on 2 GPUs\" (text: hardware differs)."),
        ParameterSchema("claim", .string, default: .absent,
                        doc: "A conclusion as published, e.g. \"looks at high frequencies\" (text: the cells test it)."),
        ParameterSchema("source", .string,
                        doc: "Where the values were published, e.g. \"He et al. 2016, table 6\"; shown as a note."),
    ], kind: Kind.published, derivable: false,
       doc: "Values a paper or report published for an experiment, shown beside Loom's result with their source.")

    /// The published values readable from an experiment in prose: `= r50.published.top1`.
    static let publishedMember = MemberSchema("published", doc: "Values stated by a `Published(...)` statement.", members: [
        MemberSchema("top1", doc: "Published top-1 accuracy."),
        MemberSchema("top5", doc: "Published top-5 accuracy."),
        MemberSchema("params", doc: "Published parameter count."),
        MemberSchema("trainTime", doc: "Published training time, as written.", isText: true),
        MemberSchema("claim", doc: "A published conclusion, as written.", isText: true),
    ])
}
