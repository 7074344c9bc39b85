import Gossip
import LM
import Scenario
import Store
import SwarmBase
import Tensor
import Train
import TrainData

/// One simulated node: its trainer (own LoRA, optimizer and data order) on the shared core, its
/// round machine while it runs, and the in-memory checkpoint a restart resumes from.
final class InprocNode {
    enum State: Equatable {
        /// A node a later `join` event adds.
        case notStarted
        case running
        /// Killed: handles nothing until a restart.
        case dead
        /// Completed the scenario's rounds.
        case finished
    }

    /// What a restart resumes from: the state persisted at the end of the last completed round.
    struct Checkpoint {
        var round: UInt64
        var values: [Float]
        var m: [Float]
        var v: [Float]
        var optimizerStep: Int
        var trainerStep: Int
    }

    let index: Int
    let id: NodeID
    let trainer: Trainer
    let data: [TokenizedExample]
    var state: State
    var machine: GossipRound?
    /// Bumped by every kill and restart: events scheduled for an earlier life are ignored.
    var generation = 0
    /// While paused (a straggler), every event for the node waits until this virtual time.
    var pausedUntil: UInt64?
    var hostile: ScenarioEvent.HostileBehaviour?
    var checkpoint: Checkpoint
    /// The indices in this node's membership view (itself included).
    var view: [Int] = []
    /// Kept payloads: round → sender → values.
    var kept: [UInt64: [NodeID: [Float]]] = [:]
    /// The last frame this node sent (for a `replay` hostile node).
    var lastSent: (round: UInt64, values: [Float], degree: Int)?
    // The open round's figures.
    var roundLoss: Double?
    /// The open round's mix's relative product gap (nil: no neighbour mixed).
    var productGap: Double?
    var bytesSent = 0
    var bytesReceived = 0
    /// The open round's mean squared distance to the neighbours mixed with (the node runtime's
    /// estimate), and who they were.
    var consensusEstimate: Double?
    var mixedWith: [NodeID] = []
    /// Virtual time the open round's local steps began.
    var roundStartedAt: UInt64 = 0
    /// What the node's state database records, as the node runtime logs it: every completed
    /// round, every frame sent and received (accepted, or refused with the reason).
    var roundRecords: [RoundRecord] = []
    var exchangeRecords: [ExchangeRecord] = []

    /// Whether the scenario restarts this node, so it keeps a full checkpoint (adapter and
    /// optimizer state) every round; any other node records only the round (a 64-node run holds
    /// no 64 copies it never reads).
    let restartable: Bool
    /// Whether the scenario turns this node into a replaying hostile node, so it keeps its last frame.
    let replays: Bool

    init(index: Int, id: NodeID, trainer: Trainer, data: [TokenizedExample], state: State, scenario: Scenario) {
        self.index = index
        self.id = id
        self.trainer = trainer
        self.data = data
        self.state = state
        restartable = scenario.events.contains { if case .restart(index) = $0.kind { true } else { false } }
        replays = scenario.events.contains { if case .hostile(index, .replay) = $0.kind { true } else { false } }
        checkpoint = Checkpoint(round: 0, values: [], m: [], v: [], optimizerStep: 0, trainerStep: 0)
        persist(round: 0)
    }

    /// The checkpoint at the end of `round`: the trainer's whole state when the node may restart.
    func persist(round: UInt64) {
        checkpoint = restartable ? Self.capture(trainer, round: round)
            : Checkpoint(round: round, values: [], m: [], v: [], optimizerStep: 0, trainerStep: 0)
    }

    var isRunning: Bool { state == .running }

    /// The trainer's state now, as the checkpoint of `round`.
    static func capture(_ t: Trainer, round: UInt64) -> Checkpoint {
        Checkpoint(round: round, values: t.lora.values.array, m: t.optimizer.m.array, v: t.optimizer.v.array,
                   optimizerStep: t.optimizer.step, trainerStep: t.step)
    }

    /// Puts the trainer back to the checkpoint (a restart after a kill).
    func restoreCheckpoint() {
        let c = checkpoint
        precondition(restartable, "node \(index) restarts but kept no checkpoint: InprocNode.restartable missed its restart event")
        c.values.withUnsafeBufferPointer { trainer.lora.values.pointer.update(from: $0.baseAddress!, count: $0.count) }
        trainer.optimizer.restore(step: c.optimizerStep, m: c.m, v: c.v)
        trainer.resume(atStep: c.trainerStep, exampleCount: data.count)
    }

    /// Clears what belongs to one life of the node (kept frames, the open round's figures).
    func resetVolatile() {
        kept = [:]
        lastSent = nil
        roundLoss = nil
        productGap = nil
        bytesSent = 0
        bytesReceived = 0
        consensusEstimate = nil
        mixedWith = []
    }
}

extension NodeID {
    /// The simulator's id of node `index`: ids sort in index order, so a topology rule over the
    /// sorted ids lays the nodes out by index (node i next to i ± 1 on a ring).
    static func simulated(_ index: Int) -> NodeID {
        var bytes = [UInt8](repeating: 0x5A, count: Digest32.byteCount)
        for k in 0..<4 { bytes[k] = UInt8(truncatingIfNeeded: index >> (8 * (3 - k))) }
        return NodeID(digest: Digest32(unchecked: bytes))
    }

    /// The index of a simulated id.
    var simulatedIndex: Int { digest.bytes.prefix(4).reduce(0) { $0 << 8 | Int($1) } }
}
