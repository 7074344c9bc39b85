/// A node's factors for one gossip round.
public struct Factors: Hashable, Sendable {
    /// Most tensors one frame may carry.
    public static let maxTensors = 4096

    public var round: UInt64
    public var sender: NodeID
    public var schemaHash: Digest32
    public var tensors: [FactorTensor]

    public init(round: UInt64, sender: NodeID, schemaHash: Digest32, tensors: [FactorTensor]) {
        self.round = round
        self.sender = sender
        self.schemaHash = schemaHash
        self.tensors = tensors
    }

    // Layout: round u64 | sender [32] | schema hash [32] | count u32 | tensors.
    func encode(into writer: inout ByteWriter) {
        writer.u64(round)
        writer.raw(sender.digest.bytes)
        writer.raw(schemaHash.bytes)
        writer.u32(UInt32(tensors.count))
        for tensor in tensors { tensor.encode(into: &writer) }
    }

    var encodedSize: Int { 8 + 32 + 32 + 4 + tensors.reduce(0) { $0 + $1.encodedSize } }

    func validateForEncoding() throws(FrameError) {
        if tensors.count > Self.maxTensors {
            throw .fieldTooLong(field: "tensors", length: tensors.count, limit: Self.maxTensors)
        }
        var names = Set<String>()
        for tensor in tensors where !names.insert(tensor.name).inserted {
            throw .duplicateTensor(name: tensor.name)
        }
    }

    static func decode(_ reader: inout ByteReader) throws(FrameError) -> Factors {
        let round = try reader.u64("round")
        let sender = NodeID(digest: try reader.digest("sender"))
        let schema = try reader.digest("schemaHash")
        let count = Int(try reader.u32("tensorCount"))
        if count > maxTensors { throw .fieldTooLong(field: "tensors", length: count, limit: maxTensors) }
        var tensors = [FactorTensor]()
        var names = Set<String>()
        for _ in 0..<count {
            let tensor = try FactorTensor.decode(&reader)
            if !names.insert(tensor.name).inserted { throw .duplicateTensor(name: tensor.name) }
            tensors.append(tensor)
        }
        try reader.expectEnd()
        return Factors(round: round, sender: sender, schemaHash: schema, tensors: tensors)
    }
}
