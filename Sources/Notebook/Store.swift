// The results store: runs, epochs, artifacts and results in one SQLite file (GRDB, WAL).
import Foundation
import GRDB

/// A failure of the results store, with the context needed to act on it.
public enum StoreError: Error, CustomStringConvertible, Equatable {
    /// The database file could not be opened or migrated.
    case cannotOpen(path: String, reason: String)
    /// An operation named a run that is not in the store.
    case unknownRun(key: String)

    public var description: String {
        switch self {
        case let .cannotOpen(path, reason):
            return "cannot open results store \(path): \(reason) (hint: delete the file to start a fresh store)"
        case let .unknownRun(key):
            return "no run with key \(key) in the results store (hint: begin the run first)"
        }
    }
}

/// How a run ended, passed to `ResultsStore.finishRun`.
public enum RunOutcome: Equatable, Sendable {
    case succeeded
    /// The run raised; the message is stored.
    case failed(String)
    /// The loss became non-finite; the message is stored.
    case diverged(String)
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
    let pool: DatabasePool

    /// Opens (creating if needed) the store at `path` and applies pending migrations.
    public init(path: String) throws {
        self.path = path
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        var config = Configuration()
        config.busyMode = .timeout(30)
        config.foreignKeysEnabled = true
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            pool = try Self.openPool(path: path, configuration: config)
            do {
                try StoreSchema.migrator.migrate(pool)
            } catch {
                // Another process may have applied the same migration between our check and our
                // write; the retry then finds it applied. A real failure fails again.
                try StoreSchema.migrator.migrate(pool)
            }
        } catch {
            throw StoreError.cannotOpen(path: path, reason: "\(error)")
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
    public func runs(_ filter: RunFilter = RunFilter()) throws -> [RunRecord] {
        try pool.read { db in try filter.request().fetchAll(db) }
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
