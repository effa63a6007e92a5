// Parse: the pipeline's first step — opens the notebook and its workspace (output folder, results store, data root).
import Foundation
import Notebook

/// A notebook that cannot be read at all.
public struct NotebookError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// The registry used by `loom run`, `plan` and `render`.
public func notebookRegistry(extra: [CallSchema] = []) -> SchemaRegistry { Vocabulary.registry(adding: extra) }

/// Opens the notebook and its workspace (output folder, store, data root).
/// `readOnly` (`loom plan`) opens the store for reading only and creates nothing.
public func openNotebook(_ path: String, outputDirectory: String, readOnly: Bool = false) throws -> (Document, Workspace) {
    guard !path.isEmpty else { throw NotebookError(message: "the notebook path is empty; pass a .md file") }
    guard !outputDirectory.isEmpty else {
        throw NotebookError(message: "--output is empty; pass the folder for the report and results store (default: output)")
    }
    let url = URL(fileURLWithPath: path)
    guard FileManager.default.fileExists(atPath: path) else {
        throw NotebookError(message: "\(path): no such notebook; the default is notebooks/study.md")
    }
    let document = try Document(contentsOf: url, fileName: path)
    var root = FileManager.default.currentDirectoryPath
    if let d = document.frontMatter?.data {
        root = d.hasPrefix("/") ? d : (url.deletingLastPathComponent().path as NSString).appendingPathComponent(d)
    }
    return (document, try Workspace(outputDirectory: outputDirectory, dataRoot: root, readOnly: readOnly))
}

/// The notebook as read, with the workspace it runs in and its name (the report is `<name>.html`).
struct ParsedNotebook {
    let document: Document
    let workspace: Workspace
    /// The file name without its extension.
    let name: String
}

/// Step 1: reads the notebook at `path` and opens its workspace under `outputDirectory`.
func parseNotebook(_ path: String, outputDirectory: String) throws -> ParsedNotebook {
    let (document, ws) = try openNotebook(path, outputDirectory: outputDirectory)
    return ParsedNotebook(document: document, workspace: ws,
                          name: URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent)
}
