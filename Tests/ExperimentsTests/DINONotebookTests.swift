// notebooks/dino.md: `loom plan`, `loom render` and `loom run` without the ImageNet folder, the stimuli or the weights —
// it plans every run and analysis, renders, and marks each cell missing with what to fetch and the command.
import Experiments
import Foundation
import Notebook
import Testing
import TestSupport

@Suite struct DINONotebookTests {
    static let path = repositoryRoot.appendingPathComponent("notebooks/dino.md").path

    @Test func theNotebookHasTheSeedsAnalysis() throws {
        let text = try String(contentsOfFile: Self.path, encoding: .utf8)
        for needle in [#"weights: .timm("resnet50.a1_in1k")"#, #".timm("vit_small_patch16_224.dino")"#,
                       #".timm("vit_small_patch16_224.augreg_in21k_ft_in1k")"#, "FrequencyAnalysis(r50, dino",
                       "FilteredAccuracy(r50, vit", "FrequencyNoise(r50, vit", "FourierHeatmap(r50", "FourierHeatmap(vit",
                       "GradCAM(r50", "GradCAM(vit", "ShapeBias(r50, vit, data: .cueConflict(path: \"cue-conflict\")",
                       #"Published(r50, claim: "looks at high frequencies; unlike humans (focuses on texture)"#,
                       #"Published(dino, claim: "looks at low frequencies; like humans (focuses on shape)"#,
                       "= compare(r50.shapeBias, vit.shapeBias)", "= compare(r50.deltaLogA(depth: 1), dino.deltaLogA(depth: 1))"] {
            #expect(text.contains(needle), "\(needle) missing from notebooks/dino.md")
        }
        #expect(!text.contains("shared/"), "the notebook names a path outside the repository")
        // Prose quotes results only through inline results: no percentage typed by hand outside the cells and the
        // fetch commands.
        let prose = text.split(separator: "```").enumerated().filter { $0.offset % 2 == 0 }.map(\.element).joined()
        #expect(prose.firstMatch(of: #/\d+(\.\d+)?\s?%/#) == nil, "a number typed into the prose")
    }

    @Test func plansRendersAndRunsIntoMissingNotes() throws {
        let box = try Sandbox()
        let notebook = try box.write(try String(contentsOfFile: Self.path, encoding: .utf8), name: "dino")
        let plan = try LoomProcess.run(["plan", notebook, "--output", box.output])
        #expect(plan.exited && plan.status == 0, "loom plan: \(plan.status)\n\(plan.stderr)")
        #expect(!plan.stderr.contains("error") && !plan.stdout.contains("error"), "\(plan.stderr)\(plan.stdout)")
        let lines = plan.stdout.split(separator: "\n")
        for run in ["r50", "dino", "vit"] {
            #expect(lines.contains { $0.contains(" \(run) ") && $0.contains(" will run ") }, "\(run): \(plan.stdout)")
        }
        #expect(lines.filter { $0.contains(" will compute ") }.count == 12, "\(plan.stdout)")
        #expect(plan.stdout.contains("3 experiments, 8 analyses"), "\(plan.stdout)")

        let render = try LoomProcess.run(["render", notebook, "--output", box.output])
        #expect(render.exited && render.status == 0, "loom render: \(render.status)\n\(render.stderr)")
        let rendered = try String(contentsOfFile: box.output + "/dino.html", encoding: .utf8)
        #expect(rendered.contains("looks at low frequencies") && rendered.contains("unlike humans (focuses on texture)"))

        // `loom run` fetches and trains nothing: each experiment, and each analysis through its run, is missing
        // its data, named with what belongs there and how to fetch the weights.
        let run = try LoomProcess.run(["run", notebook, "--output", box.output], environment: ["LOOM_TORCH_PYTHON": nil])
        #expect(run.exited && run.status == RunSummary.dataMissingStatus, "loom run: \(run.status)\n\(run.stderr)")
        for (name, weights) in [("r50", "resnet50.a1_in1k"), ("dino", "vit_small_patch16_224.dino"),
                                ("vit", "vit_small_patch16_224.augreg_in21k_ft_in1k")] {
            let line = try #require(run.stderr.split(separator: "\n").first { $0.hasPrefix("data missing for \(name):") },
                                    "\(name) not reported missing: \(run.stderr)")
            #expect(line.contains(box.root + "/data/imagenet-val is missing"), "\(line)")
            #expect(line.contains("with LOOM_TORCH_PYTHON set") && line.contains("timm.create_model('\(weights)', pretrained=True)"))
            #expect(line.contains(#"weights: .timm("\#(weights)", file: "\#(weights).pth")"#), "\(line)")
        }
        let html = try String(contentsOfFile: box.output + "/dino.html", encoding: .utf8)
        #expect(!html.contains("class=\"error-box"), "an error box in the report of `loom run`")
        // Per experiment a note and a status "data missing", and a note per analysis result (12).
        #expect(html.components(separatedBy: ">data missing<").count - 1 == 3 * 2 + 12, "data-missing notes")
        #expect(html.contains("ILSVRC2012_img_val.tar") && html.contains("Hugging Face hub"))
    }
}
