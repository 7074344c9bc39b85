import Exchange
import Consensus
import Foundation
import Gossip
import Hashing
import LM
import Membership
import Store
import SwarmBase
import Synchronization
import Tensor
import Train
import TrainData
import Transport

/// A training node: local LoRA steps on private data over the shared core, Dec-LoRA gossip rounds
/// with its neighbours over the membership driver's TLS transport, state in its own SQLite store.
///
/// One thread (the caller of `run`) owns the round machine (`Gossip.GossipRound`), the trainer and
/// the store; the transport's I/O thread and the membership driver only post events to its
/// mailbox. Only factors frames (and membership chatter) ever leave the node: training text and
/// token ids stay in this process.
///
/// A restart resumes from the store's latest checkpoint (the end of the last complete round) and
/// catches up with its neighbours by the round machine's rule (docs/GOSSIP.md): it adopts the
/// highest round a neighbour is heard at instead of replaying the rounds it missed.
public final class NodeRuntime: @unchecked Sendable {
    public let configuration: NodeConfiguration
    public let nodeID: NodeID
    /// The adapter this node trains (read it after `run` returns; during a run it belongs to the
    /// node thread).
    public let parameters: LoRAParameters
    public let exchanged: ExchangedFactors

    private let trainer: Trainer
    private let examples: [TokenizedExample]
    private let driver: MembershipDriver
    private let store: NodeStore
    private let mailbox: Mailbox<NodeEvent>
    private let onReport: @Sendable (NodeReport) -> Void
    private let startRound: UInt64

    /// Opens the store (refusing one of another node, swarm, core or schema), restores the latest
    /// checkpoint if any, and prepares the transport. Nothing is sent until `run`.
    public init(configuration: NodeConfiguration, identity: TLSIdentity, model: LlamaModel,
                examples: [TokenizedExample], padID: Int32, pool: ComputePool,
                onReport: @escaping @Sendable (NodeReport) -> Void) throws(NodeError) {
        guard !examples.isEmpty else { throw .invalidState("the node has no training examples") }
        self.configuration = configuration
        self.examples = examples
        self.onReport = onReport
        nodeID = identity.nodeID

        var options = configuration.training
        // Each node's data order and dropout masks: its own stream, derived from its id.
        let idSeed = identity.nodeID.digest.bytes.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        options.seed = configuration.dataSeed ?? (configuration.training.seed ^ idSeed)
        if let rounds = configuration.rounds {
            options.schedule(steps: max(1, rounds * configuration.localSteps))
        } else {
            // Running until stopped: a constant rate, no warmup.
            options.steps = 1_000_000 * configuration.localSteps
            options.warmupSteps = 0
        }
        let lora = LoRAParameters(config: options.lora, model: model.config)
        lora.initialize(seed: configuration.testInitSeed ?? configuration.swarmSeed, model: model)
        if let testSeed = configuration.testInitSeed {
            // Start apart: B random as well, so nodes differ in every factor.
            var rng = SeededRandom(seed: testSeed ^ 0xB0B)
            for s in lora.slots {
                for i in 0..<(lora.config.rank * s.outputs) { lora.bt(s)[i] = rng.nextSignedUnit() * 0.05 }
            }
        }
        do { trainer = try Trainer(model: model, options: options, padID: padID, pool: pool, lora: lora) } catch {
            throw .memory(what: "the trainer for batch \(options.batch) × seq-len \(options.seqLen)", error)
        }
        parameters = lora
        exchanged = ExchangedFactors(layout: lora, mode: configuration.gossip.mode, wireDType: configuration.wireDType)
        if configuration.gossip.mode == .frozenA {
            // A stays as the swarm seed drew it on every node: only Bᵀ is trained and averaged.
            trainer.frozenRanges = exchanged.frozenRanges
        }

        do {
            try FileIO.makeDirectories(configuration.stateDirectory)
        } catch {
            throw .stateFile(error)
        }
        let coreHash = model.computeCoreHash()
        // Recorded so the state directory alone turns into an adapter (NodeStateAdapter).
        let layout = AdapterLayout(lora: lora.config, model: model.config, coreHash: coreHash,
                                   seed: configuration.testInitSeed ?? configuration.swarmSeed)
        do {
            store = try NodeStore.open(directory: configuration.stateDirectory,
                                       identity: StoreIdentity(nodeID: nodeID, swarmID: configuration.swarmID,
                                                               coreHash: coreHash, schemaHash: exchanged.schemaHash),
                                       config: layout.recorded(in: configuration.json))
        } catch {
            throw .store(error)
        }
        var resumeRound: UInt64 = 1
        do {
            if let checkpoint = try store.latestCheckpoint() {
                try Self.restore(checkpoint, into: trainer, exampleCount: examples.count, path: store.path)
                resumeRound = UInt64(checkpoint.round) + 1
            }
        } catch let error as NodeError {
            throw error
        } catch let error as StoreError {
            throw .store(error)
        } catch {
            throw .invalidState("\(store.path): \(error)")
        }
        startRound = resumeRound

        var membership = MembershipDriverConfiguration(swarmID: configuration.swarmID, coreHash: coreHash,
                                                       schemaHash: exchanged.schemaHash)
        membership.swim = .scaled(probePeriod: configuration.membershipPeriod)
        membership.transport.listenAddress = configuration.listen
        membership.transport.advertisedAddress = configuration.advertise
        membership.transport.plaintextTap = configuration.plaintextTap
        membership.transport.linkEmulation = configuration.linkEmulation
        membership.stateDirectory = configuration.stateDirectory
        let mailbox = Mailbox<NodeEvent>(limit: 1024)
        self.mailbox = mailbox
        driver = try MembershipDriver(identity: identity, configuration: membership, onChange: { _ in
            mailbox.post(.membersChanged)
        }, otherPayloads: { payload in
            guard payload.kind == .factors else { return }
            mailbox.post(.factors(payload), droppable: true)
        }, connected: { peer in
            mailbox.post(.connected(peer))
        }, refused: { peer, why in
            mailbox.post(.refusedByTransport(peer, why))
        })
    }

