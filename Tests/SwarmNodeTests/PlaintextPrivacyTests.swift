import Foundation
import Gossip
import Membership
import SwarmBase
import SwarmNode
import Synchronization
import TestSupport
import Testing
import TrainData
import Transport

/// Every plaintext byte the nodes' transports hand to TLS during a training run on private
/// records (`NodeConfiguration.plaintextTap`), searched for the training data.
@Suite("Privacy: what a node hands to TLS", .serialized)
struct PlaintextPrivacyTests {
    typealias Harness = NodeRuntimeTests.Harness

    /// A node's private records: distinctive text no protocol field would contain by chance.
    static func privateRecords(node: Int) -> [TrainingRecord] {
        (0..<6).map { k in
            .instruction(instruction: "Patient \(node)\(k) Ingrid Oyelaran, born 1961-04-1\(k), card 5521-88\(node)\(k)",
                         input: "", output: "Withheld: callback code QX-77\(node)\(k) for Oyelaran \(node)\(k)")
        }
    }

    static func lines(_ records: [TrainingRecord]) -> [String] {
        records.flatMap { record -> [String] in
            guard case let .instruction(instruction, _, output) = record else { return [] }
            return [instruction, output]
        }
    }

    /// Every tapped write of one node.
    final class Capture: @unchecked Sendable {
        let writes = Mutex<[PlaintextWrite]>([])
        /// Each connection's plaintext stream, in order.
        var streams: [UInt64: [UInt8]] {
            writes.withLock { writes in
                writes.reduce(into: [:]) { $0[$1.connection, default: []].append(contentsOf: $1.bytes) }
            }
        }
    }

    @Test("no training text line and no run of 8 token ids is in any plaintext a node hands to TLS; every frame is hello, bye, reason, membership or factors")
    func nothingPrivateReachesTLS() throws {
        let h = try Harness()
        let count = 3, rounds = 3
        let records = (0..<count).map { Self.privateRecords(node: $0) }
        let examples = records.map { $0.map { h.core.chatTemplate!.example($0, tokenizer: h.core.tokenizer) } }
        let captures = (0..<count).map { _ in Capture() }
        let port = try freeLoopbackPort()
        var runtimes: [NodeRuntime] = []
        for i in 0..<count {
            var c = h.configuration(i, rounds: rounds, lr: 5e-2, seeds: i == 0 ? [] : [try PeerAddress(parsing: "127.0.0.1:\(port)")],
                                    members: count - 1, testInit: false)
            if i == 0 { c.listen = "127.0.0.1:\(port)" }
            let capture = captures[i]
            c.plaintextTap = { write in capture.writes.withLock { $0.append(write) } }
            runtimes.append(try h.runtime(i, c, examples: examples[i]))
        }
        for outcome in NodeRuntimeTests.runAll(runtimes) { #expect(try outcome.get().roundsCompleted == rounds) }

        let scanner = LeakScanner(lines: records.flatMap(Self.lines), tokenRuns: examples.joined().map(\.ids))
        for i in 0..<count {
            let streams = captures[i].streams
            let total = streams.values.reduce(0) { $0 + $1.count }
            var kinds: [String: Int] = [:]
            var factorsFrames = 0
            for (connection, stream) in streams.sorted(by: { $0.key < $1.key }) {
                let frames = TappedFrames(stream)
                for kind in frames.kinds { kinds[kind, default: 0] += 1 }
                factorsFrames += frames.factorsBodies.count
                let foreign = frames.kinds.filter { !TappedFrames.allowed.contains($0) }
                #expect(foreign.isEmpty, "node \(i) connection \(connection) sent frames \(foreign)")
                let leak = scanner.scan(stream)
                #expect(leak == nil, "node \(i) connection \(connection): \(leak.map(String.init(describing:)) ?? "")")
                // The factors frames are what the receiver decodes: the tap sees the real payloads.
                for body in frames.factorsBodies { #expect(throws: Never.self) { _ = try FactorsMessage.decode(body, sender: runtimes[i].nodeID) } }
            }
            print("node \(i): \(total) plaintext bytes on \(streams.count) connections, frames \(kinds.sorted { $0.key < $1.key })")
            // The check is not vacuous: each round's factors went to both neighbours through the tap.
            #expect(factorsFrames >= rounds * 2, "node \(i) tapped \(factorsFrames) factors frames")
        }
        print("encodings searched: \(scanner.encodingsTried.map(\.rawValue))")
    }

    @Test("the scanner finds a planted run of 8 token ids in every encoding and a planted text line, and not a run of 7")
    func scannerFindsPlantedData() throws {
        let h = try Harness()
        let records = Self.privateRecords(node: 0)
        let ids = records.map { h.core.chatTemplate!.example($0, tokenizer: h.core.tokenizer).ids }
        let scanner = LeakScanner(lines: Self.lines(records), tokenRuns: ids)
        var rng = SeededRandom(seed: 7)
        let noise = (0..<20_000).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        #expect(scanner.scan(noise) == nil)
        #expect(scanner.encodingsTried.count == LeakScanner.Encoding.allCases.count)
        let run = Array(ids[2][10..<18])
        for encoding in scanner.encodingsTried {
            var planted = noise
            planted.replaceSubrange(1001..<1001, with: run.flatMap(encoding.bytes))
            let finding = scanner.scan(planted)
            #expect(finding == LeakScanner.Finding(what: "8 token ids as \(encoding.rawValue)", offset: 1001), "\(encoding)")
            var short = noise
            short.replaceSubrange(1001..<1001, with: run.prefix(7).flatMap(encoding.bytes))
            #expect(scanner.scan(short) == nil, "7 ids as \(encoding) are below the threshold")
        }
        var text = noise
        let line = Self.lines(records)[3]
        text.replaceSubrange(333..<333, with: Array(line.utf8))
        #expect(scanner.scan(text)?.offset == 333)
    }

    @Test("the frame reader names every frame of a stream and flags a payload kind a node must not send")
    func frameReaderFlagsForeignKinds() throws {
        let me = try #require(NodeID(hex: String(repeating: "cd", count: 32)))
        var stream: [UInt8] = []
        stream += try Frame.payload(Payload(kind: .membership, sender: me, body: [1, 2, 3])).encoded()
        stream += try Frame.payload(Payload(kind: .factors, sender: me, body: [9, 9])).encoded()
        stream += try Frame.payload(Payload(kind: .benchmark, sender: me, body: Array(repeating: 0, count: 100))).encoded()
        stream += try Frame.bye.encoded()
        let frames = TappedFrames(stream)
        #expect(frames.kinds == ["membership", "factors", "benchmark", "bye"])
        #expect(frames.factorsBodies == [[9, 9]])
        #expect(!frames.truncated)
        #expect(frames.kinds.filter { !TappedFrames.allowed.contains($0) } == ["benchmark"])
        #expect(TappedFrames(Array(stream.dropLast(3))).truncated)
    }
}
