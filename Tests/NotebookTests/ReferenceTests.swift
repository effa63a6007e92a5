// Reference check: every `§` citation and relative `.md` path in the repository's sources, tests, notebooks, scripts and docs resolves.
import Foundation
import Testing
import TestSupport

/// A citation or path that does not resolve, reported as `file:line: problem`.
struct DanglingReference: Equatable, CustomStringConvertible {
    let file: String
    let line: Int
    let problem: String
    var description: String { "\(file):\(line): \(problem)" }
}

/// Finds file and section references in text and checks them against the repository.
///
/// What counts as a reference, so that file names used as test data (`study.md:12:7`, `other.md`) do not:
/// - `§N` or `§N.M…` anywhere: a section of the nearest `.md` path before it on the same line
///   (`docs/methods.md §3.2`, `` `docs/methods.md` §7 ``, `docs/methods.md §2.5, §2.6`); in a Markdown file
///   with no path before it on the line, a section of that file itself. A `§` anywhere else names no file
///   and is reported, as are a `§` right after a capitals word (`METHODS §3.2`) and a `§` without a number. The section must be the number of a heading of the file
///   (`## 3. Optimizers` is §3, `### 3.2 AdamW` is §3.2).
/// - A `.md` path with a folder (`docs/design.md`, `../README.md`), a Markdown link target, an all-capitals
///   name (`README.md`, `DESIGN.md`; not after "usage" on its line, where it is a placeholder such as
///   `NOTEBOOK.md`), or any `.md` name that a `§` cites: the file must exist, relative to the repository root
///   or to the referring file's folder. Absolute paths are not references.
struct ReferenceScanner {
    /// Whether a repository-relative path names an existing file.
    var fileExists: (String) -> Bool
    /// The section numbers of a repository-relative Markdown file's headings.
    var sections: (String) -> Set<String>

    /// The outcome of scanning one text: what does not resolve, and how many section citations were checked.
    struct Result {
        var dangling: [DanglingReference] = []
        var sectionsChecked = 0
    }