    /// The round this node starts (or resumes) at.
    public var firstRound: UInt64 { startRound }

    /// Asks `run` to stop at the next event: the round in progress is abandoned (its factors are
    /// not persisted), the node leaves the swarm gracefully and closes its store. Safe from any thread.
    public func stop() { mailbox.post(.stop) }

    /// Joins the swarm and runs rounds until `configuration.rounds` complete or `stop()`.
    public func run() throws(NodeError) -> NodeOutcome {
        try driver.start(seeds: configuration.seeds)
        var loop = NodeLoop(runtime: self)
        let outcome = loop.run(startRound: startRound)
        driver.leave()
        return outcome
    }

    // MARK: The loop's collaborators (used by NodeLoop, on the node thread)

    var machineSettings: RoundSettings { configuration.gossip }
    func take(until deadline: UInt64) -> [NodeEvent] { mailbox.take(until: deadline) }
    /// Waits until `deadline` and returns only the stop requests, leaving other events queued.
    func peek(until deadline: UInt64) -> [NodeEvent] {
        let now = MonotonicClock.now()
        if deadline > now { usleep(UInt32(min((deadline - now) / 1000, 1_000_000))) }
        return mailbox.takeStops()
    }
    var aliveMembers: [NodeID] { driver.members.filter { $0.member.status.isLive }.map(\.member.id) }

    func trainLocalSteps() throws(LMError) -> Double {
        var loss = 0.0
        for _ in 0..<configuration.localSteps { loss += try trainer.trainStep(examples).loss }
        return loss / Double(max(1, configuration.localSteps))
    }

