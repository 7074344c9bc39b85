import SwarmBase

extension NodeStore {
    /// Records one adapter exchange.
    public func recordExchange(_ record: ExchangeRecord) throws(StoreError) {
        try write("an exchange with \(record.peer.short)") { (db) throws(SQLiteError) in try Self.insert(record, into: db) }
    }

    /// Records many rounds and exchanges in one transaction (one fsync, not one per row): a
    /// simulated node's whole history, written when an inproc run ends.
    public func recordHistory(rounds: [RoundRecord], exchanges: [ExchangeRecord]) throws(StoreError) {
        try write("\(rounds.count) rounds and \(exchanges.count) exchanges") { (db) throws(SQLiteError) in
            for r in rounds { try Self.insert(r, into: db) }
            for e in exchanges { try Self.insert(e, into: db) }
        }
    }

    static func insert(_ record: ExchangeRecord, into db: Database) throws(SQLiteError) {
        try db.run("""
            INSERT INTO exchanges (peer, round, direction, bytes, norm, accepted, reason)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
            """, [.blob(record.peer.digest.bytes), .integer(record.round), .text(record.direction.rawValue),
                  .integer(record.bytes), .real(record.norm), .integer(record.accepted ? 1 : 0),
                  record.reason.map(SQLValue.text) ?? .null])
    }

    /// The last `count` exchanges, oldest first.
    public func exchanges(last count: Int) throws(StoreError) -> [ExchangeRecord] {
        let rows = try read { (db) throws(SQLiteError) in
            try db.query("""
                SELECT peer, round, direction, bytes, norm, accepted, reason
                FROM exchanges ORDER BY id DESC LIMIT ?1
                """, [.integer(Int64(max(count, 0)))]) { (s) throws(SQLiteError) in
                ExchangeRow(peer: try s.blob(0), round: try s.int64(1), direction: try s.text(2), bytes: try s.int64(3),
                            norm: try s.double(4), accepted: try s.int64(5), reason: try s.optionalText(6))
            }
        }
        var records: [ExchangeRecord] = []
        for row in rows.reversed() { records.append(try row.record(path: path)) }
        return records
    }
}

/// An exchanges row as stored.
private struct ExchangeRow: Sendable {
    let peer: [UInt8], round: Int64, direction: String, bytes: Int64, norm: Double, accepted: Int64, reason: String?

    func record(path: String) throws(StoreError) -> ExchangeRecord {
        guard let digest = Digest32(bytes: peer) else {
            throw .malformedRow(path: path, table: "exchanges", detail: "peer id is \(peer.count) bytes, not 32")
        }
        guard let way = ExchangeRecord.Direction(rawValue: direction) else {
            throw .malformedRow(path: path, table: "exchanges", detail: "unknown direction '\(direction)'")
        }
        return ExchangeRecord(peer: NodeID(digest: digest), round: round, direction: way, bytes: bytes, norm: norm,
                              accepted: accepted != 0, reason: reason)
    }
}
