import Gossip
import Store
import SwarmNode
import Testing

/// The product gap each averaging mode reports, on real runtimes over TLS (the harness of
/// `NodeRuntimeTests`). Three nodes on a ring are each other's only neighbours, so with every
/// frame in, every node mixes the same three adapters with the same weights (1/3 each).
@Suite("Averaging modes over TLS", .serialized)
struct AveragingModeRuntimeTests {
    typealias Runtime = NodeRuntimeTests

    /// Runs 3 nodes for `rounds` rounds (learning rate 0, different initial adapters) and returns
    /// each node's round lines, after checking every round mixed both neighbours.
    static func run(mode: AveragingMode, rounds: Int) throws -> [[RoundLine]] {
        try run(mode: mode, rounds: rounds, in: Runtime.Harness()).lines
    }

    /// `run` in a given harness (whose stores the caller may read), also giving the number of
    /// exchanged values per frame and letting `adjust` change a node's configuration.
    static func run(mode: AveragingMode, rounds: Int, in h: Runtime.Harness,
                    adjust: (Int, inout NodeConfiguration) -> Void = { _, _ in }) throws -> (lines: [[RoundLine]], values: Int) {
        let runtimes = try Runtime.startRing(h, count: 3, rounds: rounds, lr: 0, testInit: true, mode: mode, adjust: adjust)
        let values = runtimes[0].exchanged.count
        for outcome in Runtime.runAll(runtimes) { #expect(try outcome.get().roundsCompleted == rounds) }
        let lines = h.lines.withLock { $0 }
        for i in 0..<3 {
            let ok = (lines[i] ?? []).count == rounds && (lines[i] ?? []).allSatisfy { $0.mixed == 2 }
            if !ok { try Runtime.explain(h, node: i) }
            #expect(ok)
        }
        return ((0..<3).map { lines[$0] ?? [] }, values)
    }

    @Test("product: 3 nodes complete rounds; the gap is the truncation's, below 1, then 0 once their products agree, as is their distance")
    func productModeReportsABoundedGap() throws {
        let h = try Runtime.Harness()
        let lines = try Self.run(mode: .product, rounds: 3, in: h).lines
        for (i, node) in lines.enumerated() {
            // Each round's gap is also in the node's store.
            let stored = try NodeStore.openReadOnly(directory: h.directory.file("node\(i)")).rounds(last: 10)
            #expect(stored.map(\.productGap) == node.map(\.productGap), "node \(i): stored gaps")
            guard node.count == 3, let first = node[0].productGap else {
                Issue.record("node \(i): no product gap in \(node.map(\.text))")
                continue
            }
            // Three random rank-2 products sum to rank 6: truncating to 2 drops a real part, never all of it.
            #expect(first > 1e-3 && first < 1, "node \(i) round 1 gap \(first)")
            // After round 1 every node holds the rank-2 truncation of one mean: the next means are rank 2.
            for line in node.dropFirst() {
                #expect((line.productGap ?? 1) < 1e-5, "node \(i) round \(line.round) gap \(line.productGap ?? -1)")
                // The consensus estimate measures the updates B·A: they agree now, whatever each
                // node's basis (its factors differ).
                let spread = (line.consensusEstimate ?? 1) / (node[0].consensusEstimate ?? 0)
                #expect(spread < 1e-10, "node \(i) round \(line.round) consensus \(line.consensusEstimate ?? -1) after \(node[0].consensusEstimate ?? -1)")
            }
            #expect(node[0].text.contains("gap "))
        }
    }

    @Test("factors: averaging A and B separately reports a product gap above 0")
    func factorsModeReportsItsCrossTerms() throws {
        let lines = try Self.run(mode: .factors, rounds: 1)
        for (i, node) in lines.enumerated() {
            let gap = node.first?.productGap ?? 0
            #expect(gap > 1e-3 && gap < 1, "node \(i) gap \(gap)")
        }
    }

    @Test("a node sending bf16 mixes with nodes sending f32: every frame is accepted and its bytes halve")
    func mixedWireDTypesMix() throws {
        let h = try Runtime.Harness()
        let (lines, values) = try Self.run(mode: .factors, rounds: 2, in: h) { i, c in if i == 0 { c.wireDType = .bf16 } }
        guard lines.allSatisfy({ $0.count == 2 }) else { return }
        for node in lines { #expect(node.allSatisfy { $0.refused == 0 }) }
        // Node 0's frames are bf16, node 1's f32: they differ by exactly 2 bytes per value (headers,
        // names and shapes are the same whatever the dtype).
        func frameBytes(_ node: Int) throws -> Set<Int64> {
            let store = try NodeStore.openReadOnly(directory: h.directory.file("node\(node)"))
            return Set(try store.exchanges(last: 100).filter { $0.direction == .sent && $0.accepted }.map(\.bytes))
        }
        let bf16 = try frameBytes(0), f32 = try frameBytes(1)
        #expect(bf16.count == 1 && f32.count == 1, "frame sizes \(bf16), \(f32)")
        if let narrow = bf16.first, let wide = f32.first { #expect(wide - narrow == Int64(2 * values)) }
        // Each node's round 2 consensus estimate is below its round 1: the mix contracts.
        for node in lines { #expect((node[1].consensusEstimate ?? 1) < (node[0].consensusEstimate ?? 0)) }
    }
}
