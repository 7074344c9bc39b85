import Exchange
import Consensus
import Foundation
import Gossip
import LM
import SwarmBase
import SwarmNode
import Testing

/// Factors on the wire as bf16: rounding, size, and that a bf16 frame decodes and mixes on a node
/// that sends f32 (every node reads every dtype).
@Suite struct WireDTypeTests {
    /// A small adapter (2 layers, q and v, rank 2) with seeded values in every factor.
    static func adapter(seed: UInt64) -> LoRAParameters {
        let model = LlamaConfig(vocabSize: 16, dim: 16, hiddenDim: 32, layers: 2, heads: 2, kvHeads: 2)
        let p = LoRAParameters(config: LoRAConfig(rank: 2, alpha: 4, targets: [.q, .v]), model: model)
        var rng = SeededRandom(seed: seed)
        for k in 0..<p.count { p.values.pointer[k] = rng.nextSignedUnit() * 0.5 }
        return p
    }

    @Test("bf16 encoding rounds every value to within 2^-8 of it, relatively, and decodes exactly what was sent")
    func bf16RoundTripIsWithinHalfAnUlp() throws {
        var rng = SeededRandom(seed: 3)
        // Values over many binades, both signs, with exact bf16 values among them.
        let values = (0..<4096).map { k in rng.nextSignedUnit() * Float(pow(2.0, Double(k % 40 - 20))) } + [1, -2, 0.5, 0]
        let tensor = try FactorTensor(name: "t", shape: [values.count], floats: values, dtype: .bf16)
        let decoded = tensor.decodedFloats
        for (x, y) in zip(values, decoded) {
            #expect(abs(y - x) <= abs(x) * 0x1p-8, "\(x) came back as \(y)")
        }
        #expect(decoded.suffix(4) == [1, -2, 0.5, 0])
        // Decoding is exact: a second round trip changes nothing.
        #expect(try FactorTensor(name: "t", shape: [values.count], floats: decoded, dtype: .bf16).decodedFloats == decoded)
    }

    @Test("a bf16 factors frame carries half the element bytes of an f32 one")
    func bf16HalvesTheBytes() throws {
        let p = Self.adapter(seed: 1)
        let f32 = ExchangedFactors(layout: p, mode: .factors)
        let bf16 = ExchangedFactors(layout: p, mode: .factors, wireDType: .bf16)
        #expect(f32.schemaHash == bf16.schemaHash)
        let wide = try f32.message(round: 1, sender: NodeID(digest: .zero), degree: 2, parameters: p)
        let narrow = try bf16.message(round: 1, sender: NodeID(digest: .zero), degree: 2, parameters: p)
        let wideData = wide.tensors.reduce(0) { $0 + $1.data.count }
        let narrowData = narrow.tensors.reduce(0) { $0 + $1.data.count }
        #expect(wideData == 4 * f32.count && narrowData == 2 * f32.count)
        let wideFrame = try wide.encoded().count, narrowFrame = try narrow.encoded().count
        #expect(wideFrame - narrowFrame == wideData - narrowData, "only the element bytes differ")
    }

    @Test("a bf16 frame decodes on an f32 node and mixes as the rounded values would")
    func bf16FrameMixes() throws {
        let mine = Self.adapter(seed: 1), theirs = Self.adapter(seed: 2)
        let receiver = ExchangedFactors(layout: mine, mode: .factors)              // sends f32
        let sender = ExchangedFactors(layout: theirs, mode: .factors, wireDType: .bf16)
        let frame = try sender.message(round: 4, sender: NodeID(digest: .zero), degree: 2, parameters: theirs).encoded()
        let message = try FactorsMessage.decode(frame, sender: NodeID(digest: .zero))
        let received = try receiver.vector(of: message).get()
        let exact = sender.vector(of: theirs)
        let rounded = exact.map { BF16Reference.round($0) }
        #expect(received == rounded)
        let own = receiver.vector(of: mine)
        let (mixed, _) = receiver.mix(own: own, selfWeight: 0.5, neighbours: [(received, 0.5)], parameters: mine)
        for k in mixed.indices {
            let expected = Float(0.5 * Double(own[k]) + 0.5 * Double(rounded[k]))
            #expect(mixed[k] == expected)
            // And within bf16's rounding of the mix of the exact values.
            #expect(abs(Double(mixed[k]) - 0.5 * Double(own[k]) - 0.5 * Double(exact[k])) <= 0.5 * Double(abs(exact[k])) * 0x1p-8 + 1e-7)
        }
    }
}

/// bf16 rounding written independently of Quant.BF16: round the Float to 8 significant bits
/// (nearest, ties to even) through Double arithmetic.
enum BF16Reference {
    static func round(_ x: Float) -> Float {
        guard x != 0, x.isFinite else { return x }
        let e = Double(x).exponent                    // x = m·2^e, 1 ≤ |m| < 2
        let quantum = pow(2.0, Double(e - 7))         // 8 significant bits
        return Float((Double(x) / quantum).rounded(.toNearestOrEven) * quantum)
    }
}
