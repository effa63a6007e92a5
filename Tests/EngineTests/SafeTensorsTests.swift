// safetensors: round trip, metadata, and a clear error for each kind of malformed file.
import Engine
import Foundation
import Testing

@Suite struct SafeTensorsTests {
    func tempPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("loom-st-\(UUID().uuidString)-\(name)").path
    }

    @Test func roundTrip() throws {
        let path = tempPath("a.safetensors")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let a = Tensor(shape: [2, 3], data: [1, 2, 3, 4, 5, 6]), b = Tensor(scalar: -7.5)
        try SafeTensors.write(["layer.weight": a, "b": b], metadata: ["epoch": "3"], to: path)
        let f = try SafeTensors.read(path)
        #expect(f.names == ["b", "layer.weight"])
        #expect(f.metadata["epoch"] == "3")
        #expect(try f.tensor("layer.weight").scalars == a.scalars)
        #expect(try f.tensor("layer.weight").shape == [2, 3])
        #expect(try f.tensor("b").scalars == [-7.5])
    }

    func expectError(_ data: Data, contains text: String) {
        do {
            _ = try SafeTensors.parse(data, path: "bad.safetensors")
            Issue.record("expected an error containing '\(text)'")
        } catch let e as SafeTensorsError {
            #expect(e.description.contains("bad.safetensors"))
            #expect(e.description.contains(text), "\(e.description)")
        } catch { Issue.record("unexpected \(error)") }
    }

    func file(header: String, body: Int) -> Data {
        var d = Data()
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { d.append(contentsOf: $0) }
        d.append(Data(header.utf8))
        d.append(Data(count: body))
        return d
    }

    @Test func malformedFiles() {
        expectError(Data([1, 2, 3]), contains: "shorter than the 8-byte header")
        var huge = Data(); withUnsafeBytes(of: UInt64(1 << 40).littleEndian) { huge.append(contentsOf: $0) }
        expectError(huge, contains: "header length")
        expectError(file(header: "{not json", body: 0), contains: "not a JSON object")
        expectError(file(header: #"{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}}"#, body: 12), contains: "'w'")
        expectError(file(header: #"{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}"#, body: 8), contains: "truncated")
        expectError(file(header: #"{"w":{"dtype":"Q7","shape":[1],"data_offsets":[0,1]}}"#, body: 1), contains: "unsupported dtype")
    }

    /// Issue 14, defect 7: a shape whose element count overflows `Int` trapped in `shape.reduce(1, *)`.
    @Test func hostileShapesAndOffsets() {
        expectError(file(header: #"{"w":{"dtype":"F32","shape":[3037000500,3037000500,4],"data_offsets":[0,16]}}"#, body: 16),
                    contains: "the size overflows")
        expectError(file(header: #"{"w":{"dtype":"F32","shape":[9223372036854775807,2],"data_offsets":[0,8]}}"#, body: 8),
                    contains: "the size overflows")
        expectError(file(header: #"{"w":{"dtype":"F32","shape":[1000000000,1000000000],"data_offsets":[0,8]}}"#, body: 8),
                    contains: "needs 4000000000000000000 bytes")
        expectError(file(header: #"{"w":{"dtype":"F32","shape":[-1,-4],"data_offsets":[0,16]}}"#, body: 16),
                    contains: "negative dimension -1")
        expectError(file(header: #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}}"#, body: 8),
                    contains: "are negative")
        expectError(file(header: #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}"#, body: 8), contains: "needs 8 bytes")
        // A zero-sized dimension is a valid empty tensor, however large the others.
        #expect((try? SafeTensors.parse(file(header: #"{"w":{"dtype":"F32","shape":[3037000500,0],"data_offsets":[0,0]}}"#, body: 0),
                                        path: "e.safetensors"))?["w"]?.shape == [3037000500, 0])
    }

    @Test func missingFileAndTensor() throws {
        #expect(throws: SafeTensorsError.self) { try SafeTensors.read("/nonexistent/w.safetensors") }
        let f = try fixture("ops/relu.safetensors")
        #expect(throws: SafeTensorsError.self) { try f.tensor("nope") }
    }
}
