import SwarmBase

/// Why the node's state database cannot be opened, read or written; each case names the file
/// and says what to do. A refused database is never modified.
public enum StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The state directory or the database file could not be created or read.
    case file(FileError)
    /// SQLite failed in a way none of the cases below covers.
    case sqlite(SQLiteError)
    /// `openReadOnly` found no database.
    case missing(path: String)
    /// The file is not a SwarmTune state database (random bytes, empty, another program's SQLite file).
    case notAStateDatabase(path: String, detail: String)
    /// The file is a state database whose pages are damaged (truncated, overwritten).
    case corrupt(path: String, detail: String)
    /// Written by a schema version this build does not know.
    case unsupportedVersion(path: String, found: Int64, supported: Int64)
    /// The database belongs to another node, swarm, core or adapter schema.
    case identityMismatch(path: String, field: String, stored: String, current: String)
    /// A stored blob does not hash to its checksum.
    case checksumMismatch(path: String, round: Int64, blob: String, stored: UInt64, actual: UInt64)
    /// A row holds a value that cannot be decoded (a length that is not a whole number of items, an unknown name).
    case malformedRow(path: String, table: String, detail: String)
    /// The disk filled while writing; the transaction was rolled back, so the previous
    /// checkpoint (`previousRound`, nil when there was none) is intact.
    case diskFull(path: String, writing: String, previousRound: Int64?)
    /// Another process (a second node on the same state directory) holds the directory's lock.
    case locked(path: String)

    public var description: String {
        switch self {
        case .file(let e):
            return e.description
        case .sqlite(let e):
            return e.description
        case .missing(let path):
            return "\(path): no node state database here (start the node with this --state directory first)"
        case let .notAStateDatabase(path, detail):
            return "\(path) is not a SwarmTune state database: \(detail); it was left untouched (move it away or choose another --state directory)"
        case let .corrupt(path, detail):
            return "\(path) is corrupt: \(detail); it was left untouched (restore it from a backup or move it away to start afresh)"
        case let .unsupportedVersion(path, found, supported):
            return "\(path) has schema version \(found), this swarmtune reads version \(supported); it was left untouched (use the swarmtune that wrote it)"
        case let .identityMismatch(path, field, stored, current):
            return "\(path) belongs to another \(field): stored \(stored), current \(current); it was left untouched (use the --state directory of this node, or a new one)"
        case let .checksumMismatch(path, round, blob, stored, actual):
            return "\(path): the \(blob) of the round \(round) checkpoint is corrupt (checksum \(Self.hex(stored)) stored, bytes hash to \(Self.hex(actual)))"
        case let .malformedRow(path, table, detail):
            return "\(path): a row of \(table) is malformed: \(detail)"
        case let .diskFull(path, writing, previousRound):
            let previous = previousRound.map { "the previous checkpoint (round \($0)) is intact" } ?? "there was no previous checkpoint"
            return "\(path): the disk is full while writing \(writing); nothing of it was saved and \(previous) (free space and the node saves the next round)"
        case .locked(let path):
            return "\(path) is in use by another swarmtune node (one node per --state directory)"
        }
    }

    private static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
