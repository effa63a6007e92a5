// Canonical JSON: the deterministic serialisation of resolved values that cache keys are computed from.

/// Deterministic JSON for ``ResolvedValue``: object keys sorted by UTF-8 bytes, no whitespace, integers in decimal,
/// numbers in Swift's shortest round-trip form with `-0.0` written as `0.0`, strings escaped the same way every time.
///
/// Shapes: a call is `{"args":{...},"call":"Experiment"}`, an enum case `{"args":{...},"case":"resnet"}`,
/// a reference `{"path":["top1"],"ref":"aa"}`; arrays, strings, booleans and `null` are themselves.
public enum CanonicalJSON {
    /// The canonical JSON text of `value`.
    public static func encode(_ value: ResolvedValue) -> String {
        var out = ""
        write(value, to: &out)
        return out
    }

    private static func write(_ value: ResolvedValue, to out: inout String) {
        switch value {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .number(let x): out += format(x)
        case .string(let s): out += quote(s)
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                write(item, to: &out)
            }
            out += "]"
        case .call(let name, let args): object(["args": .args(args), "call": .text(name)], to: &out)
        case .enumCase(let name, let args): object(["args": .args(args), "case": .text(name)], to: &out)
        case .reference(let name, let path):
            object(["path": .value(.array(path.map(ResolvedValue.string))), "ref": .text(name)], to: &out)
        }
    }

    private enum Field {
        case text(String)
        case value(ResolvedValue)
        case args([ResolvedArgument])
    }

    private static func object(_ fields: [String: Field], to out: inout String) {
        out += "{"
        for (i, key) in fields.keys.sorted(by: utf8Less).enumerated() {
            if i > 0 { out += "," }
            out += quote(key) + ":"
            switch fields[key]! {
            case .text(let s): out += quote(s)
            case .value(let v): write(v, to: &out)
            case .args(let args):
                out += "{"
                for (j, arg) in args.sorted(by: { utf8Less($0.label, $1.label) }).enumerated() {
                    if j > 0 { out += "," }
                    out += quote(arg.label) + ":"
                    write(arg.value, to: &out)
                }
                out += "}"
            }
        }
        out += "}"
    }

    private static func utf8Less(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    /// Shortest round-trip decimal form (`0.1`, `0.0005`, `1e-05`, `128.0`); `-0.0` becomes `0.0`.
    /// Non-finite numbers never reach here: the lexer and the checker reject them.
    static func format(_ x: Double) -> String {
        precondition(x.isFinite, "canonical JSON cannot encode non-finite number \(x)")
        return x == 0 ? "0.0" : x.description
    }

    /// A JSON string literal: `"` and `\` escaped, control characters as `\n`, `\t`, `\r` or `\u00XX`, the rest as UTF-8.
    static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

extension ResolvedValue {
    /// The canonical JSON text (see ``CanonicalJSON``); equal values give equal text.
    public var canonicalJSON: String { CanonicalJSON.encode(self) }

    /// The SHA-256 of ``canonicalJSON``, as hex.
    public var canonicalHash: String { DocumentHash.sha256Hex(canonicalJSON) }
}
