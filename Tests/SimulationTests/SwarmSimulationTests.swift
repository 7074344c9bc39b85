import Testing
import Consensus
import LM
import Tensor
import TestSupport
@testable import Simulation
import Train
import TrainData

@Suite struct SwarmSimulationTests {
    static func simulation(topology: Topology) throws -> (SwarmSimulation, TemporaryDirectory) {
        let (model, core, dir) = try TinyModel.loaded()
        var o = SwarmOptions()
        o.nodes = 3
        o.topology = topology
        o.rounds = 2
        o.localSteps = 2
        o.examplesPerNode = 6
        o.evalExamples = 4
        o.training.batch = 2
        o.training.seqLen = 160
        o.training.learningRate = 1e-2
        o.training.lora = LoRAConfig(rank: 2, alpha: 4, targets: [.q, .v])
        return (try SwarmSimulation(model: model, tokenizer: core.tokenizer, template: core.chatTemplate!, options: o,
                                pool: ComputePool(threads: 2)), dir)
    }

    @Test func nodesStartEqualDivergeLocallyAndGossipContracts() throws {
        let (sim, dir) = try Self.simulation(topology: .ring)
        _ = dir
        let start = sim.trainers.map { $0.lora.values.array }
        #expect(start.allSatisfy { $0 == start[0] })  // same A from the swarm seed, B = 0
        let r = try sim.round(1)
        #expect(r.consensusBefore > 0)
        #expect(r.consensusAfter < r.consensusBefore)
        #expect(abs(Mixing.consensusDistance(sim.trainers.map { $0.lora.values.array }) - r.consensusAfter) < 1e-9)
        // Non-IID: each node mostly holds its own domain.
        for (i, c) in sim.domainsOfNode.enumerated() {
            #expect(c[SyntheticTasks.domains[i % 4], default: 0] >= 3)
        }
    }

    @Test func fullTopologyAgreesAfterEveryRound() throws {
        let (sim, dir) = try Self.simulation(topology: .full)
        _ = dir
        let r = try sim.round(1)
        #expect(r.consensusAfter < 1e-9)
        let mean = sim.consensusAdapter().values.array
        #expect(zip(mean, sim.trainers[1].lora.values.array).allSatisfy { abs($0 - $1) < 1e-6 })
    }
}
