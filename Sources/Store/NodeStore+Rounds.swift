import SwarmBase

extension NodeStore {
    /// Records a round without a checkpoint (a round recorded again replaces the earlier row,
    /// as when a restarted node repeats the round it was killed in).
    public func recordRound(_ record: RoundRecord) throws(StoreError) {
        try write("round \(record.round)") { (db) throws(SQLiteError) in try Self.insert(record, into: db) }
    }

    /// The last `count` rounds, oldest first.
    public func rounds(last count: Int) throws(StoreError) -> [RoundRecord] {
        // A version-1 file (read-only, not migrated) has no product_gap column.
        let gap = meta.schemaVersion >= 2 ? "product_gap" : "NULL"
        let rows = try read { (db) throws(SQLiteError) in
            try db.query("""
                SELECT round, loss, consensus_estimate, neighbours, bytes_sent, bytes_received, seconds, \(gap)
                FROM rounds ORDER BY round DESC LIMIT ?1
                """, [.integer(Int64(max(count, 0)))]) { (s) throws(SQLiteError) in
                RoundRow(round: try s.int64(0), loss: try s.double(1), consensusEstimate: try s.optionalDouble(2),
                         neighbours: try s.blob(3), bytesSent: try s.int64(4), bytesReceived: try s.int64(5), seconds: try s.double(6),
                         productGap: try s.optionalDouble(7))
            }
        }
        var records: [RoundRecord] = []
        for row in rows.reversed() { records.append(try row.record(path: path)) }
        return records
    }

    /// The newest round recorded, nil when none.
    public func latestRound() throws(StoreError) -> Int64? {
        try read { (db) throws(SQLiteError) in try db.scalarInt64("SELECT max(round) FROM rounds") }
    }

    static func insert(_ record: RoundRecord, into db: Database) throws(SQLiteError) {
        try db.run("""
            INSERT INTO rounds (round, loss, consensus_estimate, neighbours, bytes_sent, bytes_received, seconds, product_gap)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
            ON CONFLICT (round) DO UPDATE SET loss = excluded.loss, consensus_estimate = excluded.consensus_estimate,
                neighbours = excluded.neighbours, bytes_sent = excluded.bytes_sent,
                bytes_received = excluded.bytes_received, seconds = excluded.seconds, product_gap = excluded.product_gap
            """, [.integer(record.round), .real(record.loss), record.consensusEstimate.map(SQLValue.real) ?? .null,
                  .blob(record.neighbours.flatMap(\.digest.bytes)), .integer(record.bytesSent),
                  .integer(record.bytesReceived), .real(record.seconds), record.productGap.map(SQLValue.real) ?? .null])
    }
}

/// A rounds row as stored, before its neighbour list is decoded.
private struct RoundRow: Sendable {
    let round: Int64, loss: Double, consensusEstimate: Double?
    let neighbours: [UInt8]
    let bytesSent: Int64, bytesReceived: Int64, seconds: Double
    let productGap: Double?

    func record(path: String) throws(StoreError) -> RoundRecord {
        guard neighbours.count % Digest32.byteCount == 0 else {
            throw .malformedRow(path: path, table: "rounds", detail: "round \(round): neighbours is \(neighbours.count) bytes, not a whole number of 32-byte ids")
        }
        let ids = stride(from: 0, to: neighbours.count, by: Digest32.byteCount).map {
            NodeID(digest: Digest32(unchecked: Array(neighbours[$0..<$0 + Digest32.byteCount])))
        }
        return RoundRecord(round: round, loss: loss, consensusEstimate: consensusEstimate, neighbours: ids,
                           bytesSent: bytesSent, bytesReceived: bytesReceived, seconds: seconds, productGap: productGap)
    }
}
