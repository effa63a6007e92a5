// HTML escaping of user text for element content and attribute values, and a tiny element builder.

/// Escaping for text placed into the report's HTML.
public enum HTML {
    /// Escapes `&`, `<`, `>`, `"` and `'`, so the result is safe as element content and as a
    /// quoted attribute value.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// A string usable as an `id` and URL fragment: ASCII letters, digits, `-` and `_`; anything
    /// else becomes `-`. Never empty.
    public static func anchor(_ text: String) -> String {
        let mapped = String(text.unicodeScalars.map { s -> Character in
            let ok = (s >= "a" && s <= "z") || (s >= "A" && s <= "Z") || (s >= "0" && s <= "9") || s == "-" || s == "_"
            return ok ? Character(s) : "-"
        })
        return mapped.isEmpty ? "-" : mapped
    }

    /// `<name attr="value"...>content</name>` with attribute values escaped; nil attributes are left out.
    static func element(_ name: String, _ attributes: KeyValuePairs<String, String?> = [:], _ content: String) -> String {
        "<" + name + attributeList(attributes) + ">" + content + "</" + name + ">"
    }

    /// ` attr="value"` for each non-nil attribute, in the given order.
    static func attributeList(_ attributes: KeyValuePairs<String, String?>) -> String {
        var out = ""
        for (key, value) in attributes {
            guard let value else { continue }
            out += " " + key + "=\"" + escape(value) + "\""
        }
        return out
    }
}
