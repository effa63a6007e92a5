// Check: the pipeline's second step — every cell checked against the vocabulary (calls, types, references).
import Notebook

/// A notebook whose cells are checked: their diagnostics, bindings and statements, with the workspace it runs in.
public struct CheckedNotebook {
    public let document: Document
    public let workspace: Workspace
    public let check: NotebookCheck
}

/// Step 2: checks every cell of `document` against `registry`; errors stay in the result (their cells are skipped,
/// the rest of the notebook still runs).
public func checkNotebook(_ document: Document, in workspace: Workspace, registry: SchemaRegistry) -> CheckedNotebook {
    CheckedNotebook(document: document, workspace: workspace, check: Checker(registry: registry).check(document))
}
