/// The tables of a node's state database and their version. docs/STORE.md describes each column.
///
/// The version lives in `PRAGMA user_version`. A file of an older version is migrated in place
/// when a node opens it for writing (one transaction per step, `migrations`) and read as it is by
/// read-only openers; a newer version is refused.
enum StoreSchema {
    /// The schema this build writes and reads.
    static let version: Int64 = 2
    /// The oldest version this build still reads and migrates.
    static let oldestReadable: Int64 = 1
    /// SQL taking a database from version `key` to `key + 1`.
    static let migrations: [Int64: String] = [
        // 2: each round's product gap (nil before v2 and in rounds without a mix).
        1: "ALTER TABLE rounds ADD COLUMN product_gap REAL",
    ]
    /// `PRAGMA application_id`: "SWTN". Tells a SwarmTune state file from any other SQLite file.
    static let applicationID: Int64 = 0x5357_544E
    /// The database's file name in the state directory.
    static let fileName = "node.db"

    static let tables = """
        CREATE TABLE meta (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            node_id BLOB NOT NULL CHECK (length(node_id) = 32),
            swarm_id TEXT NOT NULL,
            core_hash BLOB NOT NULL CHECK (length(core_hash) = 32),
            schema_hash BLOB NOT NULL CHECK (length(schema_hash) = 32),
            config TEXT NOT NULL,
            created_at INTEGER NOT NULL
        ) STRICT;
        CREATE TABLE rounds (
            round INTEGER PRIMARY KEY,
            loss REAL NOT NULL,
            consensus_estimate REAL,
            neighbours BLOB NOT NULL,
            bytes_sent INTEGER NOT NULL,
            bytes_received INTEGER NOT NULL,
            seconds REAL NOT NULL,
            product_gap REAL
        ) STRICT;
        CREATE TABLE checkpoints (
            round INTEGER PRIMARY KEY REFERENCES rounds(round),
            adapter BLOB NOT NULL,
            adapter_count INTEGER NOT NULL,
            adapter_checksum INTEGER NOT NULL,
            optimizer BLOB NOT NULL,
            optimizer_checksum INTEGER NOT NULL
        ) STRICT;
        CREATE TABLE exchanges (
            id INTEGER PRIMARY KEY,
            peer BLOB NOT NULL CHECK (length(peer) = 32),
            round INTEGER NOT NULL,
            direction TEXT NOT NULL CHECK (direction IN ('sent', 'received')),
            bytes INTEGER NOT NULL,
            norm REAL NOT NULL,
            accepted INTEGER NOT NULL CHECK (accepted IN (0, 1)),
            reason TEXT
        ) STRICT;
        CREATE INDEX exchanges_round ON exchanges(round);
        CREATE TABLE members (
            node_id BLOB PRIMARY KEY CHECK (length(node_id) = 32),
            address TEXT NOT NULL,
            state TEXT NOT NULL,
            incarnation INTEGER NOT NULL,
            last_seen_round INTEGER
        ) STRICT;
        """
}
