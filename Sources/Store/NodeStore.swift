#if canImport(Glibc)
import Glibc
#endif
import CSQLite
import Synchronization
import SwarmBase

/// A node's durable state: one SQLite database (`node.db`, write-ahead log) in its state directory.
///
/// The node opens it with `open` and is its only writer (a lock file refuses a second node);
/// `swarmtune status` reads it with `openReadOnly` while the node runs. Every write is one
/// transaction, so a `kill -9` at any instant leaves the database as of the last committed
/// round; a database of another node, swarm, core or schema, or a damaged one, is refused and
/// never modified. See docs/STORE.md.
public final class NodeStore: Sendable {
    /// The state directory.
    public let directory: String
    /// The database file.
    public let path: String
    /// Identity and configuration, as of opening.
    public let meta: StoreMeta
    /// Whether this is a reader (`openReadOnly`).
    public let isReadOnly: Bool

    let database: Mutex<Database>
    private let lock: DirectoryLock?

    private init(directory: String, path: String, meta: StoreMeta, database: sending Database, lock: DirectoryLock?) {
        self.directory = directory
        self.path = path
        self.meta = meta
        self.isReadOnly = lock == nil
        self.database = Mutex(database)
        self.lock = lock
    }

    /// The database file in `directory`.
    public static func databasePath(in directory: String) -> String {
        FileIO.join(directory, StoreSchema.fileName)
    }

    /// Opens the node's database in `directory` for writing, creating the directory and the
    /// database when missing. An existing database must be a sound state database of this
    /// version or an older one (migrated here) written for `identity`; otherwise it is refused
    /// (the error names the field and both values) and left unchanged. `config` replaces the stored configuration.
    public static func open(directory: String, identity: StoreIdentity, config: JSONValue) throws(StoreError) -> NodeStore {
        do {
            try FileIO.makeDirectories(directory)
        } catch {
            throw .file(error)
        }
        let lock = try DirectoryLock(path: FileIO.join(directory, "node.lock"))
        let path = databasePath(in: directory)
        if FileIO.kind(of: path) == .missing {
            try create(path: path, identity: identity, config: config)
        }
        let database = try connect(path: path, mode: .readWrite)
        let meta = try verify(database)
        try checkIdentity(meta.identity, against: identity, path: path)
        let current: StoreMeta
        do {
            // An older file is brought to this version, one step per transaction: a crash mid-way
            // leaves it at the last whole step, which the next open continues from.
            var version = meta.schemaVersion
            while version < StoreSchema.version, let step = StoreSchema.migrations[version] {
                try database.transaction { (db) throws(SQLiteError) in
                    try db.execute(step + "; PRAGMA user_version=\(version + 1)")
                }
                version += 1
            }
            try database.setCheckpointOnClose(true)
            // WAL with synchronous=FULL: every commit fsyncs the log, so a committed round
            // survives power loss as well as kill -9 (NORMAL would only lose the newest commits
            // on power loss, never corrupt; one fsync per round costs nothing next to a round).
            try database.execute("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON")
            if meta.config != config {
                try database.run("UPDATE meta SET config = ?1 WHERE id = 1", [.text(config.text())])
            }
            current = StoreMeta(identity: meta.identity, config: config, schemaVersion: version, createdAt: meta.createdAt)
        } catch {
            throw classify(error, path: path)
        }
        return NodeStore(directory: directory, path: path, meta: current, database: database, lock: lock)
    }

    /// Opens the database in `directory` for reading (`swarmtune status`), next to a running
    /// node. Refuses a missing, foreign or damaged file like `open`, without writing to it.
    public static func openReadOnly(directory: String) throws(StoreError) -> NodeStore {
        let path = databasePath(in: directory)
        guard FileIO.kind(of: path) != .missing else { throw .missing(path: path) }
        let database = try connect(path: path, mode: .readOnly)
        let meta = try verify(database)
        return NodeStore(directory: directory, path: path, meta: meta, database: database, lock: nil)
    }

