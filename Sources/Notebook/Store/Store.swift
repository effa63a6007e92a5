// The results store: runs, epochs, artifacts and results in one SQLite file (GRDB, WAL).
import Foundation
import GRDB

/// A failure of the results store, with the context needed to act on it.
public enum StoreError: Error, CustomStringConvertible, Equatable {
    /// The database file could not be opened or migrated; `reason` says what is wrong and what to do. It never
    /// suggests deleting the file: that would destroy results.
    case cannotOpen(path: String, reason: String)
    /// The file is a SQLite database but not a Loom results store (no Loom migrations, other tables).
    case notLoomStore(path: String, tables: [String])
    /// An operation named a run that is not in the store.
    case unknownRun(key: String)
    /// A `--where` condition names a summary metric that no run has.
    case unknownMetric(String, known: [String])

    public var description: String {
        switch self {
        case let .cannotOpen(path, reason):
            return "cannot open results store \(path): \(reason)"
        case let .notLoomStore(path, tables):
            return "\(path) is a SQLite database but not a Loom results store (its tables: "
                + (tables.isEmpty ? "none" : tables.prefix(8).joined(separator: ", ") + (tables.count > 8 ? ", …" : ""))
                + "); Loom leaves it untouched. Pass the store `loom run` wrote (output/loom.sqlite) or another path"
        case let .unknownRun(key):
            return "no run with key \(key) in the results store (hint: begin the run first)"
        case let .unknownMetric(metric, known):
            let near = Suggestion.nearest(to: metric, in: known)
            return Suggestion.message("no run in the store has a metric named `\(metric)`", nearest: near)
                + " (metrics: " + (known.isEmpty ? "none yet" : known.joined(separator: ", ")) + ")"
        }
    }

    /// What went wrong opening `path`, in words a user can act on: permissions, a full disk, a file that is not a
    /// database. Reads the file system, never changes it.
    static func diagnose(_ error: Error, path: String) -> StoreError {
        if let e = error as? StoreError { return e }
        let fm = FileManager.default
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        let exists = fm.fileExists(atPath: path, isDirectory: &isDirectory)
        let code = (error as? DatabaseError)?.resultCode
        let reason: String
        if exists && isDirectory.boolValue {
            reason = "it is a directory; pass the database file inside it (e.g. \(path)/loom.sqlite)"
        } else if code == .SQLITE_FULL || (error as NSError).code == Int(ENOSPC) {
            reason = "the disk is full; free space on the volume holding \(directory) and run again (the store is unchanged)"
        } else if code == .SQLITE_NOTADB {
            reason = "the file is not a SQLite database; pass the store `loom run` wrote (output/loom.sqlite)"
        } else if code == .SQLITE_CORRUPT {
            reason = "the database is damaged; keep the file, copy it aside and try `sqlite3 \(path) .recover`"
        } else if exists && !fm.isReadableFile(atPath: path) {
            reason = "no permission to read it (\(ownerDescription(path))); ask its owner or run as a user who may read it"
        } else if exists && !fm.isWritableFile(atPath: path) {
            reason = "no permission to write it (\(ownerDescription(path))); `loom runs` and `loom export` can still read it"
        } else if !fm.isWritableFile(atPath: fm.fileExists(atPath: directory) ? directory : URL(fileURLWithPath: directory).deletingLastPathComponent().path) {
            reason = "no permission to write in \(directory) (SQLite keeps its journal beside the file); choose another --output"
        } else if code == .SQLITE_READONLY {
            reason = "the file or its folder is read-only (\(ownerDescription(path))); choose another --output or fix the permissions"
        } else if code == .SQLITE_CANTOPEN {
            reason = "SQLite cannot open it (\(error)); check that \(directory) exists and is writable"
        } else {
            reason = "\(error)"
        }
        return .cannotOpen(path: path, reason: reason)
    }