    private static let mdPath = try! NSRegularExpression(  // a constant pattern, not I/O
        pattern: #"(?<![\w/.\-])(?:\.\.?/)*[A-Za-z0-9_][\w.\-]*(?:/[\w.\-]+)*\.md(?![\w])"#)
    private static let section = try! NSRegularExpression(pattern: #"§\s?(\d+(?:\.\d+)*)?"#)  // constant pattern
    private static let heading = try! NSRegularExpression(pattern: #"^#{1,6}\s+(\d+(?:\.\d+)*)\.?(?:\s|$)"#)  // constant

    /// Checks every reference in `text`, the contents of repository file `file` (a relative path).
    func scan(_ text: String, file: String) -> Result {
        var result = Result()
        let isMarkdown = file.hasSuffix(".md")
        for (index, line) in text.components(separatedBy: "\n").enumerated() {
            guard line.contains("§") || line.contains(".md") else { continue }  // most lines: no regex work
            let ns = line as NSString
            let whole = NSRange(location: 0, length: ns.length)
            let paths = Self.mdPath.matches(in: line, range: whole).map { ($0.range, ns.substring(with: $0.range)) }
            let citations = Self.section.matches(in: line, range: whole)
            func report(_ problem: String) {
                result.dangling.append(DanglingReference(file: file, line: index + 1, problem: problem))
            }
            for (range, token) in paths {
                let isLink = range.location >= 2 && ns.substring(with: NSRange(location: range.location - 2, length: 2)) == "]("
                let stem = (token as NSString).lastPathComponent.dropLast(3)
                let isCapitals = !stem.isEmpty && stem.allSatisfy { $0.isUppercase || $0.isNumber || $0 == "_" || $0 == "-" }
                let isCited = citations.contains { c in
                    c.range.location >= range.location + range.length
                        && paths.last(where: { $0.0.location + $0.0.length <= c.range.location })?.0 == range
                }
                // On a usage line, a capitals name is an argument's placeholder (`usage: x.sh NOTEBOOK.md`).
                let isPlaceholder = isCapitals && ns.substring(to: range.location).lowercased().contains("usage")
                guard token.contains("/") || isLink || (isCapitals && !isPlaceholder) || isCited else { continue }
                if resolve(token, from: file) == nil {
                    report("`\(token)` does not exist (looked relative to the repository root and to \(folder(of: file).isEmpty ? "it" : folder(of: file) + "/"))")
                }
            }
            for c in citations {
                let written = ns.substring(with: c.range)
                guard c.range(at: 1).location != NSNotFound else {
                    report("`\(written)…` is not followed by a section number")
                    continue
                }
                let number = ns.substring(with: c.range(at: 1))
                // `METHODS §3.2`: a document named by a capitals word, not a path, whatever came earlier on the line.
                let before = ns.substring(to: c.range.location).trimmingCharacters(in: CharacterSet(charactersIn: " `"))
                if let word = before.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }).last,
                   before.hasSuffix(word), word.count > 1, word.allSatisfy({ $0.isUppercase || $0.isNumber || $0 == "_" || $0 == "-" }) {
                    report("`\(word) §\(number)` names a document that is not a file path; cite it as `docs/methods.md §\(number)` "
                           + "(or the file it belongs to)")
                    continue
                }
                let target: String
                if let cited = paths.last(where: { $0.0.location + $0.0.length <= c.range.location }) {
                    guard let resolved = resolve(cited.1, from: file) else { continue }  // reported above
                    target = resolved
                } else if isMarkdown {
                    target = file
                } else {
                    report("`§\(number)` names no file; cite it as `docs/methods.md §\(number)` (or the file it belongs to)")
                    continue
                }
                result.sectionsChecked += 1
                if !sections(target).contains(number) {
                    report("`\(target)` has no heading numbered \(number) (cited as `§\(number)`)")
                }
            }
        }
        return result
    }

    /// The section numbers of a Markdown text's headings, outside fenced code blocks.
    static func headingNumbers(_ markdown: String) -> Set<String> {
        var numbers = Set<String>(), fenced = false
        for line in markdown.components(separatedBy: "\n") {
            if line.hasPrefix("```") || line.hasPrefix("~~~") { fenced.toggle(); continue }
            guard !fenced else { continue }
            let ns = line as NSString
            if let m = heading.firstMatch(in: line, range: NSRange(location: 0, length: ns.length)) {
                numbers.insert(ns.substring(with: m.range(at: 1)))
            }
        }
        return numbers
    }

    /// `token` as an existing repository-relative path: relative to the root, else to `file`'s folder.
    func resolve(_ token: String, from file: String) -> String? {
        let dir = folder(of: file)
        for candidate in [token, dir.isEmpty ? token : dir + "/" + token] {
            if let path = Self.normalized(candidate), fileExists(path) { return path }
        }
        return nil
    }

    private func folder(of file: String) -> String { (file as NSString).deletingLastPathComponent }

    /// `a/./b/../c` → `a/c`; nil when the path leaves the repository.
    static func normalized(_ path: String) -> String? {
        var parts: [Substring] = []
        for part in path.split(separator: "/") where part != "." {
            if part == ".." {
                guard !parts.isEmpty else { return nil }
                parts.removeLast()
            } else {
                parts.append(part)
            }
        }
        return parts.joined(separator: "/")
    }
}

/// This file's repository-relative path; it is not scanned, since its tests hold made-up dangling references.
private let thisFile = "Tests/NotebookTests/ReferenceTests.swift"

/// Text files under the scanned roots, repository-relative, sorted (PyTorch fixtures and snapshots excluded).
private func scannedFiles() -> [String] {
    let roots = ["Sources", "Tests", "notebooks", "python", "scripts", "docs", "README.md"]
    let extensions: Set<String> = ["swift", "md", "py", "sh", "c", "h"]
    var files: [String] = []
    for root in roots {
        let url = repositoryRoot.appendingPathComponent(root)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else { continue }
        guard isDirectory.boolValue else { files.append(root); continue }
        let walker = FileManager.default.enumerator(atPath: url.path)
        while let relative = walker?.nextObject() as? String {
            let path = root + "/" + relative
            guard extensions.contains((relative as NSString).pathExtension), path != thisFile,
                  !path.hasPrefix("Tests/Fixtures/pytorch/"), !path.hasPrefix("Tests/NotebookTests/Snapshots/") else { continue }
            files.append(path)
        }
    }
    return files.sorted()
}

/// A scanner over the real repository.
private func repositoryScanner() -> ReferenceScanner {
    ReferenceScanner(
        fileExists: { path in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: repositoryRoot.appendingPathComponent(path).path,
                                                  isDirectory: &isDirectory) && !isDirectory.boolValue
        },
        sections: { path in
            let text = (try? String(contentsOf: repositoryRoot.appendingPathComponent(path), encoding: .utf8)) ?? ""
            return ReferenceScanner.headingNumbers(text)
        })
}

