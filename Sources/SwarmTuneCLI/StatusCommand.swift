import Foundation
import Store
import SwarmBase
import SwarmNode

/// `swarmtune status`: a training node's state, read from its database (also while it runs).
struct StatusCommand: Command {
    static let name = "status"
    static let summary = "show a training node's round, loss, neighbours and last exchanges"
    static let discussion = """
        Reads STATE/node.db read-only (safe next to the running node: SQLite's write-ahead log
        lets a reader see the last committed round): the node's identity, its last rounds (loss,
        neighbours mixed, bytes, consensus estimate, seconds), its latest checkpoint, and its
        last exchanges with each decision and its reason. --json prints the same as one object.
        """
    static let examples = ["status --state run/n1", "status --state run/n1 --json --rounds 20"]

    struct Options: Declarations {
        let state = Option.text("--state", "DIR", help: "the node's state directory", required: true)
        let rounds = Option.integer("--rounds", help: "how many of the last rounds to show", default: 5, range: 1...100_000)
        let exchanges = Option.integer("--exchanges", help: "how many of the last exchanges to show", default: 10,
                                   range: 0...100_000)
        let json = Flag("--json", help: "print one JSON object")
    }

    let stateDirectory: String
    let roundCount: Int
    let exchangeCount: Int
    let json: Bool

    init(_ d: Options, _ p: inout ParsedArguments) throws(CLIError) {
        stateDirectory = try p.value(d.state)
        roundCount = try p.value(d.rounds)
        exchangeCount = try p.value(d.exchanges)
        json = p.flag(d.json)
    }

    func run() throws(CLIError) {
        let status: NodeStatus
        do {
            status = try NodeStatus.read(stateDirectory: stateDirectory, rounds: roundCount, exchanges: exchangeCount)
        } catch {
            throw .failure(error.description)
        }
        Output.out(json ? try Output.json(status) : status.text)
    }
}

/// What `swarmtune status` shows, read from one node's store.
struct NodeStatus: Encodable, Equatable {
    struct Round: Encodable, Equatable {
        var round: Int64
        var loss: Double
        var neighboursMixed: Int
        var bytesSent: Int64
        var bytesReceived: Int64
        var consensusEstimate: Double?
        /// ‖mean(B_jA_j) − B'A'‖ / ‖mean(B_jA_j)‖ after the mix (nil without one).
        var productGap: Double?
        var seconds: Double
    }

    struct Exchange: Encodable, Equatable {
        var round: Int64
        var peer: String
        var direction: String
        var bytes: Int64
        var accepted: Bool
        var reason: String?
    }

    var node: String
    var swarm: String
    var coreHash: String
    var schemaHash: String
    var latestRound: Int64?
    var latestCheckpoint: Int64?
    var checkpoints: [Int64]
    /// Newest first.
    var rounds: [Round]
    /// Newest first.
    var exchanges: [Exchange]

    static func read(stateDirectory: String, rounds: Int, exchanges: Int) throws(StoreError) -> NodeStatus {
        let store = try NodeStore.openReadOnly(directory: stateDirectory)
        let identity = store.meta.identity
        let kept = try store.checkpointRounds()
        return NodeStatus(
            node: identity.nodeID.hex, swarm: identity.swarmID, coreHash: identity.coreHash.hex,
            schemaHash: identity.schemaHash.hex, latestRound: try store.latestRound(), latestCheckpoint: kept.max(),
            checkpoints: kept.sorted(),
            rounds: try store.rounds(last: rounds).sorted { $0.round > $1.round }.map {
                Round(round: $0.round, loss: $0.loss, neighboursMixed: $0.neighbours.count, bytesSent: $0.bytesSent,
                      bytesReceived: $0.bytesReceived, consensusEstimate: $0.consensusEstimate, productGap: $0.productGap,
                      seconds: $0.seconds)
            },
            exchanges: exchanges == 0 ? [] : try store.exchanges(last: exchanges).reversed().map {
                Exchange(round: $0.round, peer: $0.peer.hex, direction: $0.direction.rawValue, bytes: $0.bytes,
                         accepted: $0.accepted, reason: $0.reason)
            })
    }

    static func bytes(_ n: Int64) -> String { RoundLine.byteSize(Int(clamping: n)) }

    /// The human-readable form: a header, a table of rounds, a table of exchanges.
    var text: String {
        var lines = ["node \(node.prefix(12))  swarm \(swarm)  core \(coreHash.prefix(12))  schema \(schemaHash.prefix(12))"]
        if let latestRound {
            lines.append("round \(latestRound)  checkpoint \(latestCheckpoint.map(String.init) ?? "none")"
                         + "  kept \(checkpoints.map(String.init).joined(separator: ","))")
        } else {
            lines.append("no round completed yet")
        }
        if !rounds.isEmpty {
            lines.append("")
            lines += Output.table([["ROUND", "LOSS", "MIXED", "SENT", "RECEIVED", "CONSENSUS", "GAP", "SECONDS"]] + rounds.map {
                [String($0.round), String(format: "%.4f", $0.loss), String($0.neighboursMixed), Self.bytes($0.bytesSent),
                 Self.bytes($0.bytesReceived), $0.consensusEstimate.map(RoundLine.scientific) ?? "-",
                 $0.productGap.map(RoundLine.scientific) ?? "-", String(format: "%.1f", $0.seconds)]
            })
        }
        if !exchanges.isEmpty {
            lines.append("")
            lines += Output.table([["ROUND", "PEER", "DIRECTION", "BYTES", "DECISION"]] + exchanges.map {
                [String($0.round), String($0.peer.prefix(12)), $0.direction, Self.bytes($0.bytes),
                 ($0.accepted ? "accepted" : "refused") + ($0.reason.map { ": \($0)" } ?? "")]
            })
        }
        return lines.joined(separator: "\n")
    }
}
