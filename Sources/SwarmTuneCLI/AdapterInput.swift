import Adapters
import Export
import LM
import ModelIO
import Store
import SwarmBase
import SwarmNode

/// An adapter a command reads from a PATH: a PEFT adapter directory, or a node's state directory
/// (its latest checkpoint, read through `NodeStateAdapter`, also while the node runs). What
/// `inspect`, `merge` and `export` accept wherever they take an adapter.
struct AdapterInput {
    /// How reports name it: the adapter directory, or "STATE_DIR @ round N".
    let name: String
    let adapter: LoRAAdapter
    /// The checkpoint's round, for a state directory.
    let round: Int64?

    /// Reads `path`. `corePath` (a GGUF core) rebuilds the adapter layout of a state database
    /// written before layouts were recorded; it is read only then.
    static func read(_ path: String, corePath: String?) throws(CLIError) -> AdapterInput {
        if NodeStateAdapter.isStateDirectory(path) {
            let state = try readState(path, corePath: corePath)
            return AdapterInput(name: state.name, adapter: state.adapter, round: state.round)
        }
        guard isAdapterDirectory(path) else {
            throw .failure("\(path): neither a PEFT adapter directory (no adapter_config.json) nor a node state directory (no \(NodeStore.databasePath(in: path)))")
        }
        do { return AdapterInput(name: path, adapter: try LoRAAdapter.read(directory: path), round: nil) } catch {
            throw .failure(ExportError.unreadableAdapter(path: path, reason: error.description).description)
        }
    }

    /// Whether `path` holds a PEFT adapter (`adapter_config.json`).
    static func isAdapterDirectory(_ path: String) -> Bool {
        FileIO.kind(of: FileIO.join(path, "adapter_config.json")) != .missing
    }

    private static func readState(_ path: String, corePath: String?) throws(CLIError) -> NodeStateAdapter {
        do {
            return try NodeStateAdapter.read(directory: path, swarmtuneVersion: SwarmTuneCommand.version)
        } catch .noLayout where corePath != nil {
            let core = try core(corePath!)
            do { return try NodeStateAdapter.read(directory: path, swarmtuneVersion: SwarmTuneCommand.version, core: core) } catch {
                throw .failure(error.description)
            }
        } catch {
            throw .failure(error.description)
        }
    }

    /// The dimensions and hash of the core at `path`.
    private static func core(_ path: String) throws(CLIError) -> NodeStateAdapter.Core {
        do {
            let file = try GGUFModelFile(path: path)
            return NodeStateAdapter.Core(config: try LlamaConfig(metadata: file.metadata, path: path), hash: CoreHash.compute(file), path: path)
        } catch {
            throw .failure("\(error)")
        }
    }
}
