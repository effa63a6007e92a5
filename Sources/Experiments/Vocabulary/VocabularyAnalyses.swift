// Vocabulary analyses: the calls that explain trained runs (docs/methods.md §7), each computed once per run and cached.
import Notebook

extension Vocabulary {
    static let analysisRuns = VariadicSchema("runs", runs, minCount: 1,
                                             doc: "Trained experiments (or sweeps) to analyse; the first seed of each.")
    static func examples(_ n: Int, _ what: String = "Test images used: the first N of the test split.") -> ParameterSchema {
        ParameterSchema("examples", .int(.within(1...100_000)), default: .int(n), doc: what)
    }
    static let analysisSeed = ParameterSchema("seed", .int(.within(0...2_147_483_647)), default: 0, doc: "Seed of the analysis' random draws.")

    static let filterShape = EnumSchema("FilterShape", cases: [
        CaseSchema("radial", doc: "Circular mask of radius r around the centred spectrum (Wang et al. 2020)."),
        CaseSchema("square", doc: "Centred r×r block of the shifted spectrum (Yin et al. 2019)."),
    ])
    static let noiseKind = EnumSchema("NoiseKind", cases: [
        CaseSchema("sign", doc: "ε·sign(z), z ~ N(0, 1), as the repo's FreqAttack."),
        CaseSchema("gaussian", doc: "ε·z, z ~ N(0, 1)."),
    ])
    static let camTarget = EnumSchema("CAMTarget", cases: [
        CaseSchema("predicted", doc: "The model's predicted class."),
        CaseSchema("label", doc: "The image's true class."),
    ])

    static let analyses: [CallSchema] = [
        CallSchema("FrequencyAnalysis", [
            examples(256),
        ], variadic: analysisRuns, kind: Kind.output, derivable: false,
           doc: "Relative log amplitude ΔlogA of feature maps against normalised depth (Park & Kim 2022), with per-layer spectra."),
        CallSchema("FilteredAccuracy", [
            ParameterSchema("cutoffs", .array(of: .number(NumericBounds(lower: 0, lowerInclusive: false, upper: 4_096)), minCount: 1), default: .array([2.0, 4, 6, 8, 12].map { .number($0) }),
                            doc: "Filter radii (radial) or band widths (square), in frequency bins."),
            ParameterSchema("filter", .enumeration(filterShape), default: .case("radial"), doc: "The mask's shape."),
            examples(1000),
        ], variadic: analysisRuns, kind: Kind.output, derivable: false,
           doc: "Test accuracy on low-pass and high-pass filtered images against the cutoff."),
        CallSchema("FrequencyNoise", [
            ParameterSchema("epsilon", .number(NumericBounds(lower: 0, lowerInclusive: false, upper: 1_000)), default: 0.7,
                            doc: "Noise amplitude ε before band-limiting, in normalised-input units (the author's sketch)."),
            ParameterSchema("width", .number(.within(0.01...1)), default: 0.1,
                            doc: "Half-width s of the square frequency ring, in units of π (the paper's 0.1π window)."),
            ParameterSchema("noise", .enumeration(noiseKind), default: .case("sign"), doc: "The base noise."),
            examples(1000), analysisSeed,
        ], variadic: analysisRuns, kind: Kind.output, derivable: false,
           doc: "Accuracy change under band-limited noise against the band's centre frequency (Park & Kim Fig. 2b)."),
        CallSchema("FourierHeatmap", [
            run,
            examples(200),
            ParameterSchema("norm", .number(NumericBounds(lower: 0, lowerInclusive: false, upper: 1_000_000)), default: 4.0, doc: "L2 norm v of each Fourier-basis perturbation."),
            analysisSeed,
        ], kind: Kind.output, derivable: false,
           doc: "Error rate under each Fourier-basis perturbation, low frequencies at the centre (Yin et al. 2019)."),
        CallSchema("GradCAM", [
            run,
            ParameterSchema("images", .int(.within(1...64)), default: 8, doc: "Test images, the first N of the test split."),
            ParameterSchema("layer", .string, default: .absent,
                            doc: "Target layer, e.g. \"layer4\", \"layer3.1\", \"blocks.5\"; default the last stage or block."),
            ParameterSchema("target", .enumeration(camTarget), default: .case("predicted"), doc: "Class whose logit is explained."),
        ], kind: Kind.output, derivable: false, doc: "Grad-CAM overlays (Selvaraju et al. 2017) with true and predicted labels."),
        CallSchema("ShapeBias", [
            ParameterSchema("radii", .array(of: .number(NumericBounds(lower: 0, lowerInclusive: false, upper: 4_096)), minCount: 1), default: .array([4.0, 6].map { .number($0) }),
                            doc: "Radii of the frequency-hybrid proxy (low band of image A + high band of image B)."),
            ParameterSchema("grids", .array(of: .int(.within(2...1_024))), default: .array([2, 4].map { .int($0) }),
                            doc: "Patch-shuffle proxy: accuracy after permuting a g×g grid of patches (g must divide the image side)."),
            examples(1000), analysisSeed,
        ], variadic: analysisRuns, kind: Kind.output, derivable: false,
           doc: "Shape bias S/(S+T): on `.shapes` cue-conflict images, and the frequency-hybrid proxy on any data."),
    ]

    /// Names of the analysis calls.
    public static var analysisNames: Set<String> { Set(analyses.map(\.name)) }
}
