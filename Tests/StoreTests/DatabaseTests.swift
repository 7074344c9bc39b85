import Testing
import Store
import SwarmBase

@Suite("SQLite wrapper")
struct DatabaseTests {
    private static func scratch(_ name: String) throws -> (dir: String, db: Database) {
        let dir = StoreFixtures.scratchDirectory(name)
        let db = try Database(path: FileIO.join(dir, "t.db"), mode: .create)
        try db.execute("CREATE TABLE t (i INTEGER, r REAL, s TEXT, b BLOB, n INTEGER)")
        return (dir, db)
    }

    @Test("every storage class binds and reads back; NULL and empty values stay apart")
    func bindAndRead() throws {
        let (dir, db) = try Self.scratch("bind")
        defer { StoreFixtures.removeDirectory(dir) }
        let rows: [[SQLValue]] = [
            [.integer(.min), .real(-0.5), .text("héllo \u{0}x"), .blob([0, 255, 7]), .null],
            [.integer(.max), .real(.infinity), .text(""), .blob([]), .integer(4)],
        ]
        for row in rows { try db.run("INSERT INTO t VALUES (?1, ?2, ?3, ?4, ?5)", row) }
        let read = try db.query("SELECT i, r, s, b, n FROM t ORDER BY rowid") { (s) throws(SQLiteError) in
            [SQLValue.integer(try s.int64(0)), .real(try s.double(1)), .text(try s.text(2)), .blob(try s.blob(3)),
             try s.optionalInt64(4).map(SQLValue.integer) ?? .null]
        }
        #expect(read == rows)
        #expect(try db.scalarInt64("SELECT count(*) FROM t WHERE s = '' AND b IS NOT NULL") == 1)
    }

    @Test("reading a column as the wrong type names the column instead of converting")
    func typeMismatch() throws {
        let (dir, db) = try Self.scratch("mismatch")
        defer { StoreFixtures.removeDirectory(dir) }
        try db.run("INSERT INTO t (i, s) VALUES (1, 'one')")
        #expect {
            _ = try db.query("SELECT s FROM t") { (s) throws(SQLiteError) in try s.int64(0) }
        } throws: { error in
            guard let e = error as? SQLiteError else { return false }
            return e.operation == "read column s" && e.message == "column s holds a text, expected an integer" && e.sql == "SELECT s FROM t"
        }
    }

    @Test("a transaction that throws is rolled back; one that returns is committed")
    func transactionRollsBack() throws {
        let (dir, db) = try Self.scratch("txn")
        defer { StoreFixtures.removeDirectory(dir) }
        try db.transaction { (db) throws(SQLiteError) in try db.run("INSERT INTO t (i) VALUES (1)") }
        #expect(throws: SQLiteError.self) {
            try db.transaction { (db) throws(SQLiteError) in
                try db.run("INSERT INTO t (i) VALUES (2)")
                try db.run("INSERT INTO missing VALUES (3)")
            }
        }
        #expect(try db.query("SELECT i FROM t") { (s) throws(SQLiteError) in try s.int64(0) } == [1])
        // The connection is usable again (no transaction left open).
        try db.transaction { (db) throws(SQLiteError) in try db.run("INSERT INTO t (i) VALUES (4)") }
        #expect(try db.scalarInt64("SELECT count(*) FROM t") == 2)
    }

    @Test("errors carry the file, the operation, the statement and SQLite's code and message")
    func errorsNameEverything() throws {
        let (dir, db) = try Self.scratch("errors")
        defer { StoreFixtures.removeDirectory(dir) }
        do {
            try db.run("SELEKT 1")
            Issue.record("bad SQL was accepted")
        } catch {
            #expect(error.path == db.path && error.operation == "prepare" && error.sql == "SELEKT 1")
            #expect(error.primaryCode == 1 && error.message.contains("syntax error"))
            #expect(error.description.contains(db.path) && error.description.contains("SELEKT 1"))
        }
        do {
            _ = try Database(path: FileIO.join(dir, "absent/x.db"), mode: .readWrite)
            Issue.record("opened a file in a missing directory")
        } catch {
            #expect(error.operation == "open" && error.path.hasSuffix("absent/x.db") && error.primaryCode == 14)
        }
        #expect(try db.integrityCheck() == [])
        #expect(try db.enableWriteAheadLog() == "wal")
    }
}
