// SafeTensors: read and write named tensor sets (the Hugging Face safetensors format).
import Foundation

/// A malformed or mismatched safetensors file, naming the file and tensor.
public struct SafeTensorsError: Error, CustomStringConvertible, Equatable {
    public let path: String
    public let message: String
    public var description: String { "\(path): \(message)" }
}

/// Element types found in safetensors files used by Loom.
public enum SafeDType: String, Sendable {
    case f32 = "F32", f64 = "F64", f16 = "F16", bf16 = "BF16", i64 = "I64", i32 = "I32", u8 = "U8", i8 = "I8", bool = "BOOL"
    public var size: Int {
        switch self {
        case .f64, .i64: return 8
        case .f32, .i32: return 4
        case .f16, .bf16: return 2
        case .u8, .i8, .bool: return 1
        }
    }
}

/// One entry of a safetensors file: dtype, shape and raw little-endian bytes.
public struct SafeEntry {
    public let dtype: SafeDType
    public let shape: [Int]
    public let bytes: Data

    /// Float32 values, converting from F64/F16/BF16/I64/I32/U8.
    public var floats: [Float] {
        bytes.withUnsafeBytes { raw -> [Float] in
            let n = shape.reduce(1, *)
            switch dtype {
            case .f32: return (0..<n).map { raw.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self) }
            case .f64: return (0..<n).map { Float(raw.loadUnaligned(fromByteOffset: $0 * 8, as: Double.self)) }
            case .f16: return (0..<n).map { Float(Float16(bitPattern: raw.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self))) }
            case .bf16: return (0..<n).map { Float(bitPattern: UInt32(raw.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self)) << 16) }
            case .i64: return (0..<n).map { Float(raw.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self)) }
            case .i32: return (0..<n).map { Float(raw.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self)) }
            case .u8, .bool: return (0..<n).map { Float(raw[$0]) }
            case .i8: return (0..<n).map { Float(Int8(bitPattern: raw[$0])) }
            }
        }
    }

    /// Integer values (I64/I32/U8/I8).
    public var ints: [Int] {
        bytes.withUnsafeBytes { raw -> [Int] in
            let n = shape.reduce(1, *)
            switch dtype {
            case .i64: return (0..<n).map { Int(raw.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self)) }
            case .i32: return (0..<n).map { Int(raw.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self)) }
            case .u8, .bool: return (0..<n).map { Int(raw[$0]) }
            case .i8: return (0..<n).map { Int(Int8(bitPattern: raw[$0])) }
            default: return floats.map { Int($0) }
            }
        }
    }

    /// The entry as a Float32 tensor.
    public var tensor: Tensor { Tensor(shape: shape, data: floats) }
}

/// A parsed safetensors file: entries by name plus string metadata.
public struct SafeTensors {
    public var entries: [String: SafeEntry]
    public var metadata: [String: String]
    public let path: String

    /// Tensor names in sorted order.
    public var names: [String] { entries.keys.sorted() }

    public subscript(name: String) -> SafeEntry? { entries[name] }

    /// The named entry as a Float32 tensor, or an error naming the file and tensor.
    public func tensor(_ name: String) throws -> Tensor {
        guard let e = entries[name] else {
            throw SafeTensorsError(path: path, message: "no tensor named '\(name)' (file has \(entries.count) tensors)")
        }
        return e.tensor
    }

