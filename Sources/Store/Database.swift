import CSQLite
import SwarmBase

/// One SQLite connection: open, run statements, transactions, the pragmas the store relies on.
///
/// A final class because it owns the `sqlite3` handle and closes it exactly once. Not shared
/// between threads: `NodeStore` keeps its connection behind a mutex.
public final class Database {
    /// How the file is opened.
    public enum Mode: Sendable {
        /// Reads only; never writes the database file (status, verification).
        case readOnly
        /// Reads and writes an existing file.
        case readWrite
        /// Reads and writes, creating the file when missing.
        case create
    }

    /// The database file.
    public let path: String
    let handle: OpaquePointer

    /// Opens `path`. `busyTimeout` is how long a statement waits for another connection's lock
    /// (a WAL checkpoint, recovery) before failing with SQLITE_BUSY: the node's writer and a
    /// `status` reader run at the same time.
    public init(path: String, mode: Mode, busyTimeout: Duration = .seconds(5)) throws(SQLiteError) {
        var flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        switch mode {
        case .readOnly: flags |= SQLITE_OPEN_READONLY
        case .readWrite: flags |= SQLITE_OPEN_READWRITE
        case .create: flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
        }
        var db: OpaquePointer?
        let code = sqlite3_open_v2(path, &db, flags, nil)
        guard code == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(code))
            sqlite3_close_v2(db)
            throw SQLiteError(path: path, operation: "open", code: code, message: message)
        }
        self.path = path
        self.handle = db
        sqlite3_extended_result_codes(db, 1)
        let milliseconds = busyTimeout.components.seconds * 1000 + busyTimeout.components.attoseconds / 1_000_000_000_000_000
        sqlite3_busy_timeout(db, Int32(clamping: milliseconds))
    }

    deinit { sqlite3_close_v2(handle) }

    /// Prepares one statement.
    public func prepare(_ sql: String) throws(SQLiteError) -> Statement {
        try Statement(database: self, sql: sql)
    }

    /// Runs one statement with `values` bound, discarding any rows.
    public func run(_ sql: String, _ values: [SQLValue] = []) throws(SQLiteError) {
        let statement = try prepare(sql)
        try statement.bind(values)
        try statement.run()
    }

    /// Runs one or more statements without parameters (schema, pragmas that return nothing).
    public func execute(_ sql: String) throws(SQLiteError) {
        var message: UnsafeMutablePointer<CChar>?
        let code = sqlite3_exec(handle, sql, nil, nil, &message)
        defer { sqlite3_free(message) }
        guard code == SQLITE_OK else {
            let text = message.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            throw SQLiteError(path: path, operation: "execute", sql: sql, code: sqlite3_extended_errcode(handle), message: text)
        }
    }

    /// Every row of a query, each turned into a value by `row`.
    public func query<Row>(_ sql: String, _ values: [SQLValue] = [],
                           row: (Statement) throws(SQLiteError) -> Row) throws(SQLiteError) -> [Row] {
        let statement = try prepare(sql)
        try statement.bind(values)
        var rows: [Row] = []
        while try statement.step() { rows.append(try row(statement)) }
        return rows
    }

    /// The first column of the first row, as an integer (nil when there is no row or it is NULL).
    public func scalarInt64(_ sql: String, _ values: [SQLValue] = []) throws(SQLiteError) -> Int64? {
        try query(sql, values) { (s) throws(SQLiteError) in try s.optionalInt64(0) }.first ?? nil
    }

    /// Runs `body` in a write transaction: committed when it returns, rolled back when it throws
    /// (or when the commit itself fails, e.g. the disk is full).
    public func transaction<T>(_ body: (Database) throws(SQLiteError) -> T) throws(SQLiteError) -> T {
        try begin()
        do {
            let result = try body(self)
            try commit()
            return result
        } catch {
            rollBackIfOpen()
            throw error
        }
    }

    /// `BEGIN IMMEDIATE`: takes the write lock up front, so a busy database fails here rather
    /// than half-way through a transaction.
    public func begin() throws(SQLiteError) {
        try execute("BEGIN IMMEDIATE")
    }

    /// `COMMIT`. When it fails the transaction is still open: call `rollBackIfOpen`.
    public func commit() throws(SQLiteError) {
        try execute("COMMIT")
    }

    /// Rolls back the open transaction, if any: after some errors (SQLITE_FULL among them)
    /// SQLite has rolled back already.
    public func rollBackIfOpen() {
        if sqlite3_get_autocommit(handle) == 0 { try? execute("ROLLBACK") }
    }

    /// `PRAGMA integrity_check` (or the faster `quick_check`, which skips index contents): the
    /// problems SQLite reports, empty when the file is sound.
    public func integrityCheck(quick: Bool = false, maxProblems: Int = 10) throws(SQLiteError) -> [String] {
        let lines = try query("PRAGMA \(quick ? "quick_check" : "integrity_check")(\(maxProblems))") {
            (s) throws(SQLiteError) in try s.text(0)
        }
        // Problems come after a "*** in database main ***" line, which is not one itself.
        return lines == ["ok"] ? [] : lines.filter { !$0.hasPrefix("*** in database") }
    }

    /// `PRAGMA user_version`: the schema version the application wrote.
    public func userVersion() throws(SQLiteError) -> Int64 {
        try scalarInt64("PRAGMA user_version") ?? 0
    }

    /// `PRAGMA application_id`: which application's file this is.
    public func applicationID() throws(SQLiteError) -> Int64 {
        try scalarInt64("PRAGMA application_id") ?? 0
    }

    /// Switches to write-ahead logging (persistent in the file) and returns the mode now in effect.
    @discardableResult
    public func enableWriteAheadLog() throws(SQLiteError) -> String {
        try query("PRAGMA journal_mode=WAL") { (s) throws(SQLiteError) in try s.text(0) }.first ?? ""
    }

    /// With `true`, closing this connection leaves the write-ahead log as it is instead of
    /// copying it into the database file: used while a database is only being inspected, so a
    /// refused file is not modified.
    public func setCheckpointOnClose(_ enabled: Bool) throws(SQLiteError) {
        let code = csqlite_no_checkpoint_on_close(handle, enabled ? 0 : 1)
        guard code == SQLITE_OK else { throw error("configure checkpoint on close", sql: nil, code: code) }
    }

    /// The error SQLite reports for the last call on this connection.
    func error(_ operation: String, sql: String?, code: Int32) -> SQLiteError {
        let extended = sqlite3_extended_errcode(handle)
        return SQLiteError(path: path, operation: operation, sql: sql,
                           code: extended != SQLITE_OK ? extended : code,
                           message: String(cString: sqlite3_errmsg(handle)))
    }
}
