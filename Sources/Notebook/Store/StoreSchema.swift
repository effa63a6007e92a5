// Versioned migrations of the results store; append new ones, never edit a shipped one.
import GRDB

/// Schema change log (identifier: what changed):
/// - `v1`: runs, epochs (per run, seed and epoch), artifacts by SHA-256, artifact links
///   (run or result key, name → artifact), generic results.
/// - `v2`: the machine of each run: `isa` (Loom's kernel path), `blasCore`, and for the torch
///   backend `devices` and `worldSize` (analyses carry the same facts in their payload's `_machine`).
enum StoreSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.create(table: "runs") { t in
                t.primaryKey("key", .text)
                t.column("notebook", .text).notNull().indexed()
                t.column("cell", .text).notNull()
                t.column("config", .text).notNull()
                t.column("status", .text).notNull().indexed()
                t.column("error", .text)
                t.column("seeds", .text).notNull()
                t.column("gitCommit", .text)
                t.column("engineVersion", .text).notNull()
                t.column("blasConfig", .text)
                t.column("threads", .integer)
                t.column("cpu", .text)
                t.column("startedAt", .datetime).notNull()
                t.column("endedAt", .datetime)
                t.column("wallSeconds", .double)
                t.column("summary", .text).notNull()
            }
            try db.create(table: "epochs") { t in
                t.column("runKey", .text).notNull().references("runs", column: "key", onDelete: .cascade)
                t.column("seed", .integer).notNull()
                t.column("epoch", .integer).notNull()
                t.column("trainLoss", .double)
                t.column("testLoss", .double)
                t.column("top1", .double)
                t.column("top5", .double)
                t.column("lr", .double)
                t.column("imagesPerSecond", .double)
                t.column("wallSeconds", .double)
                t.primaryKey(["runKey", "seed", "epoch"])
            }
            try db.create(table: "artifacts") { t in
                t.primaryKey("hash", .text)
                t.column("mime", .text).notNull()
                t.column("bytes", .blob).notNull()
            }
            try db.create(table: "artifactLinks") { t in
                t.column("owner", .text).notNull()
                t.column("name", .text).notNull()
                t.column("hash", .text).notNull().references("artifacts", column: "hash").indexed()
                t.primaryKey(["owner", "name"])
            }
            try db.create(table: "results") { t in
                t.primaryKey("key", .text)
                t.column("kind", .text).notNull()
                t.column("notebook", .text).notNull().indexed()
                t.column("cell", .text).notNull()
                t.column("payload", .text).notNull()
                t.column("createdAt", .datetime).notNull()
            }
        }
        migrator.registerMigration("v2") { db in
            try db.alter(table: "runs") { t in
                t.add(column: "isa", .text)
                t.add(column: "blasCore", .text)
                t.add(column: "devices", .text)
                t.add(column: "worldSize", .integer)
            }
        }
        return migrator
    }
}