    /// `PRAGMA integrity_check`: the problems found, empty when the database is sound.
    public func integrityCheck() throws(StoreError) -> [String] {
        try read { (db) throws(SQLiteError) in try db.integrityCheck() }
    }

    // MARK: Running statements

    /// Runs `body` on the connection, turning SQLite failures into store errors.
    func read<T: Sendable>(_ body: (Database) throws(SQLiteError) -> T) throws(StoreError) -> T {
        let path = self.path
        do {
            return try database.withLock { (db) throws(SQLiteError) -> T in try body(db) }
        } catch {
            throw Self.classify(error, path: path)
        }
    }

    /// Runs `body` in one write transaction; a full disk becomes `.diskFull` naming `writing`
    /// and the newest checkpoint that is still there.
    func write<T: Sendable>(_ writing: String, _ body: (Database) throws(SQLiteError) -> T) throws(StoreError) -> T {
        let path = self.path
        do {
            return try database.withLock { (db) throws(SQLiteError) -> T in
                // Not `db.transaction(body)`: handing `body` to a method of `db` would merge their
                // isolation regions, which `withLock` forbids.
                try db.begin()
                do throws(SQLiteError) {
                    let result = try body(db)
                    try db.commit()
                    return result
                } catch {
                    db.rollBackIfOpen()
                    throw error
                }
            }
        } catch where error.isDiskFull {
            let previous = try? database.withLock { (db) throws(SQLiteError) -> Int64? in
                try db.scalarInt64("SELECT max(round) FROM checkpoints")
            }
            throw .diskFull(path: path, writing: writing, previousRound: previous)
        } catch {
            throw Self.classify(error, path: path)
        }
    }

    // MARK: Creating and verifying

    /// Creates the database under a temporary name and renames it into place when complete, so
    /// `node.db` is either absent or a whole state database: a crash during creation leaves only
    /// the temporary, which the next start replaces.
    private static func create(path: String, identity: StoreIdentity, config: JSONValue) throws(StoreError) {
        let temporary = path + ".creating"
        for suffix in ["", "-wal", "-shm", "-journal"] {
            do { try FileIO.remove(temporary + suffix) } catch { throw .file(error) }
        }
        do {
            let database = try Database(path: temporary, mode: .create)
            try database.execute("PRAGMA synchronous=FULL")
            try database.enableWriteAheadLog()
            try database.transaction { (database) throws(SQLiteError) in
                try database.execute(StoreSchema.tables)
                try database.run("""
                    INSERT INTO meta (id, node_id, swarm_id, core_hash, schema_hash, config, created_at)
                    VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6)
                    """, [.blob(identity.nodeID.digest.bytes), .text(identity.swarmID), .blob(identity.coreHash.bytes),
                          .blob(identity.schemaHash.bytes), .text(config.text()), .integer(Int64(time(nil)))])
                try database.execute("PRAGMA application_id=\(StoreSchema.applicationID); PRAGMA user_version=\(StoreSchema.version)")
            }
            // Closing the only connection copies the log into the file and deletes it.
        } catch {
            throw classify(error, path: path)
        }
        if rename(temporary, path) != 0 {
            throw .file(FileError(path: path, operation: .rename, errno: .current))
        }
        FileIO.syncDirectory(containing: path)
    }

    /// Opens a connection to an existing file after checking its header, so a file that is not
    /// SQLite at all is refused before SQLite touches it.
    private static func connect(path: String, mode: Database.Mode) throws(StoreError) -> Database {
        try checkHeader(path)
        do {
            let database = try Database(path: path, mode: mode)
            // Until the file is verified, closing must not checkpoint the log into it.
            try database.setCheckpointOnClose(false)
            return database
        } catch {
            throw classify(error, path: path)
        }
    }

