// Document hashes: cell identities and code/prose digests that separate meaning-bearing edits from prose edits.
import Foundation

/// Hash helpers for notebooks. Cell identities and ``Document/cellsHash`` depend on cell sources only, so editing,
/// adding or removing prose never changes them; ``Document/proseHash`` covers the prose alone.
public enum DocumentHash {
    /// The SHA-256 of `text`'s UTF-8 bytes, as 64 lowercase hex characters.
    public static func sha256Hex(_ text: String) -> String {
        ContentHash.sha256Hex(Data(text.utf8))
    }

    /// One identity per cell source, in order: the SHA-256 of the source, with `-2`, `-3`, ... appended to the
    /// second, third, ... cell whose source is identical, so identities are unique within a document.
    public static func cellIdentities(_ sources: [String]) -> [String] {
        var seen: [String: Int] = [:]
        return sources.map { source in
            let hash = sha256Hex(source)
            let count = seen[hash, default: 0] + 1
            seen[hash] = count
            return count == 1 ? hash : "\(hash)-\(count)"
        }
    }

    /// A digest of a list of texts that cannot collide by moving text across item boundaries
    /// (each item is prefixed by its UTF-8 length).
    static func digest(_ items: [String]) -> String {
        sha256Hex(items.map { "\($0.utf8.count):\($0)" }.joined(separator: "\n"))
    }
}

extension Document {
    /// A digest of every cell's source in order; unchanged by prose edits.
    public var cellsHash: String { DocumentHash.digest(cells.map(\.source)) }

    /// A digest of the prose segments and front matter; unchanged by cell edits.
    public var proseHash: String {
        let prose = segments.compactMap { segment -> String? in
            if case .prose(let p) = segment { return p.text } else { return nil }
        }
        return DocumentHash.digest(prose + [frontMatterText])
    }
}