    /// "owner uid 1000, mode 644" for messages about permissions.
    static func ownerDescription(_ path: String) -> String {
        guard let a = try? FileManager.default.attributesOfItem(atPath: path) else { return "file attributes unreadable" }
        let owner = (a[.ownerAccountName] as? String) ?? (a[.ownerAccountID] as? NSNumber).map { "uid \($0)" } ?? "unknown owner"
        let mode = (a[.posixPermissions] as? NSNumber).map { String($0.intValue, radix: 8) } ?? "?"
        return "owner \(owner), mode \(mode)"
    }
}

/// How a run ended, passed to `ResultsStore.finishRun`.
public enum RunOutcome: Equatable, Sendable {
    case succeeded
    /// The run raised; the message is stored.
    case failed(String)
    /// The loss became non-finite; the message is stored.
    case diverged(String)
    /// Stopped on request with a checkpoint to resume from; the message is stored.
    case interrupted(String)
}

/// A named artifact to store with a run or result, e.g. ("samples.png", "image/png", bytes).
public struct NamedArtifact: Equatable, Sendable {
    public var name: String
    public var mime: String
    public var bytes: Data

    public init(name: String, mime: String, bytes: Data) {
        self.name = name
        self.mime = mime
        self.bytes = bytes
    }
}

/// The results database (`output/loom.sqlite`). Safe to share between threads and processes:
/// every write is its own immediate transaction and concurrent writers wait for each other.
public final class ResultsStore: Sendable {
    /// The file this store reads and writes.
    public let path: String
    let pool: any DatabaseWriter
    /// True when opened with ``init(readingAt:)``: every write fails and the file is never changed.
    public let isReadOnly: Bool

    /// Opens (creating if needed) the store at `path` and applies pending migrations. A SQLite file that is not a
    /// Loom store is refused (``StoreError/notLoomStore(path:tables:)``), never migrated.
    public init(path: String) throws {
        self.path = path
        isReadOnly = false
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        var config = Configuration()
        config.busyMode = .timeout(30)
        config.foreignKeysEnabled = true
        do {
            if FileManager.default.fileExists(atPath: path) { try Self.checkIsLoomStore(path: path) }
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let pool = try Self.openPool(path: path, configuration: config)
            do {
                try StoreSchema.migrator.migrate(pool)
            } catch {
                // Another process may have applied the same migration between our check and our
                // write; the retry then finds it applied. A real failure fails again.
                try StoreSchema.migrator.migrate(pool)
            }
            self.pool = pool
        } catch {
            throw StoreError.diagnose(error, path: path)
        }
    }

    /// Opens an existing store for reading only (`loom runs`, `loom export`, `loom plan`): nothing is created,
    /// migrated or written, and a database that is not Loom's is refused.
    public init(readingAt path: String) throws {
        self.path = path
        isReadOnly = true
        do {
            try Self.checkIsLoomStore(path: path)
            var config = Configuration()
            config.readonly = true
            config.busyMode = .timeout(30)
            pool = try DatabaseQueue(path: path, configuration: config)
        } catch {
            throw StoreError.diagnose(error, path: path)
        }
    }

    /// An empty store in memory, for planning when no store exists yet (nothing is written anywhere).
    public init(emptyNamed name: String) throws {
        path = name
        isReadOnly = false
        let queue = try DatabaseQueue()
        try StoreSchema.migrator.migrate(queue)
        pool = queue
    }

