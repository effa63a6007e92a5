// Keeps the code's shape: no function in Sources/ or python/ longer than 80 lines (issue 13's bound).
import Foundation
import Testing
import TestSupport

/// Function lengths found by a deliberately simple scanner: from a declaration line, Swift bodies by
/// brace balance (string literals and `//` comments stripped), Python bodies by indentation.
struct FunctionLengths {
    struct Found: CustomStringConvertible {
        var file: String, line: Int, name: String, lines: Int
        var description: String { "\(file):\(line) \(name) is \(lines) lines" }
    }

    static let swiftDeclaration = try! Regex(
        #"^\s*(?:@[\w]+(?:\([^)]*\))?\s+)*(?:(?:public|private|fileprivate|internal|static|final|override|mutating|nonmutating|convenience|required|nonisolated)\s+)*(func\s+[^\s(<]+|init[?!]?\s*[(<]|deinit\b|subscript\b)"#)

    /// Swift functions, initialisers and subscripts with their line counts (declaration to closing brace).
    static func swift(_ text: String, file: String) -> [Found] {
        let lines = text.components(separatedBy: "\n")
        var found: [Found] = []
        for (i, line) in lines.enumerated() {
            guard let match = line.firstMatch(of: swiftDeclaration), let name = match.output[1].substring else { continue }
            var depth = 0, opened = false, j = i
            scan: while j < lines.count {
                for ch in codeOnly(lines[j]) {
                    if ch == "{" { depth += 1; opened = true } else if ch == "}" { depth -= 1 }
                    if opened && depth <= 0 { break scan }
                }
                if !opened && j > i + 30 { break }  // a protocol requirement or a bodiless declaration
                j += 1
            }
            if opened { found.append(Found(file: file, line: i + 1, name: String(name), lines: j - i + 1)) }
        }
        return found
    }

    /// A line without its string literals' contents and without a trailing `//` comment.
    static func codeOnly(_ line: String) -> String {
        var out = "", inString = false, escaped = false, previous: Character = " "
        for ch in line {
            if inString {
                if escaped { escaped = false } else if ch == "\\" { escaped = true } else if ch == "\"" { inString = false }
                continue
            }
            if ch == "/" && previous == "/" { out.removeLast(); break }
            if ch == "\"" { inString = true }
            out.append(ch); previous = ch
        }
        return out
    }

    /// Python `def`s with their line counts: up to the last non-blank line indented deeper than the `def`.
    static func python(_ text: String, file: String) -> [Found] {
        let lines = text.components(separatedBy: "\n")
        func indent(_ s: String) -> Int { s.prefix { $0 == " " }.count }
        var found: [Found] = []
        for (i, line) in lines.enumerated() where line.trimmingCharacters(in: .whitespaces).hasPrefix("def ") {
            let level = indent(line)
            var last = i
            for j in (i + 1)..<lines.count {
                let s = lines[j]
                if s.trimmingCharacters(in: .whitespaces).isEmpty { continue }
                if indent(s) <= level { break }
                last = j
            }
            let name = line.trimmingCharacters(in: .whitespaces).dropFirst(4).prefix { $0 != "(" }
            found.append(Found(file: file, line: i + 1, name: "def " + name, lines: last - i + 1))
        }
        return found
    }

    /// Every function under `folder` (relative to the repository root) in files with `suffix`.
    static func all(in folder: String, suffix: String) -> [Found] {
        let root = repositoryRoot.appendingPathComponent(folder)
        guard let walker = FileManager.default.enumerator(atPath: root.path) else { return [] }
        var found: [Found] = []
        for case let path as String in walker where path.hasSuffix(suffix) {
            guard let text = try? String(contentsOf: root.appendingPathComponent(path), encoding: .utf8) else { continue }
            let file = folder + "/" + path
            found += suffix == ".py" ? python(text, file: file) : swift(text, file: file)
        }
        return found
    }
}

@Suite struct CodeShapeTests {
    static let limit = 80

    @Test func noSwiftFunctionOverLimit() {
        let found = FunctionLengths.all(in: "Sources", suffix: ".swift")
        #expect(found.count > 500, "the scanner found only \(found.count) functions in Sources/")
        let long = found.filter { $0.lines > Self.limit }
        #expect(long.isEmpty, "functions over \(Self.limit) lines:\n\(long.map(\.description).joined(separator: "\n"))")
    }

    @Test func noPythonFunctionOverLimit() {
        let found = FunctionLengths.all(in: "python", suffix: ".py")
        #expect(!found.isEmpty, "the scanner found no function in python/")
        let long = found.filter { $0.lines > Self.limit }
        #expect(long.isEmpty, "functions over \(Self.limit) lines:\n\(long.map(\.description).joined(separator: "\n"))")
    }

    @Test func scannerMeasuresWhatItShould() {
        let swift = """
            struct S {
                /// doc
                public static func f(_ a: Int) -> String {
                    let s = "}{ not a brace" // } nor this {
                    if a > 0 { return s }
                    return ""
                }
                init() {}
            }
            protocol P { func g() }
            """
        let s = FunctionLengths.swift(swift, file: "x.swift")
        #expect(s.map(\.name) == ["func f", "init("])
        #expect(s.map(\.lines) == [5, 1])
        let python = "def a(x):\n    y = 1\n\n    return y\n\ndef b():\n    pass\n"
        let p = FunctionLengths.python(python, file: "x.py")
        #expect(p.map(\.name) == ["def a", "def b"] && p.map(\.lines) == [4, 2])
    }
}
