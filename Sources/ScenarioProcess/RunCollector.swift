import Exchange
import LM
import Scenario
import ScenarioRun
import Store
import SwarmBase

/// Reads a finished process run back from the nodes' state databases: each round's figures per
/// node (rounds and exchanges tables) and every round's checkpoint, folded into the same
/// `RoundLedger` the inproc backend fills as its virtual nodes complete rounds, so both backends
/// compute the consensus distance and the consensus adapter with the same arithmetic.
struct RunCollector {
    let setup: Setup
    let exchanged: ExchangedFactors
    let workspace: SwarmWorkspace
    /// Node index of each node id (ids sort as indices; see `SwarmWorkspace`).
    let index: [NodeID: Int]

    init(setup: Setup, exchanged: ExchangedFactors, workspace: SwarmWorkspace) {
        self.setup = setup
        self.exchanged = exchanged
        self.workspace = workspace
        var index: [NodeID: Int] = [:]
        for (i, id) in workspace.nodeIDs.enumerated() { index[id] = i }
        self.index = index
    }

    /// One node's store, read whole but for its checkpoints.
    struct NodeRecords {
        let store: NodeStore
        let rounds: [Int: RoundRecord]
        let exchanges: [ExchangeRecord]
        let checkpoints: Set<Int>
    }

    func open(_ i: Int) throws(ProcessRunError) -> NodeRecords {
        let directory = workspace.stateDirectory(i)
        do {
            let store = try NodeStore.openReadOnly(directory: directory)
            var rounds: [Int: RoundRecord] = [:]
            for r in try store.rounds(last: Int(Int32.max)) { rounds[Int(r.round)] = r }
            return NodeRecords(store: store, rounds: rounds, exchanges: try store.exchanges(last: Int(Int32.max)),
                               checkpoints: Set(try store.checkpointRounds().map(Int.init)))
        } catch {
            throw .store(node: i, path: directory, reason: error.description)
        }
    }

    /// Node `i`'s adapter at the checkpoint of `round`.
    func parameters(_ records: NodeRecords, node i: Int, round: Int) throws(ProcessRunError) -> LoRAParameters {
        let checkpoint: Checkpoint?
        do { checkpoint = try records.store.checkpoint(round: Int64(round)) } catch {
            throw .store(node: i, path: records.store.path, reason: error.description)
        }
        guard let checkpoint else {
            throw .store(node: i, path: records.store.path, reason: "no checkpoint of round \(round)")
        }
        let p = setup.initial.copy()
        guard checkpoint.adapter.count == p.count else {
            throw .store(node: i, path: records.store.path,
                         reason: "the checkpoint of round \(round) holds \(checkpoint.adapter.count) values; the scenario's adapter has \(p.count)")
        }
        checkpoint.adapter.withUnsafeBufferPointer { p.values.pointer.update(from: $0.baseAddress!, count: $0.count) }
        return p
    }

    /// Node `i`'s figures for `round` as the summary holds them, with the inproc backend's meaning:
    /// neighbours is the round's locked set (every peer the node sent its round's factors to, or
    /// tried to), mixed the peers whose factors it mixed (its checkpoint's record), refused the
    /// frames whose content it refused (not those merely not mixed: late, stale, duplicate).
    func figures(_ records: NodeRecords, node i: Int, round: Int) -> RunSummary.NodeRound? {
        guard let r = records.rounds[round] else { return nil }
        let exchanges = records.exchanges.filter { $0.round == Int64(round) }
        let mixed = r.neighbours.count
        let locked = Set(exchanges.filter { $0.direction == .sent }.map(\.peer)).union(r.neighbours).count
        let refused = exchanges.filter { $0.direction == .received && !$0.accepted && !($0.reason ?? "").hasPrefix("not mixed:") }.count
        return RunSummary.NodeRound(node: i, loss: r.loss.isFinite ? r.loss : nil, mixed: mixed, neighbours: locked,
                                    late: max(0, locked - mixed - refused), refused: refused,
                                    bytesSent: Int(r.bytesSent), bytesReceived: Int(r.bytesReceived))
    }

    /// Each node's neighbours by index over the whole run (every round's recorded neighbours).
    func edges(_ records: [Int: NodeRecords]) -> [[Int]] {
        (0..<workspace.nodeIDs.count).map { i in
            guard let r = records[i] else { return [] }
            return Set(r.rounds.values.flatMap { $0.neighbours.compactMap { index[$0] } }).sorted()
        }
    }
}