    /// Every SQLite database starts with these 16 bytes.
    private static let sqliteMagic = Array("SQLite format 3\0".utf8)

    private static func checkHeader(_ path: String) throws(StoreError) {
        guard FileIO.kind(of: path) == .file else {
            throw .notAStateDatabase(path: path, detail: "not a regular file")
        }
        let header: [UInt8]
        do { header = try FileIO.readPrefix(path, count: 100) } catch { throw .file(error) }
        if header.isEmpty { throw .notAStateDatabase(path: path, detail: "the file is empty") }
        guard header.count == 100, Array(header.prefix(16)) == sqliteMagic else {
            throw .notAStateDatabase(path: path, detail: "no SQLite header (the file holds \(header.count < 100 ? "only \(header.count) bytes" : "other data"))")
        }
    }

    /// Checks the application id, the version and the pages, and reads the meta row.
    private static func verify(_ database: Database) throws(StoreError) -> StoreMeta {
        let path = database.path
        do {
            let application = try database.applicationID()
            guard application == StoreSchema.applicationID else {
                throw StoreError.notAStateDatabase(path: path, detail: "an SQLite database of another program (application id \(application))")
            }
            let version = try database.userVersion()
            guard (StoreSchema.oldestReadable...StoreSchema.version).contains(version) else {
                throw StoreError.unsupportedVersion(path: path, found: version, supported: StoreSchema.version)
            }
            let problems = try database.integrityCheck(quick: true)
            guard problems.isEmpty else {
                throw StoreError.corrupt(path: path, detail: problems.prefix(3).joined(separator: "; "))
            }
            let rows = try database.query("SELECT node_id, swarm_id, core_hash, schema_hash, config, created_at FROM meta WHERE id = 1") {
                (s) throws(SQLiteError) in
                (try s.blob(0), try s.text(1), try s.blob(2), try s.blob(3), try s.text(4), try s.int64(5))
            }
            guard let row = rows.first else { throw StoreError.corrupt(path: path, detail: "the meta row is missing") }
            guard let node = Digest32(bytes: row.0), let core = Digest32(bytes: row.2), let schema = Digest32(bytes: row.3) else {
                throw StoreError.malformedRow(path: path, table: "meta", detail: "a digest is not 32 bytes")
            }
            let config: JSONValue
            do { config = try JSONValue.parse(row.4) } catch {
                throw StoreError.malformedRow(path: path, table: "meta", detail: "config is not JSON: \(error)")
            }
            let identity = StoreIdentity(nodeID: NodeID(digest: node), swarmID: row.1, coreHash: core, schemaHash: schema)
            return StoreMeta(identity: identity, config: config, schemaVersion: version, createdAt: row.5)
        } catch let error as StoreError {
            throw error
        } catch let error as SQLiteError {
            throw classify(error, path: path)
        } catch {
            throw .corrupt(path: path, detail: "\(error)")
        }
    }

    private static func checkIdentity(_ stored: StoreIdentity, against current: StoreIdentity, path: String) throws(StoreError) {
        let fields: [(String, String, String)] = [
            ("node id", stored.nodeID.hex, current.nodeID.hex),
            ("swarm id", stored.swarmID, current.swarmID),
            ("core hash", stored.coreHash.hex, current.coreHash.hex),
            ("schema hash", stored.schemaHash.hex, current.schemaHash.hex),
        ]
        for (field, storedValue, currentValue) in fields where storedValue != currentValue {
            throw .identityMismatch(path: path, field: field, stored: storedValue, current: currentValue)
        }
    }

    /// SQLite's corruption codes become `.corrupt`, a full disk `.diskFull`, the rest `.sqlite`.
    static func classify(_ error: SQLiteError, path: String) -> StoreError {
        if error.isCorruption { return .corrupt(path: path, detail: error.message) }
        if error.isDiskFull { return .diskFull(path: path, writing: error.operation, previousRound: nil) }
        return .sqlite(error)
    }
}
