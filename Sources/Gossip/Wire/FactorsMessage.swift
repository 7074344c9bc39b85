import SwarmBase

/// A node's LoRA factors for one gossip round: the body of a `factors` transport payload.
///
/// ```
/// message := u64 round | schemaHash [32] | u16 degree | u32 n | tensor*n
/// tensor  := u16 nameLength | name (UTF-8) | u8 dtype | u8 rank | u32 dim*rank | u64 byteCount
///            | u64 checksum (XXH64 of the bytes) | bytes
/// ```
/// The sender is not in the body: it is the transport payload's sender, which the transport has
/// checked against the TLS-verified peer, so `decode` takes it as an argument.
public struct FactorsMessage: Hashable, Sendable {
    /// Most tensors one message may carry.
    public static let maxTensors = 4096

    public var round: UInt64
    public var sender: NodeID
    public var schemaHash: Digest32
    /// The sender's neighbour count for this round (≥ 1): both ends compute the pairwise
    /// Metropolis weight 1/(1+max(d_i, d_j)) from it, even while their membership views differ.
    public var degree: Int
    public var tensors: [FactorTensor]

    /// Largest degree a message may carry.
    public static let maxDegree = Int(UInt16.max)

    public init(round: UInt64, sender: NodeID, schemaHash: Digest32, degree: Int = 1, tensors: [FactorTensor]) {
        self.round = round
        self.sender = sender
        self.schemaHash = schemaHash
        self.degree = degree
        self.tensors = tensors
    }

    /// The body bytes (all but the sender). Throws for what a peer would refuse (too many
    /// tensors, a repeated name), so a node never sends it.
    public func encoded() throws(FactorsError) -> [UInt8] {
        if tensors.count > Self.maxTensors {
            throw .fieldTooLong(field: "tensors", length: tensors.count, limit: Self.maxTensors)
        }
        if degree < 1 || degree > Self.maxDegree {
            throw .fieldTooLong(field: "degree", length: degree, limit: Self.maxDegree)
        }
        var names = Set<String>()
        for tensor in tensors where !names.insert(tensor.name).inserted {
            throw .duplicateTensor(name: tensor.name)
        }
        var writer = ByteWriter(capacity: 8 + 32 + 2 + 4 + tensors.reduce(0) { $0 + $1.encodedSize })
        writer.u64(round)
        writer.raw(schemaHash.bytes)
        writer.u16(UInt16(degree))
        writer.u32(UInt32(tensors.count))
        for tensor in tensors { tensor.encode(into: &writer) }
        return writer.finish()
    }

    /// Decodes and validates a body from `sender` (every tensor's shape, size and checksum).
    public static func decode(_ bytes: [UInt8], sender: NodeID) throws(FactorsError) -> FactorsMessage {
        var reader = ByteReader(bytes)
        let round = try FactorsError.reading { () throws(ByteReadError) in try reader.u64("round") }
        let schema = try FactorsError.reading { () throws(ByteReadError) in try reader.digest("schemaHash") }
        let degree = Int(try FactorsError.reading { () throws(ByteReadError) in try reader.u16("degree") })
        if degree == 0 { throw .emptyField(field: "degree") }
        let count = Int(try FactorsError.reading { () throws(ByteReadError) in try reader.u32("tensorCount") })
        if count > maxTensors { throw .fieldTooLong(field: "tensors", length: count, limit: maxTensors) }
        var tensors = [FactorTensor]()
        var names = Set<String>()
        for _ in 0..<count {
            let tensor = try FactorTensor.decode(&reader)
            if !names.insert(tensor.name).inserted { throw .duplicateTensor(name: tensor.name) }
            tensors.append(tensor)
        }
        try FactorsError.reading { () throws(ByteReadError) in try reader.expectEnd() }
        return FactorsMessage(round: round, sender: sender, schemaHash: schema, degree: degree, tensors: tensors)
    }
}
