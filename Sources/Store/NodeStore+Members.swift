import SwarmBase

extension NodeStore {
    /// Inserts a member or replaces what was known about it.
    public func upsertMember(_ member: MemberRecord) throws(StoreError) {
        try write("member \(member.nodeID.short)") { (db) throws(SQLiteError) in
            try db.run("""
                INSERT INTO members (node_id, address, state, incarnation, last_seen_round) VALUES (?1, ?2, ?3, ?4, ?5)
                ON CONFLICT (node_id) DO UPDATE SET address = excluded.address, state = excluded.state,
                    incarnation = excluded.incarnation, last_seen_round = excluded.last_seen_round
                """, [.blob(member.nodeID.digest.bytes), .text(member.address), .text(member.state),
                      .integer(member.incarnation), member.lastSeenRound.map(SQLValue.integer) ?? .null])
        }
    }

    /// Every known member, ordered by node id.
    public func members() throws(StoreError) -> [MemberRecord] {
        let rows = try read { (db) throws(SQLiteError) in
            try db.query("SELECT node_id, address, state, incarnation, last_seen_round FROM members ORDER BY node_id") {
                (s) throws(SQLiteError) in
                MemberRow(nodeID: try s.blob(0), address: try s.text(1), state: try s.text(2),
                          incarnation: try s.int64(3), lastSeenRound: try s.optionalInt64(4))
            }
        }
        var members: [MemberRecord] = []
        for row in rows {
            guard let digest = Digest32(bytes: row.nodeID) else {
                throw .malformedRow(path: path, table: "members", detail: "node id is \(row.nodeID.count) bytes, not 32")
            }
            members.append(MemberRecord(nodeID: NodeID(digest: digest), address: row.address, state: row.state,
                                        incarnation: row.incarnation, lastSeenRound: row.lastSeenRound))
        }
        return members
    }
}

/// A members row as stored.
private struct MemberRow: Sendable {
    let nodeID: [UInt8], address: String, state: String, incarnation: Int64, lastSeenRound: Int64?
}