    /// Refuses a file that holds a SQLite database without Loom's migrations (its tables are named), opening it
    /// read-only so the check itself changes nothing. An empty file (or an empty database) passes: Loom makes it a
    /// store.
    static func checkIsLoomStore(path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw StoreError.cannotOpen(path: path, reason: "no such file")
        }
        if isDirectory.boolValue { throw StoreError.diagnose(CocoaError(.fileReadUnknown), path: path) }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
        if size == 0 { return }
        var config = Configuration()
        config.readonly = true
        config.busyMode = .timeout(30)
        let queue = try DatabaseQueue(path: path, configuration: config)
        let tables = try queue.read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        }
        try queue.close()
        // Empty, or only the migrations table: a store another process is creating this moment (GRDB writes
        // that table before the first migration's transaction commits), so opening it here waits and migrates.
        if tables.isEmpty || tables == ["grdb_migrations"] { return }
        guard tables.contains("grdb_migrations"), tables.contains("runs") else {
            throw StoreError.notLoomStore(path: path, tables: tables)
        }
    }

    /// Opens the pool, retrying while another process holds the lock that switching a new
    /// file to WAL needs (SQLite does not apply the busy timeout to that step).
    static func openPool(path: String, configuration: Configuration) throws -> DatabasePool {
        var attempt = 0
        while true {
            do {
                return try DatabasePool(path: path, configuration: configuration)
            } catch let error as DatabaseError where (error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED) && attempt < 100 {
                attempt += 1
                usleep(useconds_t(20_000 + 10_000 * min(attempt, 10)))
            }
        }
    }

    /// Identifiers of the migrations applied to the file, oldest first.
    public func appliedMigrations() throws -> [String] {
        try pool.read { try StoreSchema.migrator.appliedMigrations($0) }
    }

    // MARK: Runs

    /// Records that a run started: inserts it as `.running`, or resets an existing row with the
    /// same key to `.running` while keeping its epochs, so a killed run can resume.
    public func beginRun(_ run: RunRecord) throws {
        var run = run
        run.status = .running
        run.error = nil
        run.endedAt = nil
        run.wallSeconds = nil
        try pool.write { db in try run.upsert(db) }
    }

    /// Stores (or replaces) one epoch's metrics in its own transaction, so a killed run keeps
    /// every epoch it completed.
    public func appendEpoch(_ epoch: EpochRecord) throws {
        do {
            try pool.write { db in try epoch.upsert(db) }
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_FOREIGNKEY {
            throw StoreError.unknownRun(key: epoch.runKey)
        }
    }

    /// Records the devices a run computed on (the torch backend learns them when its trainer ends).
    public func setDevices(_ devices: String, forRun key: String) throws {
        try pool.write { db in
            guard var run = try RunRecord.fetchOne(db, key: key) else { throw StoreError.unknownRun(key: key) }
            run.devices = devices
            try run.update(db)
        }
    }


    /// Ends a run in one transaction: status, error, summary metrics, wall time and artifacts.
    /// - Parameters:
    ///   - wallSeconds: defaults to `endedAt - startedAt`.
    public func finishRun(key: String, outcome: RunOutcome, summary: [String: Double] = [:],
                          artifacts: [NamedArtifact] = [], endedAt: Date = Date(), wallSeconds: Double? = nil) throws {
        try pool.write { db in
            guard var run = try RunRecord.fetchOne(db, key: key) else { throw StoreError.unknownRun(key: key) }
            switch outcome {
            case .succeeded: run.status = .succeeded; run.error = nil
            case let .failed(message): run.status = .failed; run.error = message
            case let .diverged(message): run.status = .diverged; run.error = message
            case let .interrupted(message): run.status = .interrupted; run.error = message
            }
            run.summary.merge(summary) { _, new in new }
            run.endedAt = endedAt
            run.wallSeconds = wallSeconds ?? endedAt.timeIntervalSince(run.startedAt)
            try run.update(db)
            for artifact in artifacts { try Self.store(artifact, owner: key, db) }
        }
    }

    /// The run with this key, if any.
    public func run(key: String) throws -> RunRecord? {
        try pool.read { db in try RunRecord.fetchOne(db, key: key) }
    }

    /// Epochs of a run ordered by seed then epoch; only `seed`'s when given.
    public func epochs(key: String, seed: Int? = nil) throws -> [EpochRecord] {
        try pool.read { db in
            var request = EpochRecord.filter(Column("runKey") == key)
            if let seed { request = request.filter(Column("seed") == seed) }
            return try request.order(Column("seed"), Column("epoch")).fetchAll(db)
        }
    }

    /// Runs matching `filter`, ordered by start time then key.
    /// - Throws: ``StoreError/unknownMetric(_:known:)`` when a condition names a metric no run in the store has
    ///   (a typo would otherwise match nothing, silently).
    public func runs(_ filter: RunFilter = RunFilter()) throws -> [RunRecord] {
        try pool.read { db in
            if !filter.metrics.isEmpty {
                let known = Set(try String.fetchAll(db, sql: "SELECT DISTINCT j.key FROM runs, json_each(runs.summary) AS j"))
                if let unknown = filter.metrics.first(where: { !known.contains($0.metric) }) {
                    throw StoreError.unknownMetric(unknown.metric, known: known.sorted())
                }
            }
            return try filter.request().fetchAll(db)
        }
    }

    /// Summary metric names that at least one run has, sorted.
    public func metricNames() throws -> [String] {
        try pool.read { db in try String.fetchAll(db, sql: "SELECT DISTINCT j.key FROM runs, json_each(runs.summary) AS j ORDER BY j.key") }
    }

    /// Deletes a run, its epochs and its artifact links (artifact bytes stay until unreferenced
    /// artifacts are pruned).
    public func deleteRun(key: String) throws {
        try pool.write { db in
            _ = try RunRecord.deleteOne(db, key: key)
            try ArtifactLink.filter(Column("owner") == key).deleteAll(db)
        }
    }

    // MARK: Artifacts

    /// Stores bytes once under their SHA-256 and returns the hash.
    @discardableResult
    public func putArtifact(_ bytes: Data, mime: String) throws -> String {
        let record = ArtifactRecord(bytes: bytes, mime: mime)
        try pool.write { db in try record.insert(db, onConflict: .ignore) }
        return record.hash
    }

    /// Stores an artifact and names it within a run or result (`owner` is its key).
    @discardableResult
    public func attach(_ artifact: NamedArtifact, to owner: String) throws -> String {
        try pool.write { db in try Self.store(artifact, owner: owner, db) }
    }

    /// The artifact with this content hash.
    public func artifact(hash: String) throws -> ArtifactRecord? {
        try pool.read { db in try ArtifactRecord.fetchOne(db, key: hash) }
    }

    /// The artifact named `name` within run or result `owner`.
    public func artifact(named name: String, of owner: String) throws -> ArtifactRecord? {
        try pool.read { db in
            guard let link = try ArtifactLink.fetchOne(db, key: ["owner": owner, "name": name]) else { return nil }
            return try ArtifactRecord.fetchOne(db, key: link.hash)
        }
    }

    /// Names of the artifacts of run or result `owner`, mapped to their content hashes.
    public func artifacts(of owner: String) throws -> [String: String] {
        try pool.read { db in
            let links = try ArtifactLink.filter(Column("owner") == owner).fetchAll(db)
            return Dictionary(uniqueKeysWithValues: links.map { ($0.name, $0.hash) })
        }
    }

    // MARK: Other results

    /// Stores (or replaces) an analysis or other result and its artifacts in one transaction.
    public func saveResult(_ result: ResultRecord, artifacts: [NamedArtifact] = []) throws {
        try pool.write { db in
            try result.upsert(db)
            for artifact in artifacts { try Self.store(artifact, owner: result.key, db) }
        }
    }

    /// The result with this key, if any.
    public func result(key: String) throws -> ResultRecord? {
        try pool.read { db in try ResultRecord.fetchOne(db, key: key) }
    }

    /// Results of a notebook (all when nil), ordered by key.
    public func results(notebook: String? = nil) throws -> [ResultRecord] {
        try pool.read { db in
            var request = ResultRecord.all()
            if let notebook { request = request.filter(Column("notebook") == notebook) }
            return try request.order(Column("key")).fetchAll(db)
        }
    }

    @discardableResult
    private static func store(_ artifact: NamedArtifact, owner: String, _ db: Database) throws -> String {
        let record = ArtifactRecord(bytes: artifact.bytes, mime: artifact.mime)
        try record.insert(db, onConflict: .ignore)
        try ArtifactLink(owner: owner, name: artifact.name, hash: record.hash).upsert(db)
        return record.hash
    }
}

extension ResultsStore {
    /// The SQLite library's version (`sqlite_version()`), for `loom doctor`.
    public static var sqliteVersion: String {
        (try? DatabaseQueue().read { try String.fetchOne($0, sql: "SELECT sqlite_version()") }) ?? nil ?? "unknown"
    }
}
