import Exchange
import LM
import Store
import SwarmBase
import Train

/// A simulated node's state database as the node runtime would have left it, so
/// `swarmtune status`, `inspect`, `merge` and `export` read an inproc node's state directory as
/// they read a real one: its identity, its configuration with the adapter layout, every round and
/// exchange the node logged, and the checkpoint of its last round when the run ends with the node
/// there (a node killed for good has its rounds and exchanges and no checkpoint: the inproc
/// backend keeps full checkpoints in memory only for nodes the scenario restarts).
public struct InprocNodeState {
    public var identity: StoreIdentity
    /// The meta configuration: scenario, backend, node index, averaging mode and the adapter layout.
    public var config: JSONValue
    public var rounds: [RoundRecord]
    public var exchanges: [ExchangeRecord]
    /// The last round's record and the trainer's adapter and optimizer state at its end.
    public var checkpoint: (record: RoundRecord, adapter: [Float], optimizer: [UInt8])?

    /// Node `node`'s state at the end of a run.
    init(node: InprocNode, setup: Setup, exchanged: ExchangedFactors, coreHash: Digest32) {
        identity = StoreIdentity(nodeID: node.id, swarmID: setup.scenario.name, coreHash: coreHash, schemaHash: exchanged.schemaHash)
        let layout = AdapterLayout(lora: setup.options.lora, model: setup.model.config, coreHash: coreHash, seed: setup.scenario.seed)
        config = layout.recorded(in: .object([
            "scenario": .string(setup.scenario.name), "backend": .string("inproc"), "node": .integer(node.index),
            "mode": .string(setup.scenario.gossip.mode.rawValue),
        ]))
        rounds = node.roundRecords
        exchanges = node.exchangeRecords
        if node.state == .finished, let last = node.roundRecords.max(by: { $0.round < $1.round }) {
            checkpoint = (last, node.trainer.lora.values.array, node.trainer.optimizerStateBytes())
        }
    }

    /// Writes the database into `directory` (created if missing), replacing one an earlier run
    /// of the same output directory left there: rounds and exchanges in one transaction, then
    /// the checkpoint.
    public func write(to directory: String) throws(InprocError) {
        let path = NodeStore.databasePath(in: directory)
        do {
            for stale in [path, path + "-wal", path + "-shm"] where FileIO.kind(of: stale) != .missing {
                try FileIO.remove(stale)
            }
        } catch {
            throw .output(path: path, reason: "cannot replace the database an earlier run left: \(error)")
        }
        do {
            let store = try NodeStore.open(directory: directory, identity: identity, config: config)
            try store.recordHistory(rounds: rounds, exchanges: exchanges)
            if let checkpoint {
                try store.saveCheckpoint(round: checkpoint.record, adapter: checkpoint.adapter, optimizer: checkpoint.optimizer, keepLast: 1)
            }
        } catch {
            throw .output(path: path, reason: error.description)
        }
    }
}
