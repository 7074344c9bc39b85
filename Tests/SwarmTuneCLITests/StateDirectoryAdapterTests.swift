import Exchange
import Adapters
import Foundation
import LM
import Store
import SwarmBase
import SwarmNode
import Tensor
import Testing
import TestSupport
import Train
import TrainData
import Transport
@testable import SwarmTuneCLI

/// `inspect`, `merge` and `export` read a node's state directory: its latest checkpoint, laid out
/// by the adapter layout the node recorded, as a PEFT adapter.
@Suite("Adapters from node state directories")
struct StateDirectoryAdapterTests {
    /// Two solo nodes (own data, own certificate) that each ran 2 rounds on the tiny core, in
    /// `swarm/n0` and `swarm/n1`. The runtimes stay alive, so their stores are still open for
    /// writing (and locked) while the tests read them.
    final class Swarm: @unchecked Sendable {
        let directory = TemporaryDirectory("swarmtune-statedir")
        let corePath: String
        let model: LlamaModel
        private(set) var runtimes: [NodeRuntime]
        var swarmDirectory: String { directory.file("swarm") }
        func state(_ index: Int) -> String { FileIO.join(swarmDirectory, "n\(index)") }

        let ca: SwarmCA
        let tokenizer: CoreTokenizer

        init() throws {
            corePath = directory.file("tiny.gguf")
            try TinyModel().write(to: corePath)
            model = try LlamaModel(path: corePath)
            tokenizer = try CoreTokenizer(metadata: model.file.metadata, path: corePath)
            ca = try SwarmCA.ephemeral()
            runtimes = []
            for index in 0..<2 {
                let runtime = try makeRuntime(index, stateDirectory: state(index), rounds: 2)
                let outcome = try runtime.run()
                guard outcome.lastRound == 2 else { throw CLIError.failure("node \(index) ended at round \(outcome.lastRound): \(outcome)") }
                runtimes.append(runtime)
            }
        }

        /// A solo node (no seeds, waits for nobody, a short round deadline) on its own data.
        func makeRuntime(_ index: Int, stateDirectory: String, rounds: Int?) throws -> NodeRuntime {
            var c = NodeConfiguration(swarmID: "statedir-test", stateDirectory: stateDirectory, listen: "127.0.0.1:0")
            c.rounds = rounds
            c.localSteps = 2
            c.training.batch = 2
            c.training.seqLen = 160
            c.training.learningRate = 1e-2
            c.training.lora = LoRAConfig(rank: 2, alpha: 4, targets: [.q, .v])
            c.training.threads = 1
            c.gossip.deadline = .milliseconds(200)
            c.membershipPeriod = .milliseconds(500)
            let examples = SyntheticTasks.generate(count: 8, seed: UInt64(1 + index)).map {
                tokenizer.chatTemplate!.example($0.record, tokenizer: tokenizer.tokenizer)
            }
            return try NodeRuntime(configuration: c, identity: try ca.makeIdentity(name: "n\(index)"), model: model,
                                   examples: examples, padID: 2, pool: ComputePool(threads: 1)) { _ in }
        }
    }

    static let swarm = Result { try Swarm() }

    static func values(_ p: LoRAParameters) -> [Float] { Array(UnsafeBufferPointer(start: p.values.pointer, count: p.count)) }

