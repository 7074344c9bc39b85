import Foundation
import Scenario
import SwarmBase

/// A realistic synthetic run summary (8 nodes, ring, 30 rounds, a kill and restart, a partition
/// and heal, a hostile node, eval every 5 rounds): what the report tests render and what
/// `REPORT_SAMPLE=path swift test --filter ReportSample` writes for a look in a browser.
enum SyntheticRun {
    static let domains = ["dates", "units", "sort", "extract"]

    static func summary(nodes: Int = 8, rounds: Int = 30, seed: UInt64 = 7) -> RunSummary {
        var rng = SeededRandom(seed: seed)
        func noise(_ scale: Double) -> Double { (rng.nextDouble() - 0.5) * 2 * scale }
        var s = RunSummary(scenario: "partition-heal-8", comment: "Eight nodes on a ring lose a node, split in two and heal.",
                           backend: "inproc", seed: seed, core: "models/SmolLM2-135M-Instruct.Q4_1.gguf",
                           coreHash: "9f2c4e0d8b7a6c5e4f3a2b1c0d9e8f7a", nodes: nodes, topology: "ring", mode: "factors",
                           localSteps: 8, domains: domains,
                           nodeData: (0..<nodes).map { n in
                               RunSummary.NodeData(node: n, examples: 80, domains: Dictionary(uniqueKeysWithValues: domains.enumerated().map {
                                   ($0.element, $0.offset == n % 4 ? 68 : 4)
                               }))
                           },
                           testSet: Dictionary(uniqueKeysWithValues: domains.map { ($0, 40) }))
        let killed = 3, killRound = 8, restartRound = 14, partitionRound = 18, healRound = 23, hostile = 6
        s.timeline = [
            .init(round: killRound, seconds: 41.5, kind: "kill", node: killed, detail: "node 3 killed (SIGKILL)"),
            .init(round: killRound + 1, seconds: 46, kind: "suspect", node: killed, seenBy: 2, detail: "node 2 suspects node 3"),
            .init(round: killRound + 1, seconds: 46.2, kind: "suspect", node: killed, seenBy: 4, detail: "node 4 suspects node 3"),
            .init(round: killRound + 2, seconds: 52, kind: "dead", node: killed, seenBy: 2, detail: "node 2 declares node 3 dead"),
            .init(round: restartRound, seconds: 75, kind: "restart", node: killed, detail: "node 3 restarts from its checkpoint"),
            .init(round: restartRound, seconds: 76, kind: "alive", node: killed, seenBy: 4, detail: "node 4 sees node 3 alive"),
            .init(round: partitionRound, seconds: 96, kind: "partition", detail: "partition into {0,1,2,3} {4,5,6,7}"),
            .init(round: healRound, seconds: 121, kind: "heal", detail: "the partition heals"),
            .init(round: 26, seconds: 137, kind: "hostile", node: hostile, detail: "node 6 sends scaled factors (x100)"),
        ]
        var distance = 0.08
        for r in 1...rounds {
            var nodeRounds: [RunSummary.NodeRound] = []
            for n in 0..<nodes where !(n == killed && (killRound..<restartRound).contains(r)) {
                let loss = 2.6 * exp(-Double(r) / 9) + 0.35 + 0.04 * Double(n % 4) + noise(0.05)
                nodeRounds.append(.init(node: n, loss: loss, mixed: 2, neighbours: 2, late: r == killRound ? 1 : 0,
                                        refused: n == 5 && r >= 26 ? 1 : 0, bytesSent: 2 * 1_179_648, bytesReceived: 2 * 1_179_648))
            }
            if (partitionRound..<healRound).contains(r) { distance *= 1.6 } else { distance *= 0.62 }
            let evalDue = r % 5 == 0
            let em = min(0.7, 0.2 + Double(r) * 0.017)
            s.rounds.append(.init(round: r, consensusDistance: distance * (1 + noise(0.05)), productGap: distance * 0.31,
                                  bytes: nodeRounds.count * 2 * 1_179_648, nodes: nodeRounds,
                                  eval: evalDue ? .init(consensus: em, consensusByDomain: Dictionary(uniqueKeysWithValues: domains.map { ($0, em + noise(0.05)) }),
                                                        byNode: Dictionary(uniqueKeysWithValues: (0..<nodes).map { ($0, em * 0.62 + noise(0.03)) })) : nil))
        }
        var f = RunSummary.Final()
        f.core = 0.025
        f.consensus = 0.625
        f.consensusByDomain = ["dates": 0.7, "units": 0.575, "sort": 0.65, "extract": 0.575]
        f.localOnly = Dictionary(uniqueKeysWithValues: (0..<nodes).map { ($0, 0.3 + 0.025 * Double($0 % 4)) })
        f.localOnlyMean = 0.3375
        f.localOnlyByDomain = ["dates": 0.4, "units": 0.325, "sort": 0.35, "extract": 0.275]
        f.centralized = 0.675
        f.centralizedByDomain = ["dates": 0.75, "units": 0.6, "sort": 0.725, "extract": 0.625]
        f.consensusDistance = s.rounds.last?.consensusDistance
        s.final = f
        return s
    }

    static let timing = RunTiming(seconds: 312.4, secondsPerRound: (0..<30).map { 9.5 + Double($0 % 7) * 0.4 }, peakRSSBytes: 612 * 1_048_576,
                                  cpu: "Intel Xeon (2 cores, AVX-512)", threads: 2)
}
