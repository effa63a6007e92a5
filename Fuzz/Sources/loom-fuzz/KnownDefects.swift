// Inputs the targets skip because they trigger defects already filed in issue 14 and fixed on another branch.
// Each filter names its defect; delete it once that fix is merged, so the fuzzer checks the fix too.
import Foundation

enum KnownDefects {
    /// `LOOM_FUZZ_KNOWN_DEFECTS=1` turns every filter off, to check whether a fix has landed (or to see the crash).
    static let skipping = ProcessInfo.processInfo.environment["LOOM_FUZZ_KNOWN_DEFECTS"] != "1"

    /// Issue 14, defect 5: unbounded recursion in CellParser overflows the stack on deep `[`/`(` nesting.
    static let maxNesting = 64

    static func nestsTooDeep(_ text: String) -> Bool {
        guard skipping else { return false }
        var depth = 0
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "("), UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                if depth > maxNesting { return true }
            case UInt8(ascii: ")"), UInt8(ascii: "]"), UInt8(ascii: "}"):
                depth = max(0, depth - 1)
            default: break
            }
        }
        return false
    }

    /// Issue 14, defect 2: YAML aliases expand without limit (an alias bomb parses for minutes in unbounded memory).
    /// `yaml` is YAML alone (`document: false`) or a notebook, whose front matter block alone is looked at, so
    /// Markdown emphasis in the prose does not exclude a notebook. A bomb needs an anchor (`&`) and many aliases (`*`).
    static func manyYAMLAliases(_ text: String, document: Bool = false) -> Bool {
        guard skipping else { return false }
        var yaml = Substring(text)
        if document {
            guard text.hasPrefix("---") else { return false }
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropFirst()
            let block = lines.prefix { !$0.hasPrefix("---") && !$0.hasPrefix("...") }
            yaml = Substring(block.joined(separator: "\n"))
        }
        return yaml.utf8.contains(UInt8(ascii: "&")) && yaml.utf8.lazy.filter { $0 == UInt8(ascii: "*") }.count > 6
    }

    /// Issue 14, defect 7: a safetensors shape whose element count (or byte count) overflows `Int`, or offsets
    /// whose difference does, traps in SafeTensors.parse.
    static func safetensorsShapeOverflows(_ bytes: [UInt8]) -> Bool {
        guard skipping, bytes.count >= 8 else { return false }
        let length = bytes[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard length <= UInt64(bytes.count - 8),
              let json = try? JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + Int(length))])) as? [String: Any]
        else { return false }
        for case let info as [String: Any] in json.values {
            if let shape = info["shape"] as? [Int] {
                var count = 8
                for dim in shape {
                    let (product, overflow) = count.multipliedReportingOverflow(by: dim)
                    if overflow { return true }
                    count = product
                }
            }
            if let offsets = info["data_offsets"] as? [Int], offsets.count == 2,
               offsets[1].subtractingReportingOverflow(offsets[0]).overflow {
                return true
            }
        }
        return false
    }

    /// Issue 14, defect 3: no pixel cap, so a small PNG declaring a huge image allocates gigabytes.
    static let maxPNGPixels = 1 << 22

    static func pngTooLarge(_ bytes: [UInt8]) -> Bool {
        // Signature (8), IHDR length (4) and type (4), then width and height as big-endian UInt32.
        guard skipping, bytes.count >= 24 else { return false }
        func be32(_ at: Int) -> Int { bytes[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) } }
        let (pixels, overflow) = be32(16).multipliedReportingOverflow(by: be32(20))
        return overflow || pixels > maxPNGPixels
    }
}
