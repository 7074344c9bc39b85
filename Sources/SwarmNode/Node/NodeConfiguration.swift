import Consensus
import Gossip
import Membership
import SwarmBase
import Train
import Transport

/// Everything a training node needs besides its TLS identity, its core and its private data:
/// plain data, filled by the CLI from flags and the config file.
public struct NodeConfiguration: Sendable {
    /// The swarm's name; peers of another swarm are refused at hello.
    public var swarmID: String
    /// One SQLite database per node lives here (and the membership state files).
    public var stateDirectory: String
    /// `host:port` to listen on.
    public var listen: String
    /// `host:port` other nodes reach this one at (default: the bound listen address).
    public var advertise: String?
    /// Members to join through (none: this node starts the swarm).
    public var seeds: [PeerAddress] = []
    /// Local training (the LoRA settings are `training.lora`; `training.steps` is unused: the
    /// schedule spans `rounds × localSteps`, or a constant rate when running until stopped).
    public var training = TrainingOptions()
    /// The swarm seed: every node draws the same initial A from it (B = 0), so the first
    /// round's average is meaningful.
    public var swarmSeed: UInt64 = 1
    /// Test only: a per-node initialisation seed instead of the swarm's (A and B both random), to
    /// start nodes apart and watch the mixing contract the spread.
    public var testInitSeed: UInt64?
    /// The seed of this node's data order and dropout masks; nil derives it from the node id (so
    /// every node draws its own stream). A simulator sets it to reproduce another backend's run.
    public var dataSeed: UInt64?
    /// Local optimizer steps between gossip rounds (K).
    public var localSteps = 8
    /// The last round to run (counted from round 1 across restarts); nil runs until stopped.
    public var rounds: Int?
    /// The round protocol: neighbour rule, deadline, averaging mode.
    public var gossip = RoundSettings()
    /// The element type of the factors this node sends (it decodes any).
    public var wireDType: TensorDType = .f32
    /// The checks every received factor vector passes before it is mixed.
    public var acceptance = FactorAcceptance()
    /// Checkpoints kept in the store.
    public var keepCheckpoints = 3
    /// How long sending one factors frame may wait for room in a neighbour's full send queue (it
    /// never waits for a connection: a neighbour not connected is dialed and sent to on connect).
    public var sendTimeout: Duration = .seconds(10)
    /// Members (besides this node) to see alive before the first round, so the first rounds mix
    /// over the whole swarm rather than whoever answered first; waited for at most
    /// `waitForMembersTimeout`, then the node starts with whom it sees.
    public var waitForMembers = 0
    public var waitForMembersTimeout: Duration = .seconds(60)
    /// SWIM's protocol period (every SWIM timing scales with it).
    public var membershipPeriod: Duration = .seconds(1)
    /// Diagnostic and test hook, off (nil) by default: a copy of every plaintext byte this node's
    /// transport hands to TLS (`TransportConfiguration.plaintextTap`). The privacy test uses it.
    public var plaintextTap: (@Sendable (PlaintextWrite) -> Void)?
    /// Emulated latency, jitter, loss and bandwidth on the frames this node sends (nil: none).
    public var linkEmulation: LinkEmulation?
    /// Fault injection, off (nil) by default: replaces each factors frame this node sends to a
    /// neighbour by the frames this returns, to play a hostile neighbour (NaN values, wrong shapes,
    /// a huge norm, replays, a forged sender) against honest nodes: tests set it directly, the CLI
    /// only with `--fault-control` (a `HostileSender`, off until the file says `hostile`). On a new
    /// connection (the node's re-send) the frames are rewritten again, without the forged ones.
    public var rewriteOutgoingFactors: (@Sendable (OutgoingFactors) -> [OutgoingFactors])?

    public init(swarmID: String, stateDirectory: String, listen: String) {
        self.swarmID = swarmID
        self.stateDirectory = stateDirectory
        self.listen = listen
    }

    /// The configuration as JSON, recorded in the store's meta row.
    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "swarm-id": .string(swarmID), "listen": .string(listen),
            "seeds": .array(seeds.map { .string($0.description) }),
            "rank": .integer(training.lora.rank), "alpha": .number(Double(training.lora.alpha)),
            "targets": .array(training.lora.targets.map { .string($0.rawValue) }),
            "lr": .number(Double(training.learningRate)), "batch": .integer(training.batch),
            "seq-len": .integer(training.seqLen), "local-steps": .integer(localSteps),
            "mode": .string(gossip.mode.rawValue), "deadline-ms": .integer(Int(gossip.deadline.milliseconds)),
            "swarm-seed": .integer(Int(truncatingIfNeeded: swarmSeed)),
        ]
        if let advertise { object["advertise"] = .string(advertise) }
        if let rounds { object["rounds"] = .integer(rounds) }
        if wireDType != .f32 { object["wire-dtype"] = .string(wireDType.description) }
        if let adaptive = gossip.adaptiveDeadline {
            object["adaptive-deadline"] = .bool(true)
            object["deadline-min-ms"] = .integer(Int(adaptive.minimum.milliseconds))
            object["deadline-max-ms"] = .integer(Int(adaptive.maximum.milliseconds))
        }
        return .object(object)
    }
}
