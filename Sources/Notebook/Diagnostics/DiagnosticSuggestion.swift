// Did-you-mean: the nearest known name to a misspelt one, by edit distance.

/// Finds the closest candidate to a misspelt name, for "did you mean `weightDecay`?" hints.
public enum Suggestion {
    /// The candidate nearest to `name`, or nil when none is close enough.
    ///
    /// A case-insensitive match always wins. Otherwise the candidate with the smallest Levenshtein distance is
    /// returned if that distance is at most `(name.count + 2) / 3` (the threshold swiftc uses for typo correction);
    /// ties go to the earlier candidate.
    public static func nearest<S: Sequence>(to name: String, in candidates: S) -> String? where S.Element == String {
        let lowered = name.lowercased()
        var best: (name: String, distance: Int)?
        let limit = max(1, (name.count + 2) / 3)
        for candidate in candidates where candidate != name {
            if candidate.lowercased() == lowered { return candidate }
            let d = distance(name, candidate)
            if d <= limit, d < (best?.distance ?? Int.max) { best = (candidate, d) }
        }
        return best?.name
    }

    /// `; did you mean `x`?` appended to a message when there is a near candidate, else the message unchanged.
    public static func message(_ message: String, nearest: String?) -> String {
        guard let nearest else { return message }
        return message + "; did you mean `\(nearest)`?"
    }

    /// Levenshtein distance over Characters (insertions, deletions and substitutions all cost 1).
    public static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = Swift.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
