// Knobs: the LOOM_* environment settings the engine reads, checked. A value it cannot use is
// reported once on stderr (the variable, the value, what it takes) and the default applies.
import Foundation

public enum Knobs {
    /// What `value` of `name` means: nil (unset or empty) for the default, else a whole number
    /// ≥ `minimum`, or a message naming the variable, the value and what it accepts.
    public static func wholeNumber(_ name: String, _ value: String?, minimum: Int) -> Result<Int?, KnobError> {
        guard let raw = value?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return .success(nil) }
        guard let n = Int(raw), n >= minimum else {
            return .failure(KnobError(message: "\(name)=\"\(raw)\" is not a whole number ≥ \(minimum); the default applies "
                                      + "(unset \(name), or set e.g. \(name)=\(max(minimum, 2)))"))
        }
        return .success(n)
    }

    /// `value` of `name` when it is one of `choices` (case-insensitive); nil when unset or empty.
    public static func choice(_ name: String, _ value: String?, _ choices: [String]) -> Result<String?, KnobError> {
        guard let raw = value?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return .success(nil) }
        guard let hit = choices.first(where: { $0.caseInsensitiveCompare(raw) == .orderedSame }) else {
            return .failure(KnobError(message: "\(name)=\"\(raw)\" is not one of \(choices.joined(separator: ", ")); "
                                      + "the default applies (unset \(name) for it)"))
        }
        return .success(hit)
    }

    /// The environment's value through `check`; a failure is printed to stderr as a warning.
    static func read<T>(_ name: String, _ check: (String, String?) -> Result<T?, KnobError>) -> T? {
        switch check(name, ProcessInfo.processInfo.environment[name]) {
        case .success(let v): return v
        case .failure(let e):
            fputs("warning: \(e.message)\n", stderr)  // stdio: a closed or full stderr loses the line, never traps
            return nil
        }
    }
}

/// A LOOM_* setting whose value cannot be used.
public struct KnobError: Error, Equatable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