@Suite struct ReferenceTests {
    @Test func everyReferenceInTheRepositoryResolves() throws {
        let files = scannedFiles()
        #expect(files.contains("docs/methods.md") && files.contains("README.md") && files.count > 50, "\(files.count) files")
        let scanner = repositoryScanner()
        var dangling: [DanglingReference] = [], checked = 0
        for file in files {
            let text = try String(contentsOf: repositoryRoot.appendingPathComponent(file), encoding: .utf8)
            let result = scanner.scan(text, file: file)
            dangling += result.dangling
            checked += result.sectionsChecked
        }
        #expect(dangling.isEmpty, "dangling references:\n\(dangling.map(\.description).joined(separator: "\n"))")
        // The code cites docs/methods.md in dozens of places; far fewer means the scanner stopped seeing them.
        #expect(checked > 50, "only \(checked) section citations were checked")
    }

    /// The scanner on a made-up file system: `docs/methods.md` with §1 and §1.2, and `README.md`.
    private let fake = ReferenceScanner(
        fileExists: { ["docs/methods.md", "README.md", "notebooks/study.md"].contains($0) },
        sections: { $0 == "docs/methods.md" ? ReferenceScanner.headingNumbers("# Methods\n## 1. Data\n### 1.2 CIFAR\n") : [] })

    @Test func resolvingReferencesPass() {
        let text = """
            // CIFAR readers (docs/methods.md §1.2), see also `docs/methods.md` §1 and README.md.
            /// As docs/methods.md §1, §1.2 say; the notebook notebooks/study.md and [the methods](docs/methods.md).
            let name = "study.md:12:7: error"  // a file name in test data, not a reference
            let tmp = "/tmp/x/notebooks/other.md"  // an absolute path, not a reference
            """
        let result = fake.scan(text, file: "Sources/Vision/Data/CIFAR.swift")
        #expect(result.dangling == [])
        #expect(result.sectionsChecked == 4)
    }

    @Test func danglingReferencesAreReportedWithFileAndLine() {
        let text = """
            // fine: docs/methods.md §1.2
            // a missing section: docs/methods.md §9.4
            // a developer file users do not have: METHODS.md §3.2, and DESIGN.md "Data"
            // no file at all: METHODS §0.2
            // a missing folder: see docs/nothere.md
            // after a good one: docs/methods.md §1.2 and METHODS §1.2
            # usage: scripts/x.sh NOTEBOOK.md   (a placeholder, not a reference)
            """
        let result = fake.scan(text, file: "Sources/Experiments/Example.swift")
        let lines = result.dangling.map(\.line)
        #expect(lines == [2, 3, 3, 4, 5, 6], "\(result.dangling)")
        #expect(result.dangling.first?.description
                == "Sources/Experiments/Example.swift:2: `docs/methods.md` has no heading numbered 9.4 (cited as `§9.4`)")
        #expect(result.dangling.contains { $0.line == 3 && $0.problem.hasPrefix("`METHODS.md` does not exist") })
        #expect(result.dangling.contains { $0.line == 3 && $0.problem.hasPrefix("`DESIGN.md` does not exist") })
        #expect(result.dangling.contains { $0.line == 4 && $0.problem.contains("not a file path") })
        #expect(result.dangling.contains { $0.line == 6 && $0.problem.hasPrefix("`METHODS §1.2` names a document") })
    }

    @Test func markdownFilesCiteTheirOwnSectionsAndLinksResolveFromTheirFolder() {
        let methods = "# Methods\n## 1. Data\nAs §1 says, and §2 does not exist.\nSee [the README](../README.md) and [x](gone.md#top).\n"
        let result = fake.scan(methods, file: "docs/methods.md")
        #expect(result.dangling.map(\.description) == [
            "docs/methods.md:3: `docs/methods.md` has no heading numbered 2 (cited as `§2`)",
            "docs/methods.md:4: `gone.md` does not exist (looked relative to the repository root and to docs/)",
        ])
    }

    @Test func headingNumbersSkipCodeBlocksAndUnnumberedHeadings() {
        let text = "# Title\n## 3. Optimizers\n### 3.2 AdamW\n```\n## 9. not a heading\n```\n## Notes\n#### 3.2.1 Detail\n"
        #expect(ReferenceScanner.headingNumbers(text) == ["3", "3.2", "3.2.1"])
    }

    @Test func aSectionSignWithoutANumberIsReported() {
        let result = fake.scan("see docs/methods.md § for details", file: "scripts/x.sh")
        #expect(result.dangling.count == 1 && result.dangling[0].problem.contains("not followed by a section number"))
    }
}
