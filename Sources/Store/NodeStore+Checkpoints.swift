import SwarmBase

extension NodeStore {
    /// Saves the end of a complete round: its rounds row and its checkpoint (adapter as float32
    /// little-endian, optimizer state, an XXH64 checksum of each) in one transaction, then keeps
    /// only the newest `keepLast` checkpoints. Either all of it is committed or none: when the
    /// disk fills, `.diskFull` says so and the previous checkpoint is still the latest, intact.
    public func saveCheckpoint(round: RoundRecord, adapter: [Float], optimizer: [UInt8], keepLast: Int = 3) throws(StoreError) {
        precondition(keepLast >= 1, "keep at least the checkpoint being saved")
        let adapterBytes = Self.littleEndianBytes(adapter)
        try write("the round \(round.round) checkpoint") { (db) throws(SQLiteError) in
            try Self.insert(round, into: db)
            try db.run("""
                INSERT OR REPLACE INTO checkpoints (round, adapter, adapter_count, adapter_checksum, optimizer, optimizer_checksum)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                """, [.integer(round.round), .blob(adapterBytes), .integer(Int64(adapter.count)),
                      .integer(Int64(bitPattern: XXH64.hash(adapterBytes))), .blob(optimizer),
                      .integer(Int64(bitPattern: XXH64.hash(optimizer)))])
            try db.run("DELETE FROM checkpoints WHERE round NOT IN (SELECT round FROM checkpoints ORDER BY round DESC LIMIT ?1)",
                       [.integer(Int64(keepLast))])
        }
    }

    /// The newest checkpoint with both checksums verified, nil when none was saved yet: what a
    /// restarting node resumes from.
    public func latestCheckpoint() throws(StoreError) -> Checkpoint? {
        try checkpoint(where: "ORDER BY round DESC LIMIT 1", [])
    }

    /// The checkpoint of `round`, verified, nil when it is not kept.
    public func checkpoint(round: Int64) throws(StoreError) -> Checkpoint? {
        try checkpoint(where: "WHERE round = ?1", [.integer(round)])
    }

    /// The rounds whose checkpoints are kept, oldest first.
    public func checkpointRounds() throws(StoreError) -> [Int64] {
        try read { (db) throws(SQLiteError) in
            try db.query("SELECT round FROM checkpoints ORDER BY round") { (s) throws(SQLiteError) in try s.int64(0) }
        }
    }

    private func checkpoint(where clause: String, _ values: [SQLValue]) throws(StoreError) -> Checkpoint? {
        let rows = try read { (db) throws(SQLiteError) in
            try db.query("""
                SELECT round, adapter, adapter_count, adapter_checksum, optimizer, optimizer_checksum FROM checkpoints \(clause)
                """, values) { (s) throws(SQLiteError) in
                CheckpointRow(round: try s.int64(0), adapter: try s.blob(1), adapterCount: try s.int64(2),
                              adapterChecksum: UInt64(bitPattern: try s.int64(3)), optimizer: try s.blob(4),
                              optimizerChecksum: UInt64(bitPattern: try s.int64(5)))
            }
        }
        guard let row = rows.first else { return nil }
        let adapterHash = XXH64.hash(row.adapter)
        guard adapterHash == row.adapterChecksum else {
            throw .checksumMismatch(path: path, round: row.round, blob: "adapter", stored: row.adapterChecksum, actual: adapterHash)
        }
        let optimizerHash = XXH64.hash(row.optimizer)
        guard optimizerHash == row.optimizerChecksum else {
            throw .checksumMismatch(path: path, round: row.round, blob: "optimizer state", stored: row.optimizerChecksum, actual: optimizerHash)
        }
        // Both come from the file: a round below 0 or a count that overflows in bytes is refused here.
        guard row.round >= 0 else {
            throw .malformedRow(path: path, table: "checkpoints", detail: "round \(row.round) is negative")
        }
        guard (0...Int64(Int32.max)).contains(row.adapterCount),
              row.adapter.count == Int(row.adapterCount) * MemoryLayout<Float>.size else {
            throw .malformedRow(path: path, table: "checkpoints",
                                detail: "round \(row.round): adapter is \(row.adapter.count) bytes for \(row.adapterCount) float32 values")
        }
        return Checkpoint(round: row.round, adapter: Self.floats(littleEndian: row.adapter), optimizer: row.optimizer)
    }

    static func littleEndianBytes(_ values: [Float]) -> [UInt8] {
        #if _endian(little)
        return values.withUnsafeBytes { Array($0) }
        #else
        var writer = ByteWriter(capacity: values.count * 4)
        for value in values { writer.float32(value) }
        return writer.finish()
        #endif
    }

    static func floats(littleEndian bytes: [UInt8]) -> [Float] {
        let count = bytes.count / MemoryLayout<Float>.size
        #if _endian(little)
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            bytes.withUnsafeBytes { UnsafeMutableRawBufferPointer(buffer).copyMemory(from: UnsafeRawBufferPointer(rebasing: $0.prefix(count * 4))) }
            initialized = count
        }
        #else
        var reader = ByteReader(bytes)
        return (0..<count).map { _ in (try? reader.float32("adapter")) ?? 0 }
        #endif
    }
}

/// A checkpoints row as stored, before verification.
private struct CheckpointRow: Sendable {
    let round: Int64, adapter: [UInt8], adapterCount: Int64, adapterChecksum: UInt64, optimizer: [UInt8], optimizerChecksum: UInt64
}
