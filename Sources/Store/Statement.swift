import CSQLite

/// One prepared statement of a `Database`: bind parameters, step through rows, read columns.
///
/// Holds its database, so the connection outlives every statement; finalized on deinit.
/// Column readers check the stored type: a value of the wrong type is an error naming the
/// column, not a silent conversion.
public final class Statement {
    /// The connection the statement belongs to.
    public let database: Database
    /// The statement's text, for error messages.
    public let sql: String
    private let handle: OpaquePointer

    init(database: Database, sql: String) throws(SQLiteError) {
        var statement: OpaquePointer?
        let code = sqlite3_prepare_v2(database.handle, sql, -1, &statement, nil)
        guard code == SQLITE_OK, let statement else {
            sqlite3_finalize(statement)
            throw database.error("prepare", sql: sql, code: code)
        }
        self.database = database
        self.sql = sql
        self.handle = statement
    }

    deinit { sqlite3_finalize(handle) }

    /// Binds `values` to parameters 1...n in order (the statement is reset first).
    public func bind(_ values: [SQLValue]) throws(SQLiteError) {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let code: Int32
            switch value {
            case .null:
                code = sqlite3_bind_null(handle, index)
            case .integer(let v):
                code = sqlite3_bind_int64(handle, index, v)
            case .real(let v):
                code = sqlite3_bind_double(handle, index, v)
            case .text(let v):
                let utf8 = Array(v.utf8)
                code = utf8.withUnsafeBufferPointer { buffer in
                    // A non-nil pointer even for "", so SQLite stores an empty text, not NULL.
                    buffer.baseAddress.map { base in
                        base.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                            sqlite3_bind_text(handle, index, $0, Int32(buffer.count), csqlite_transient())
                        }
                    } ?? sqlite3_bind_text(handle, index, "", 0, csqlite_transient())
                }
            case .blob(let v):
                code = v.withUnsafeBytes { buffer in
                    buffer.baseAddress.map {
                        sqlite3_bind_blob64(handle, index, $0, sqlite3_uint64(buffer.count), csqlite_transient())
                    } ?? sqlite3_bind_zeroblob(handle, index, 0)
                }
            }
            guard code == SQLITE_OK else { throw database.error("bind parameter \(index)", sql: sql, code: code) }
        }
    }

    /// Advances to the next row: true when there is one, false when the statement is done.
    public func step() throws(SQLiteError) -> Bool {
        let code = sqlite3_step(handle)
        switch code {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            let failure = database.error("step", sql: sql, code: code)
            sqlite3_reset(handle)
            throw failure
        }
    }

    /// Steps until the statement is done (INSERT, UPDATE, DELETE, DDL).
    public func run() throws(SQLiteError) {
        while try step() {}
    }

    // MARK: Columns of the current row

    /// Number of columns in a result row.
    public var columnCount: Int { Int(sqlite3_column_count(handle)) }

    /// Whether column `index` (0-based) holds NULL.
    public func isNull(_ index: Int) -> Bool {
        sqlite3_column_type(handle, Int32(index)) == SQLITE_NULL
    }

    /// An INTEGER column.
    public func int64(_ index: Int) throws(SQLiteError) -> Int64 {
        try expect(index, SQLITE_INTEGER, "an integer")
        return sqlite3_column_int64(handle, Int32(index))
    }

    /// A REAL column (an INTEGER one is widened: SQLite stores integral reals as integers).
    public func double(_ index: Int) throws(SQLiteError) -> Double {
        if sqlite3_column_type(handle, Int32(index)) == SQLITE_INTEGER {
            return Double(sqlite3_column_int64(handle, Int32(index)))
        }
        try expect(index, SQLITE_FLOAT, "a real")
        return sqlite3_column_double(handle, Int32(index))
    }

    /// A TEXT column.
    public func text(_ index: Int) throws(SQLiteError) -> String {
        try expect(index, SQLITE_TEXT, "a text")
        let count = Int(sqlite3_column_bytes(handle, Int32(index)))
        guard let pointer = sqlite3_column_text(handle, Int32(index)) else { return "" }
        return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
    }

    /// A BLOB column.
    public func blob(_ index: Int) throws(SQLiteError) -> [UInt8] {
        try expect(index, SQLITE_BLOB, "a blob")
        let count = Int(sqlite3_column_bytes(handle, Int32(index)))
        guard count > 0, let pointer = sqlite3_column_blob(handle, Int32(index)) else { return [] }
        return Array(UnsafeRawBufferPointer(start: pointer, count: count))
    }

    /// An INTEGER column that may be NULL.
    public func optionalInt64(_ index: Int) throws(SQLiteError) -> Int64? {
        isNull(index) ? nil : try int64(index)
    }

    /// A REAL column that may be NULL.
    public func optionalDouble(_ index: Int) throws(SQLiteError) -> Double? {
        isNull(index) ? nil : try double(index)
    }

    /// A TEXT column that may be NULL.
    public func optionalText(_ index: Int) throws(SQLiteError) -> String? {
        isNull(index) ? nil : try text(index)
    }

    private func expect(_ index: Int, _ type: Int32, _ name: String) throws(SQLiteError) {
        let actual = sqlite3_column_type(handle, Int32(index))
        guard actual != type else { return }
        let column = sqlite3_column_name(handle, Int32(index)).map { String(cString: $0) } ?? "\(index)"
        throw SQLiteError(path: database.path, operation: "read column \(column)", sql: sql, code: SQLITE_MISMATCH,
                          message: "column \(column) holds \(Self.typeName(actual)), expected \(name)")
    }

    private static func typeName(_ type: Int32) -> String {
        switch type {
        case SQLITE_INTEGER: return "an integer"
        case SQLITE_FLOAT: return "a real"
        case SQLITE_TEXT: return "a text"
        case SQLITE_BLOB: return "a blob"
        default: return "NULL"
        }
    }
}
