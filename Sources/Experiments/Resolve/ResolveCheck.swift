// Resolution diagnostics: what the checker cannot see, reported at the statement, before anything trains.
import Notebook

extension Vocabulary {
    /// Resolves every checked `Experiment` and `Sweep` statement of `check` and reports each ``ResolveError`` as an
    /// error at its statement (e.g. `.resnet` with both `depth:` and `layers:`, a ViT patch that does not divide
    /// the image). Run after the checker, so a notebook fails before any training starts.
    public static func diagnostics(for check: NotebookCheck) -> [Diagnostic] {
        let resolver = Resolver(bindings: check.bindings)
        var diagnostics: [Diagnostic] = []
        for cell in check.cells {
            for statement in cell.statements {
                do {
                    switch statement.kind {
                    case Kind.experiment: _ = try resolver.experiment(statement.value)
                    case Kind.sweep: _ = try resolver.sweep(statement.value)
                    default: break
                    }
                } catch let error as ResolveError {
                    diagnostics.append(.error(error.message, at: statement.range))
                } catch {
                    diagnostics.append(.error("\(error)", at: statement.range))
                }
            }
        }
        return diagnostics
    }
}
