import Gossip
import Hashing
import LM
import SwarmBase

/// Which parts of a node's adapter travel in a gossip round, how they are named on the wire, and
/// the adapter schema hash every peer must share.
///
/// `factors` (Dec-LoRA) exchanges A and Bᵀ of every (layer, target) slot, and DoRA magnitudes when
/// present; `frozen-a` exchanges only Bᵀ (A stays as the swarm seed made it, so averaging is exact
/// and the bytes halve); `product` exchanges what `factors` does (the receiver forms the products).
/// Values travel as `wireDType` (f32 by default, bf16 halves the bytes), one tensor per factor, in
/// slot order: `layers.<l>.<target>.A` [rank, in], `layers.<l>.<target>.Bt` [rank, out],
/// `layers.<l>.<target>.m` [out]. A received frame of any dtype (f32, bf16, f16) is decoded: the
/// dtype is not part of the schema, so nodes sending different dtypes still mix.
public struct ExchangedFactors: Sendable {
    /// One exchanged tensor: its wire name, shape and place in `LoRAParameters.values`.
    public struct Part: Sendable, Equatable {
        public let name: String
        public let shape: [Int]
        public let offset: Int
        public var count: Int { shape.reduce(1, *) }
    }

    /// Where one (layer, target) slot's factors sit in an exchanged vector: A (nil in `frozen-a`,
    /// where A stays in the parameters), Bᵀ and the DoRA magnitudes (when present and exchanged).
    public struct SlotRanges: Sendable, Equatable {
        public let slot: LoRAParameters.Slot
        public let a: Range<Int>?
        public let bt: Range<Int>
        public let magnitude: Range<Int>?
    }

    public let mode: AveragingMode
    /// The element type this node sends.
    public let wireDType: TensorDType
    public let parts: [Part]
    /// Every slot's ranges in an exchanged vector, in slot order.
    public let slots: [SlotRanges]
    /// The rank every slot has (the adapter's).
    public let rank: Int
    /// Number of exchanged values (the length of `vector(of:)`).
    public let count: Int
    /// SHA-256 over rank, alpha, rsLoRA, DoRA, the averaging mode and every part's name and shape:
    /// nodes refuse peers (hello) and factors (frames) of another schema.
    public let schemaHash: Digest32

    public init(layout parameters: LoRAParameters, mode: AveragingMode, wireDType: TensorDType = .f32) {
        self.mode = mode
        self.wireDType = wireDType
        var parts: [Part] = []
        var slots: [SlotRanges] = []
        let rank = parameters.config.rank
        var at = 0
        func add(_ part: Part) -> Range<Int> {
            parts.append(part)
            defer { at += part.count }
            return at..<(at + part.count)
        }
        for s in parameters.slots {
            let base = "layers.\(s.layer).\(s.target.rawValue)"
            let a = mode == .frozenA ? nil : add(Part(name: base + ".A", shape: [rank, s.inputs], offset: s.aOffset))
            let bt = add(Part(name: base + ".Bt", shape: [rank, s.outputs], offset: s.btOffset))
            let m = s.magnitudeOffset.flatMap { m in mode == .frozenA ? nil : add(Part(name: base + ".m", shape: [s.outputs], offset: m)) }
            slots.append(SlotRanges(slot: s, a: a, bt: bt, magnitude: m))
        }
        self.parts = parts
        self.slots = slots
        self.rank = rank
        count = at
        var text = "swarmtune-adapter-schema-v1 rank=\(rank) alpha=\(parameters.config.alpha) rslora=\(parameters.config.rsLoRA) "
            + "dora=\(parameters.config.dora) mode=\(mode.rawValue)"
        for p in parts { text += " \(p.name)\(p.shape)" }
        schemaHash = SHA256.hash(Array(text.utf8))
    }

    /// The ranges of `LoRAParameters.values` no node trains: every A in `frozen-a` mode (it stays as
    /// the swarm seed drew it), none otherwise. For `Trainer.frozenRanges`.
    public var frozenRanges: [Range<Int>] {
        slots.compactMap { $0.a == nil ? $0.slot.aOffset..<($0.slot.aOffset + rank * $0.slot.inputs) : nil }
    }

    /// The exchanged values of `parameters`, concatenated in part order.
    public func vector(of parameters: LoRAParameters) -> [Float] {
        var out = [Float]()
        out.reserveCapacity(count)
        for p in parts {
            out.append(contentsOf: UnsafeBufferPointer(start: parameters.values.pointer + p.offset, count: p.count))
        }
        return out
    }

    /// Writes an exchanged vector back into `parameters` (the rest is left as it is).
    public func write(_ vector: [Float], into parameters: LoRAParameters) {
        precondition(vector.count == count, "an exchanged vector of this schema")
        var at = 0
        vector.withUnsafeBufferPointer { v in
            for p in parts {
                (parameters.values.pointer + p.offset).update(from: v.baseAddress! + at, count: p.count)
                at += p.count
            }
        }
    }

    /// The message this node sends for `round`.
    public func message(round: UInt64, sender: NodeID, degree: Int, parameters: LoRAParameters) throws(FactorsError) -> FactorsMessage {
        var tensors: [FactorTensor] = []
        tensors.reserveCapacity(parts.count)
        for p in parts {
            let values = Array(UnsafeBufferPointer(start: parameters.values.pointer + p.offset, count: p.count))
            tensors.append(try FactorTensor(name: p.name, shape: p.shape, floats: values, dtype: wireDType))
        }
        return FactorsMessage(round: round, sender: sender, schemaHash: schemaHash, degree: degree, tensors: tensors)
    }

    /// A received message's values in part order, or why they cannot be used: another schema,
    /// missing, extra or misnamed tensors, wrong shapes. Every dtype is widened to Float.
    public func vector(of message: FactorsMessage) -> Result<[Float], ExchangeRefusal> {
        guard message.schemaHash == schemaHash else { return .failure(.schema(message.schemaHash)) }
        guard message.tensors.count == parts.count else {
            return .failure(.tensors("\(message.tensors.count) tensors, the schema has \(parts.count)"))
        }
        var out = [Float]()
        out.reserveCapacity(count)
        for (p, t) in zip(parts, message.tensors) {
            guard t.name == p.name else { return .failure(.tensors("tensor '\(t.name)' where '\(p.name)' belongs")) }
            guard t.shape == p.shape else { return .failure(.tensors("\(p.name) has shape \(t.shape), the schema says \(p.shape)")) }
            out.append(contentsOf: t.decodedFloats)
        }
        return .success(out)
    }
}

/// Why a received factors frame is not mixed (before the numeric checks of `FactorAcceptance`).
public enum ExchangeRefusal: Error, Equatable, Sendable, CustomStringConvertible {
    case undecodable(String)
    case schema(Digest32)
    case tensors(String)
    case values(String)

    public var description: String {
        switch self {
        case .undecodable(let detail): return "undecodable: \(detail)"
        case .schema(let hash): return "adapter schema \(hash.hex.prefix(12)) is not this swarm's"
        case .tensors(let detail): return "wrong tensors: \(detail)"
        case .values(let detail): return "refused values: \(detail)"
        }
    }
}