    @Test("the adapter read from a running node's state directory equals the node's final parameters in every factor")
    func stateDirectoryAdapterEqualsTheRuntimeParameters() throws {
        let swarm = try Self.swarm.get()
        let runtime = swarm.runtimes[0]
        let state = try NodeStateAdapter.read(directory: swarm.state(0), swarmtuneVersion: "test")
        #expect(state.round == 2)
        #expect(state.name == swarm.state(0) + " @ round 2")
        #expect(state.layout.lora == runtime.parameters.config)
        #expect(state.parameters.model == runtime.parameters.model)
        #expect(state.parameters.slots == runtime.parameters.slots)
        #expect(Self.values(state.parameters) == Self.values(runtime.parameters))
        let expected = AdapterConversion.adapter(from: runtime.parameters, provenance: nil)
        #expect(state.adapter.config == expected.config)
        #expect(Set(state.adapter.factors.keys) == Set(expected.factors.keys))
        for (slot, factors) in expected.factors {
            #expect(state.adapter.factors[slot] == factors, "\(slot)")
        }
        #expect(state.adapter.provenance?.coreHash == swarm.model.computeCoreHash().hex)
        #expect(state.adapter.provenance?.extra["round"] == "2")
        #expect(state.adapter.provenance?.extra["node"] == runtime.nodeID.hex)
    }

    @Test("a node's state directory is read while the node runs, at its latest complete round")
    func stateDirectoryIsReadWhileTheNodeRuns() throws {
        let swarm = try Self.swarm.get()
        let directory = swarm.directory.file("running-\(UUID().uuidString)")
        let runtime = try swarm.makeRuntime(2, stateDirectory: directory, rounds: nil)
        let finished = DispatchSemaphore(value: 0)
        Thread {
            _ = try? runtime.run()
            finished.signal()
        }.start()
        defer {
            runtime.stop()
            finished.wait()
        }
        // Generous: on a loaded machine the first round can take a while.
        let deadline = Date().addingTimeInterval(120)
        var state: NodeStateAdapter?
        while state == nil, Date() < deadline {
            do { state = try NodeStateAdapter.read(directory: directory, swarmtuneVersion: "test") } catch .noCheckpoint {
                usleep(20_000)
            }
        }
        let read = try #require(state)
        #expect(read.round >= 1)
        #expect(read.name == "\(directory) @ round \(read.round)")
        #expect(read.adapter.factors.count == read.parameters.slots.count)
    }

    @Test("inspect STATE_DIR --json names the input by its directory and round")
    func inspectNamesTheStateDirectoryAndRound() throws {
        let swarm = try Self.swarm.get()
        let (inputs, report) = try InspectCommand.parse([swarm.state(0), "--json"]).inspect()
        #expect(inputs.map(\.name) == [swarm.state(0) + " @ round 2"])
        let json = InspectCommand.Report(report, inputs: inputs)
        #expect(json.adapters.map(\.round) == [2])
        #expect(json.adapters.first?.name == swarm.state(0) + " @ round 2")
        #expect(SwarmTuneCommand.main(["inspect", swarm.state(0), "--json"]) == 0)
    }

    @Test("inspect of a directory of state directories reads every node and measures their distance")
    func inspectReadsEveryNodeOfASwarmDirectory() throws {
        let swarm = try Self.swarm.get()
        let (inputs, report) = try InspectCommand.parse([swarm.swarmDirectory]).inspect()
        #expect(inputs.map(\.name) == [swarm.state(0) + " @ round 2", swarm.state(1) + " @ round 2"])
        // Different data, no mixing: the two solo nodes' updates differ.
        #expect((report.updateDistance.first?.last ?? 0) > 0)
    }

    @Test("merge of two state directories writes a PEFT adapter of their core")
    func mergeOfTwoStateDirectoriesWritesAnAdapter() throws {
        let swarm = try Self.swarm.get()
        let out = swarm.directory.file("merged-\(UUID().uuidString)")
        #expect(SwarmTuneCommand.main(["merge", swarm.state(0), swarm.state(1), "--method", "linear", "--out", out]) == 0)
        let merged = try LoRAAdapter.read(directory: out)
        #expect(merged.provenance?.coreHash == swarm.model.computeCoreHash().hex)
        // Linear averages the factors: check one entry against the two nodes' own adapters.
        let a = try NodeStateAdapter.read(directory: swarm.state(0), swarmtuneVersion: "test").adapter
        let b = try NodeStateAdapter.read(directory: swarm.state(1), swarmtuneVersion: "test").adapter
        let slot = try #require(a.factors.keys.min { $0.description < $1.description })
        let (fa, fb, fm) = (a.factors[slot]!, b.factors[slot]!, merged.factors[slot]!)
        for i in [0, fa.a.count - 1] {
            #expect(abs(fm.a[i] - (fa.a[i] + fb.a[i]) / 2) <= 1e-6 * max(1, abs(fa.a[i]) + abs(fb.a[i])))
        }
    }