    /// Reads and validates a safetensors file.
    public static func read(_ path: String) throws -> SafeTensors {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SafeTensorsError(path: path, message: "cannot read file (missing or unreadable)")
        }
        return try parse(data, path: path)
    }

    /// Parses safetensors bytes; `path` names the source in errors.
    public static func parse(_ data: Data, path: String) throws -> SafeTensors {
        guard data.count >= 8 else {
            throw SafeTensorsError(path: path, message: "file is \(data.count) bytes, shorter than the 8-byte header length")
        }
        let headerLen = data.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard headerLen <= UInt64(data.count - 8) else {
            throw SafeTensorsError(path: path, message: "header length \(headerLen) exceeds file size \(data.count) (truncated or not a safetensors file)")
        }
        let start = data.startIndex
        let headerData = data[(start + 8)..<(start + 8 + Int(headerLen))]
        guard let json = try? JSONSerialization.jsonObject(with: headerData) as? [String: Any] else {
            throw SafeTensorsError(path: path, message: "header is not a JSON object")
        }
        let body = data[(start + 8 + Int(headerLen))...]
        var entries: [String: SafeEntry] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in json {
            if name == "__metadata__" {
                if let m = value as? [String: Any] { for (k, v) in m { metadata[k] = "\(v)" } }
                continue
            }
            guard let info = value as? [String: Any], let dt = info["dtype"] as? String,
                  let shape = info["shape"] as? [Int], let offs = info["data_offsets"] as? [Int], offs.count == 2 else {
                throw SafeTensorsError(path: path, message: "tensor '\(name)': entry needs dtype, shape and data_offsets")
            }
            guard let dtype = SafeDType(rawValue: dt) else {
                throw SafeTensorsError(path: path, message: "tensor '\(name)': unsupported dtype \(dt)")
            }
            let need = try byteCount(shape: shape, dtype: dtype, name: name, path: path)
            guard offs[0] >= 0, offs[1] >= 0 else {
                throw SafeTensorsError(path: path, message: "tensor '\(name)': data_offsets \(offs) are negative; offsets count bytes "
                                       + "from the end of the header and must be at least 0")
            }
            guard offs[1] <= body.count else {
                throw SafeTensorsError(path: path, message: "tensor '\(name)': data ends at byte \(offs[1]) but the file holds \(body.count) data bytes (truncated)")
            }
            guard offs[1] >= offs[0], offs[1] - offs[0] == need else {
                throw SafeTensorsError(path: path, message: "tensor '\(name)': \(dt) \(shape) needs \(need) bytes, offsets \(offs) give \(offs[1] - offs[0])")
            }
            entries[name] = SafeEntry(dtype: dtype, shape: shape,
                                      bytes: Data(body[(body.startIndex + offs[0])..<(body.startIndex + offs[1])]))
        }
        return SafeTensors(entries: entries, metadata: metadata, path: path)
    }

    /// The bytes a tensor of `shape` and `dtype` occupies, computed with checked arithmetic: a dimension below 0 or a
    /// product that overflows `Int` is an error naming the tensor (a hostile header can declare
    /// `[3037000500, 3037000500, 4]`). The caller then compares the count with the offsets and the file size.
    static func byteCount(shape: [Int], dtype: SafeDType, name: String, path: String) throws -> Int {
        if let d = shape.first(where: { $0 < 0 }) {
            throw SafeTensorsError(path: path, message: "tensor '\(name)': shape \(shape) has a negative dimension \(d)")
        }
        if shape.contains(0) { return 0 }
        var bytes = dtype.size
        for d in shape {
            let (product, overflow) = bytes.multipliedReportingOverflow(by: d)
            guard !overflow else {
                throw SafeTensorsError(path: path, message: "tensor '\(name)': \(dtype.rawValue) \(shape) has more bytes than any "
                                       + "file can hold (the size overflows; a corrupt or hostile header)")
            }
            bytes = product
        }
        return bytes
    }

    /// Serialises Float32 tensors (sorted by name) with string metadata.
    public static func serialize(_ tensors: [String: Tensor], metadata: [String: String] = [:]) throws -> Data {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        let names = tensors.keys.sorted()
        for name in names {
            let t = tensors[name]!
            header[name] = ["dtype": "F32", "shape": t.shape, "data_offsets": [offset, offset + t.count * 4]] as [String: Any]
            offset += t.count * 4
        }
        var headerBytes = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while (headerBytes.count + 8) % 8 != 0 { headerBytes.append(0x20) }
        var out = Data(capacity: 8 + headerBytes.count + offset)
        withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(headerBytes)
        for name in names {
            let t = tensors[name]!
            out.append(UnsafeBufferPointer(start: t.ptr, count: t.count))
        }
        return out
    }

    /// Writes tensors atomically (temporary file, then rename).
    public static func write(_ tensors: [String: Tensor], metadata: [String: String] = [:], to path: String) throws {
        do {
            let data = try serialize(tensors, metadata: metadata)
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw SafeTensorsError(path: path, message: "cannot write: \(error.localizedDescription)")
        }
    }
}

extension Module {
    /// Loads parameters and buffers from a safetensors file with timm's state-dict names.
    /// Errors name the file and the offending tensors.
    public func load(safetensors path: String, strict: Bool = true) throws {
        let f = try SafeTensors.read(path)
        var state: [String: Tensor] = [:]
        for n in f.names { state[n] = try f.tensor(n) }
        do { try load(stateDict: state, strict: strict) } catch {
            throw SafeTensorsError(path: path, message: "\(error)")
        }
    }
}
