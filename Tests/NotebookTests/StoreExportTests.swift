// Tests of the store's CSV, JSON and timm summary.csv exports.
import Foundation
import Testing
@testable import Notebook

@Suite struct StoreExportTests {
    /// A store with one finished two-epoch run and one failed run whose error needs CSV quoting.
    func populatedStore() throws -> ResultsStore {
        let store = try ResultsStore(path: makeTemporaryStorePath())
        try store.beginRun(sampleRun("k1", seeds: [0]))
        try store.appendEpoch(EpochRecord(runKey: "k1", seed: 0, epoch: 1, trainLoss: 2.5, testLoss: 2.25,
                                          top1: 0.25, top5: 0.5, lr: 0.1))
        try store.appendEpoch(EpochRecord(runKey: "k1", seed: 0, epoch: 2, trainLoss: 1.5, testLoss: 1.75,
                                          top1: 0.5, top5: 0.875, lr: 1e-05))
        try store.finishRun(key: "k1", outcome: .succeeded, summary: ["top1": 0.5, "params": 1000],
                            endedAt: Date(timeIntervalSince1970: 1_700_000_060))
        try store.beginRun(sampleRun("k2", cell: "aa"))
        try store.finishRun(key: "k2", outcome: .failed("shape mismatch, \"a\" vs \"b\""),
                            endedAt: Date(timeIntervalSince1970: 1_700_000_001))
        return store
    }

    @Test func timmSummaryHasTimmColumnsAndPercentAccuracy() throws {
        let csv = try populatedStore().timmSummaryCSV(key: "k1")
        #expect(csv == """
            epoch,train_loss,eval_loss,eval_top1,eval_top5,lr
            1,2.5,2.25,25.0,50.0,0.1
            2,1.5,1.75,50.0,87.5,1e-05

            """)
    }

    @Test func csvQuotesFieldsAndAddsOneColumnPerMetric() throws {
        let csv = try populatedStore().exportCSV()
        let lines = csv.components(separatedBy: "\r\n")
        #expect(lines[0] == "key,notebook,cell,status,error,seeds,git_commit,engine_version,blas_config,threads,cpu,"
                + "isa,blas_core,devices,world_size,started_at,ended_at,wall_seconds,params,top1,config")
        #expect(lines[1] == "k1,study.md,base,succeeded,,0,0123456789abcdef,numerics-1,OpenBLAS 0.3.21,2,AMD EPYC,,,,,"
                + "2023-11-14T22:13:20.000Z,2023-11-14T22:14:20.000Z,60.0,1000.0,0.5,"
                + #""{""epochs"":15,""model"":""resnet18""}""#)
        #expect(lines[2].hasPrefix(#"k2,study.md,aa,failed,"shape mismatch, ""a"" vs ""b""",0,"#))
        #expect(lines[3] == "")
        #expect(lines.count == 4)
    }

    @Test func jsonCarriesConfigObjectsAndEpochs() throws {
        let data = try populatedStore().exportJSON(RunFilter(status: .succeeded))
        let runs = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        #expect(runs.count == 1)
        let run = runs[0]
        #expect(run["key"] as? String == "k1")
        #expect((run["config"] as? [String: Any])?["model"] as? String == "resnet18")
        #expect((run["summary"] as? [String: Double])?["top1"] == 0.5)
        let epochs = try #require(run["epochs"] as? [[String: Any]])
        #expect(epochs.map { $0["epoch"] as? Int } == [1, 2])
        #expect(epochs[1]["lr"] as? Double == 1e-05)
        // Sorted keys make the export deterministic.
        let text = String(decoding: data, as: UTF8.self)
        let blas = try #require(text.range(of: "\"blas_config\""))
        let cell = try #require(text.range(of: "\"cell\""))
        #expect(blas.lowerBound < cell.lowerBound)
    }

    @Test func summaryOfAnUnknownRunThrows() throws {
        #expect(throws: StoreError.unknownRun(key: "zz")) { try populatedStore().timmSummaryCSV(key: "zz") }
    }
}