    @Test("export --format peft from a state directory writes the checkpoint's adapter unchanged")
    func exportFromAStateDirectoryWritesItsAdapter() throws {
        let swarm = try Self.swarm.get()
        let out = swarm.directory.file("exported-\(UUID().uuidString)")
        #expect(SwarmTuneCommand.main(["export", swarm.state(1), "--model", swarm.corePath, "--format", "peft", "--out", out]) == 0)
        let exported = try LoRAAdapter.read(directory: out)
        let state = try NodeStateAdapter.read(directory: swarm.state(1), swarmtuneVersion: "test")
        #expect(exported.factors == state.adapter.factors)
        #expect(exported.provenance?.extra["round"] == "2")
        let lora = swarm.directory.file("exported-\(UUID().uuidString).gguf")
        #expect(SwarmTuneCommand.main(["export", swarm.state(1), "--model", swarm.corePath, "--format", "gguf-lora", "--out", lora]) == 0)
        #expect(FileIO.kind(of: lora) == .file)
    }
}

/// The refusals, on hand-made databases: each names the database and says what is missing.
@Suite("Adapters from node state directories: refusals")
struct StateDirectoryAdapterRefusalTests {
    static let identity = StoreIdentity(nodeID: NodeID(digest: Digest32(unchecked: [UInt8](repeating: 7, count: 32))),
                                        swarmID: "lab", coreHash: Digest32(unchecked: [UInt8](repeating: 1, count: 32)),
                                        schemaHash: Digest32(unchecked: [UInt8](repeating: 2, count: 32)))
    static let layout = AdapterLayout(lora: LoRAConfig(rank: 2, alpha: 4, targets: [.q, .v]),
                                      model: LlamaConfig(vocabSize: 64, dim: 16, hiddenDim: 32, layers: 2, heads: 4, kvHeads: 2),
                                      coreHash: identity.coreHash, seed: 9)

    static func record(_ round: Int64) -> RoundRecord {
        RoundRecord(round: round, loss: 1, consensusEstimate: 0, neighbours: [], bytesSent: 0, bytesReceived: 0, seconds: 1)
    }

    @Test("the recorded layout reads back as written")
    func layoutRoundTrips() throws {
        let config = Self.layout.recorded(in: .object(["rank": .integer(2)]))
        let parsed = try JSONValue.parse(config.text())
        #expect(try AdapterLayout(recordedIn: parsed, path: "db") == Self.layout)
        #expect(Self.layout.parameterCount == Self.layout.makeParameters().count)
    }