    /// Sends this node's factors frame of `round` to `peer` (through the test-only rewrite, when
    /// set; a re-send on a new connection leaves out forged frames, which would close it again).
    func send(_ body: [UInt8], round: UInt64, to peer: NodeID, resend: Bool = false) throws(TransportError) -> MembershipDriver.SendOutcome {
        guard let rewrite = configuration.rewriteOutgoingFactors else {
            return try driver.send(.factors, body, to: peer, queueTimeout: configuration.sendTimeout)
        }
        for frame in rewrite(OutgoingFactors(round: round, peer: peer, body: body)) where !(resend && frame.claimedSender != nil) {
            // Not connected: the whole rewritten set goes again when the connection is up.
            guard try driver.send(.factors, frame.body, to: frame.peer, queueTimeout: configuration.sendTimeout,
                                  claimedSender: frame.claimedSender) == .queued else { return .dialing }
        }
        return .queued
    }

    /// Replaces the link emulation of the node's transport (fault injection: a partition is loss 1
    /// towards the other side).
    public func setLinkEmulation(_ emulation: LinkEmulation?) {
        driver.setLinkEmulation(emulation)
    }

    /// The transport's counters (connections, bytes, payloads refused for a forged sender).
    public var transportStatistics: TransportStatistics { driver.transportStatistics }

    func report(_ report: NodeReport) { onReport(report) }

    func record(_ exchange: ExchangeRecord) {
        // The exchange log is advisory: a failure to write it must not stop training.
        try? store.recordExchange(exchange)
    }

    func saveCheckpoint(_ record: RoundRecord) throws(NodeError) {
        do {
            try store.saveCheckpoint(round: record, adapter: Array(UnsafeBufferPointer(start: parameters.values.pointer, count: parameters.count)),
                                     optimizer: trainer.optimizerStateBytes(), keepLast: configuration.keepCheckpoints)
        } catch {
            throw .store(error)
        }
    }

    // MARK: Checkpoints

    static func restore(_ checkpoint: Store.Checkpoint, into trainer: Trainer, exampleCount: Int, path: String) throws(NodeError) {
        let n = trainer.lora.count
        guard checkpoint.adapter.count == n else {
            throw .corruptStateFile(path: path, detail: "checkpoint of round \(checkpoint.round) holds \(checkpoint.adapter.count) adapter values, this adapter has \(n)")
        }
        do { try trainer.restoreOptimizerState(checkpoint.optimizer, exampleCount: exampleCount) } catch {
            throw .corruptStateFile(path: path, detail: "checkpoint of round \(checkpoint.round): optimizer state: \(error)")
        }
        checkpoint.adapter.withUnsafeBufferPointer { trainer.lora.values.pointer.update(from: $0.baseAddress!, count: n) }
    }
}

/// What a finished run reports.
public struct NodeOutcome: Sendable, Equatable {
    /// The last round completed (0: none).
    public var lastRound: UInt64
    public var roundsCompleted: Int
    /// Whether `stop()` ended the run before its rounds were done.
    public var stopped: Bool
    /// Why the run ended early, if it failed.
    public var failure: String?
}

/// What a running node tells its caller (the CLI prints it; SwarmNode prints nothing).
public enum NodeReport: Sendable, Equatable {
    /// A round completed.
    case round(RoundLine)
    /// Something the user should know that did not stop the node (a checkpoint not saved).
    case warning(String)
}

/// What the node thread receives.
enum NodeEvent: Sendable, Equatable {
    case factors(Payload)
    case membersChanged
    /// A connection to `peer` was established (new, or replacing one whose frames may be lost).
    case connected(NodeID)
    /// The transport closed `peer`'s connection for breaking the protocol (a forged sender); why.
    case refusedByTransport(NodeID, String)
    case stop
}

extension Mailbox where Item == NodeEvent {
    func takeStops() -> [NodeEvent] { takeAll { $0 == .stop } }
}
