import Exchange
import Adapters
import Gossip
import LM
import Store
import SwarmBase
import Train

/// A node's latest checkpoint as a PEFT adapter, read from its state directory: the one place
/// `swarmtune inspect`, `merge` and `export` turn a state directory into an adapter.
///
/// The store is opened read-only, so this works next to a running node (it sees the last
/// committed round). The checkpoint's flat vector is laid out by the `AdapterLayout` the node
/// recorded in its meta config; its length must equal the layout's parameter count. A database
/// written before layouts were recorded needs the node's core (`Core`) to rebuild the layout.
public struct NodeStateAdapter: Sendable {
    /// The core an older database's layout is rebuilt from: its dimensions, hash and file name.
    public struct Core: Sendable {
        public let config: LlamaConfig
        public let hash: Digest32
        public let path: String

        public init(config: LlamaConfig, hash: Digest32, path: String) {
            self.config = config
            self.hash = hash
            self.path = path
        }
    }

    /// The state directory.
    public let directory: String
    /// Its database file.
    public let databasePath: String
    public let nodeID: NodeID
    public let swarmID: String
    /// The round whose checkpoint this is (the node's latest complete round when read).
    public let round: Int64
    public let layout: AdapterLayout
    /// The checkpoint in the engine's layout (Bᵀ, GGUF row order).
    public let parameters: LoRAParameters
    /// The checkpoint as PEFT holds it, with provenance (core hash, seed, node, swarm, round).
    public let adapter: LoRAAdapter

    /// How commands name this input: "DIR @ round N".
    public var name: String { "\(directory) @ round \(round)" }

    /// Whether `directory` holds a node database (it may still be damaged or empty of checkpoints).
    public static func isStateDirectory(_ directory: String) -> Bool {
        FileIO.kind(of: NodeStore.databasePath(in: directory)) != .missing
    }

    /// Reads the latest checkpoint of the node whose state is in `directory`. `core` is needed
    /// only for a database without a recorded layout; `swarmtuneVersion` goes into the provenance.
    public static func read(directory: String, swarmtuneVersion: String, core: Core? = nil) throws(NodeStateError) -> NodeStateAdapter {
        let store: NodeStore
        let latest: Store.Checkpoint?
        do {
            store = try NodeStore.openReadOnly(directory: directory)
            latest = try store.latestCheckpoint()
        } catch {
            throw .store(error)
        }
        let path = store.path, meta = store.meta
        let layout: AdapterLayout
        if let recorded = try recordedLayout(in: meta.config, path: path) {
            layout = recorded
        } else if let core {
            layout = try rebuildLayout(meta: meta, core: core, path: path)
        } else {
            throw .noLayout(path: path)
        }
        guard let checkpoint = latest else { throw .noCheckpoint(path: path) }
        guard checkpoint.adapter.count == layout.parameterCount else {
            throw .lengthMismatch(path: path, round: checkpoint.round, stored: checkpoint.adapter.count, expected: layout.parameterCount)
        }
        let parameters = layout.makeParameters()
        checkpoint.adapter.withUnsafeBufferPointer { parameters.values.pointer.update(from: $0.baseAddress!, count: $0.count) }
        let provenance = AdapterProvenance(coreHash: layout.coreHash.hex, swarmtuneVersion: swarmtuneVersion, seed: layout.seed,
                                           extra: ["node": meta.identity.nodeID.hex, "swarm": meta.identity.swarmID,
                                                   "round": String(checkpoint.round)])
        return NodeStateAdapter(directory: directory, databasePath: path, nodeID: meta.identity.nodeID, swarmID: meta.identity.swarmID,
                                round: checkpoint.round, layout: layout, parameters: parameters,
                                adapter: AdapterConversion.adapter(from: parameters, provenance: provenance))
    }

    /// The layout recorded in `config`, its errors as this type's.
    static func recordedLayout(in config: JSONValue, path: String) throws(NodeStateError) -> AdapterLayout? {
        do { return try AdapterLayout(recordedIn: config, path: path) } catch {
            throw .malformedLayout(error)
        }
    }

    /// An older database's layout: rank, alpha and targets from its configuration, shapes from
    /// `core` (whose hash must be the database's), and the rsLoRA/DoRA flags that reproduce the
    /// stored adapter schema hash. Dropout is not recorded there and reads as 0 (it does not
    /// change the adapter's values).
    static func rebuildLayout(meta: StoreMeta, core: Core, path: String) throws(NodeStateError) -> AdapterLayout {
        guard core.hash == meta.identity.coreHash else {
            throw .coreMismatch(path: path, core: core.path, stored: meta.identity.coreHash.hex, actual: core.hash.hex)
        }
        let config = meta.config
        guard let modeText = config["mode"]?.stringValue, let mode = AveragingMode(rawValue: modeText) else {
            throw .malformedLayout(AdapterLayoutError(path: path, field: "mode", detail: "is missing from the configuration or not an averaging mode"))
        }
        let seed = config["swarm-seed"]?.intValue.map { UInt64(bitPattern: Int64($0)) } ?? 1
        let shape = AdapterLayout(lora: LoRAConfig(), model: core.config, coreHash: core.hash, seed: seed).json
        for (rsLoRA, dora) in [(false, false), (true, false), (false, true), (true, true)] {
            let record: JSONValue = .object([
                "core-sha256": shape["core-sha256"]!, "seed": shape["seed"]!, "model": shape["model"]!,
                "rank": config["rank"] ?? .null, "alpha": config["alpha"] ?? .null, "targets": config["targets"] ?? .null,
                "dropout": .integer(0), "rslora": .bool(rsLoRA), "dora": .bool(dora),
            ])
            guard let candidate = try recordedLayout(in: .object([AdapterLayout.configKey: record]), path: path) else { continue }
            if ExchangedFactors(layout: candidate.makeParameters(), mode: mode).schemaHash == meta.identity.schemaHash {
                return candidate
            }
        }
        throw .schemaMismatch(path: path, core: core.path)
    }
}
