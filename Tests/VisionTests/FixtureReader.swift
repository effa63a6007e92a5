// Test helper: a tiny safetensors reader for the PyTorch/PIL fixtures under Tests/Fixtures.

import Foundation

/// One tensor of a safetensors file: dtype, shape and raw little-endian bytes.
struct FixtureTensor {
    let dtype: String
    let shape: [Int]
    let bytes: [UInt8]
}

/// Reads `Tests/Fixtures/<relative>` next to this source file (8-byte LE header length, JSON header, data).
func readFixture(_ relative: String, filePath: String = #filePath) throws -> [String: FixtureTensor] {
    let testsDir = URL(fileURLWithPath: filePath).deletingLastPathComponent().deletingLastPathComponent()
    let url = testsDir.appendingPathComponent("Fixtures").appendingPathComponent(relative)
    let data = [UInt8](try Data(contentsOf: url))
    var n = 0
    for i in 0..<8 { n |= Int(data[i]) << (8 * i) }
    let header = try JSONSerialization.jsonObject(with: Data(data[8..<(8 + n)])) as! [String: Any]
    var out: [String: FixtureTensor] = [:]
    for (name, value) in header where name != "__metadata__" {
        let entry = value as! [String: Any]
        let offsets = entry["data_offsets"] as! [Int]
        out[name] = FixtureTensor(dtype: entry["dtype"] as! String, shape: entry["shape"] as! [Int],
                                  bytes: Array(data[(8 + n + offsets[0])..<(8 + n + offsets[1])]))
    }
    return out
}

/// The `__metadata__` strings of `Tests/Fixtures/<relative>`.
func readFixtureMetadata(_ relative: String, filePath: String = #filePath) throws -> [String: String] {
    let testsDir = URL(fileURLWithPath: filePath).deletingLastPathComponent().deletingLastPathComponent()
    let data = [UInt8](try Data(contentsOf: testsDir.appendingPathComponent("Fixtures").appendingPathComponent(relative)))
    var n = 0
    for i in 0..<8 { n |= Int(data[i]) << (8 * i) }
    let header = try JSONSerialization.jsonObject(with: Data(data[8..<(8 + n)])) as! [String: Any]
    return header["__metadata__"] as? [String: String] ?? [:]
}

/// The path of `Tests/Fixtures/<relative>`.
func fixturePath(_ relative: String, filePath: String = #filePath) -> String {
    URL(fileURLWithPath: filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").appendingPathComponent(relative).path
}
