import SwarmBase
import Foundation
import Gossip
import Testing
@testable import Transport

/// Seeded mutation fuzzing of the streaming decoder: it must never crash, never hang, and every
/// frame it accepts must survive re-encoding unchanged.
@Suite("Frame decoder fuzzing")
struct FrameFuzzTests {
    /// 1,000,000 with SWARMTUNE_FUZZ_FULL=1 (run that in release), 5,000 by default (about 3 s in debug).
    static var iterations: Int {
        ProcessInfo.processInfo.environment["SWARMTUNE_FUZZ_FULL"] == "1" ? 1_000_000 : 5_000
    }

    static func corpus() throws -> [[UInt8]] {
        let node = NodeID(digest: Digest32(bytes: [UInt8](repeating: 9, count: 32))!)
        let small = try FactorTensor(name: "a", shape: [2, 3], floats: [1, 2, 3, 4, 5, 6])
        let half = try FactorTensor(name: "b", dtype: .f16, shape: [4], data: [0, 60, 0, 60, 0, 0, 0, 188])
        let frames: [Frame] = [
            .hello(Hello(nodeID: node, swarmID: "swarm", listenAddress: "127.0.0.1:7000", coreHash: .zero, schemaHash: .zero)),
            .reason(Reason(.coreHashMismatch, "core differs")),
            .payload(Payload(kind: .membership, sender: node, body: [1, 2, 3, 4, 5, 6, 7, 8])),
            .payload(Payload(kind: .factors, sender: node,
                             body: try FactorsMessage(round: 3, sender: node, schemaHash: .zero, tensors: [small, half]).encoded())),
            .bye,
        ]
        var corpus = try frames.map { try $0.encoded() }
        corpus.append(corpus.flatMap { $0 })  // a whole conversation in one stream
        return corpus
    }

    static func mutate(_ input: [UInt8], corpus: [[UInt8]], random: inout SeededRandom) -> [UInt8] {
        var bytes = input
        let rounds = Int.random(in: 1...4, using: &random)
        for _ in 0..<rounds {
            switch Int.random(in: 0..<9, using: &random) {
            case 0 where !bytes.isEmpty:  // flip a bit
                let i = Int.random(in: 0..<bytes.count, using: &random)
                bytes[i] ^= 1 << UInt8.random(in: 0..<8, using: &random)
            case 1 where !bytes.isEmpty:  // replace a byte with an interesting value
                let i = Int.random(in: 0..<bytes.count, using: &random)
                bytes[i] = [0, 1, 0x7F, 0x80, 0xFF, UInt8.random(in: 0...255, using: &random)][Int.random(in: 0..<6, using: &random)]
            case 2 where !bytes.isEmpty:  // truncate
                bytes.removeLast(Int.random(in: 1...bytes.count, using: &random))
            case 3:  // insert random bytes
                let i = Int.random(in: 0...bytes.count, using: &random)
                bytes.insert(contentsOf: (0..<Int.random(in: 1...16, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }, at: i)
            case 4 where bytes.count > 1:  // delete a range
                let i = Int.random(in: 0..<bytes.count, using: &random)
                bytes.removeSubrange(i..<min(bytes.count, i + Int.random(in: 1...8, using: &random)))
            case 5 where bytes.count >= 4:  // rewrite the length prefix
                let length = [0, 1, UInt32(bytes.count - 4), UInt32(bytes.count), UInt32.max, UInt32.random(in: 0...1 << 27, using: &random)][Int.random(in: 0..<6, using: &random)]
                for k in 0..<4 { bytes[k] = UInt8(truncatingIfNeeded: length >> UInt32(8 * k)) }
            case 6:  // splice with another corpus entry
                let other = corpus[Int.random(in: 0..<corpus.count, using: &random)]
                let cut = Int.random(in: 0...bytes.count, using: &random)
                let from = Int.random(in: 0...other.count, using: &random)
                bytes = Array(bytes[..<cut]) + other[from...]
            case 7 where bytes.count > 8:  // duplicate a chunk (repeated tensors, repeated fields)
                let i = Int.random(in: 0..<(bytes.count - 4), using: &random)
                let chunk = bytes[i..<min(bytes.count, i + Int.random(in: 1...64, using: &random))]
                bytes.insert(contentsOf: chunk, at: Int.random(in: 0...bytes.count, using: &random))
            default:  // pure random input
                bytes = (0..<Int.random(in: 0...64, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            }
        }
        return bytes
    }

    /// Feeds `input` in random chunks; returns how many frames decoded. Checks the round-trip property.
    static func run(_ input: [UInt8], random: inout SeededRandom) -> (frames: Int, failed: Bool) {
        var decoder = FrameDecoder(maxFrameLength: 1 << 20)
        var offset = 0
        var count = 0
        while offset < input.count {
            let end = min(input.count, offset + Int.random(in: 1...64, using: &random))
            decoder.feed(input[offset..<end])
            offset = end
            while true {
                do {
                    guard let frame = try decoder.nextFrame() else { break }
                    count += 1
                    // Whatever the decoder accepts must be canonical: re-encoding gives a frame that decodes equal.
                    var again = FrameDecoder(maxFrameLength: 1 << 20)
                    guard let encoded = try? frame.encoded() else {
                        Issue.record("decoded frame \(frame.kind) does not re-encode")
                        return (count, true)
                    }
                    again.feed(encoded)
                    if (try? again.nextFrame()) != frame { Issue.record("frame \(frame.kind) changed on re-encoding") }
                } catch {
                    return (count, true)
                }
            }
        }
        return (count, false)
    }

    @Test("the decoder survives seeded mutations of valid frames")
    func fuzz() throws {
        let corpus = try Self.corpus()
        var random = SeededRandom(seed: 0x5EED)
        var decodedFrames = 0
        var failures = 0
        for i in 0..<Self.iterations {
            let base = corpus[i % corpus.count]
            let input = Self.mutate(base, corpus: corpus, random: &random)
            let result = Self.run(input, random: &random)
            decodedFrames += result.frames
            failures += result.failed ? 1 : 0
        }
        print("fuzzed \(Self.iterations) inputs: \(decodedFrames) frames decoded, \(failures) inputs rejected")
        // The mutator must exercise both paths, or the fuzzer is not testing anything.
        #expect(decodedFrames > Self.iterations / 20)
        #expect(failures > Self.iterations / 10)
    }
}