    @Test("a state directory without a database is refused naming the missing file")
    func missingDatabaseIsRefused() {
        let dir = TemporaryDirectory()
        let path = NodeStore.databasePath(in: dir.path)
        #expect(throws: NodeStateError.store(.missing(path: path))) {
            try NodeStateAdapter.read(directory: dir.path, swarmtuneVersion: "test")
        }
        #expect(SwarmTuneCommand.main(["inspect", dir.path]) == 1)
    }

    @Test("a node that has not completed a round yet has no adapter to read")
    func noCheckpointIsRefused() throws {
        let dir = TemporaryDirectory()
        let store = try NodeStore.open(directory: dir.path, identity: Self.identity, config: Self.layout.recorded(in: .object([:])))
        let error = #expect(throws: NodeStateError.self) { try NodeStateAdapter.read(directory: dir.path, swarmtuneVersion: "test") }
        #expect(error == .noCheckpoint(path: store.path))
        #expect(error?.description.contains(store.path) == true)
        #expect(SwarmTuneCommand.main(["merge", dir.path, dir.path, "--method", "linear", "--out", dir.file("m")]) == 1)
    }

    @Test("a checkpoint whose length does not match its layout is refused naming the database and round")
    func lengthMismatchIsRefused() throws {
        let dir = TemporaryDirectory()
        let store = try NodeStore.open(directory: dir.path, identity: Self.identity, config: Self.layout.recorded(in: .object([:])))
        let stored = Self.layout.parameterCount - 1
        try store.saveCheckpoint(round: Self.record(4), adapter: [Float](repeating: 0.5, count: stored), optimizer: [])
        let error = #expect(throws: NodeStateError.self) { try NodeStateAdapter.read(directory: dir.path, swarmtuneVersion: "test") }
        #expect(error == .lengthMismatch(path: store.path, round: 4, stored: stored, expected: Self.layout.parameterCount))
        #expect(error?.description.contains(store.path) == true && error?.description.contains("round 4") == true)
    }

    @Test("an older database without a layout is refused saying --core supplies it")
    func olderDatabaseWithoutLayoutNeedsTheCore() throws {
        let dir = TemporaryDirectory()
        let store = try NodeStore.open(directory: dir.path, identity: Self.identity, config: .object(["rank": .integer(2)]))
        try store.saveCheckpoint(round: Self.record(1), adapter: [1, 2, 3], optimizer: [])
        let error = #expect(throws: NodeStateError.self) { try NodeStateAdapter.read(directory: dir.path, swarmtuneVersion: "test") }
        #expect(error == .noLayout(path: store.path))
        #expect(error?.description.contains("--core FILE") == true)
    }

    @Test("with the node's core, an older database's layout is rebuilt from its configuration and schema hash")
    func olderDatabaseIsRebuiltWithTheCore() throws {
        let dir = TemporaryDirectory()
        let corePath = dir.file("tiny.gguf")
        try TinyModel().write(to: corePath)
        let model = try LlamaModel(path: corePath)
        var c = NodeConfiguration(swarmID: "lab", stateDirectory: dir.file("n0"), listen: "127.0.0.1:0")
        // rsLoRA is not in an older configuration: only the schema hash tells it.
        c.training.lora = LoRAConfig(rank: 2, alpha: 4, targets: [.q, .v], rsLoRA: true)
        let trained = LoRAParameters(config: c.training.lora, model: model.config)
        trained.initialize(seed: 3)
        let identity = StoreIdentity(nodeID: Self.identity.nodeID, swarmID: "lab", coreHash: model.computeCoreHash(),
                                     schemaHash: ExchangedFactors(layout: trained, mode: .factors).schemaHash)
        let store = try NodeStore.open(directory: c.stateDirectory, identity: identity, config: c.json)
        try store.saveCheckpoint(round: Self.record(5), adapter: StateDirectoryAdapterTests.values(trained), optimizer: [])

        let core = NodeStateAdapter.Core(config: model.config, hash: model.computeCoreHash(), path: corePath)
        let state = try NodeStateAdapter.read(directory: c.stateDirectory, swarmtuneVersion: "test", core: core)
        #expect(state.layout.lora == c.training.lora)
        #expect(StateDirectoryAdapterTests.values(state.parameters) == StateDirectoryAdapterTests.values(trained))
        #expect(SwarmTuneCommand.main(["inspect", c.stateDirectory, "--core", corePath]) == 0)
        #expect(SwarmTuneCommand.main(["inspect", c.stateDirectory]) == 1)

        let other = NodeStateAdapter.Core(config: model.config, hash: Digest32(unchecked: [UInt8](repeating: 5, count: 32)), path: "other.gguf")
        #expect(throws: NodeStateError.coreMismatch(path: store.path, core: "other.gguf", stored: identity.coreHash.hex, actual: other.hash.hex)) {
            try NodeStateAdapter.read(directory: c.stateDirectory, swarmtuneVersion: "test", core: other)
        }
    }
}
