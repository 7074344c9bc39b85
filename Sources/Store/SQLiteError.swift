import CSQLite

/// A SQLite call that failed: the database file, what was being done (the SQL, or "open"), and
/// SQLite's own result code and message.
public struct SQLiteError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The database file.
    public let path: String
    /// What was being done: "open", "prepare", "step", "bind", "read column" and the like.
    public let operation: String
    /// The statement, when there was one.
    public let sql: String?
    /// SQLite's extended result code (`SQLITE_FULL`, `SQLITE_CORRUPT`, ...).
    public let code: Int32
    /// SQLite's message for this failure.
    public let message: String

    public init(path: String, operation: String, sql: String? = nil, code: Int32, message: String) {
        self.path = path
        self.operation = operation
        self.sql = sql
        self.code = code
        self.message = message
    }

    /// The primary result code (the low byte of the extended one).
    public var primaryCode: Int32 { code & 0xff }

    /// The disk (or the file system's quota) is full.
    public var isDiskFull: Bool { primaryCode == SQLITE_FULL }

    /// The file is not a database, or its pages do not fit together.
    public var isCorruption: Bool { primaryCode == SQLITE_CORRUPT || primaryCode == SQLITE_NOTADB }

    /// Another connection held a lock longer than the busy timeout.
    public var isBusy: Bool { primaryCode == SQLITE_BUSY || primaryCode == SQLITE_LOCKED }

    public var description: String {
        var text = "\(path): \(operation) failed: \(message) (SQLite code \(code))"
        if let sql { text += " in `\(sql)`" }
        return text
    }
}
