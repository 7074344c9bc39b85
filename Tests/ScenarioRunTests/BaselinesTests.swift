import LM
import Scenario
import ScenarioRun
import Tensor
import Testing

/// The baselines are the swarm's own budget: what the comparison in every summary rests on.
@Suite struct BaselinesTests {
    /// The centralized counterpart of a swarm of N nodes doing R × K steps of batch b: R × K steps on
    /// the pooled data, each over N × b examples, on the nodes' learning-rate schedule.
    @Test func centralizedBaselineTakesEachNodesStepsOverAllNodesBatchesAtOnce() throws {
        let h = try InprocHarness()
        let s = try h.ring(nodes: 4, rounds: 3, baselines: true)
        let template = try #require(h.core.chatTemplate)
        let setup = try Setup(scenario: s, file: "test.json", model: h.model, template: template,
                              tokenizer: h.core.tokenizer, data: s.buildData())
        let (trainer, steps) = try Baselines.centralizedTrainer(setup, lanes: 1)
        #expect(steps == setup.swarmSteps && steps == 3 * 2)
        #expect(trainer.options.steps == setup.swarmSteps)
        #expect(trainer.options.learningRate == setup.options.learningRate)
        let report = try trainer.trainStep(setup.examples.flatMap { $0 })
        #expect(report.tokens == 4 * s.training.batch * s.training.seqLen)
        #expect(report.step == 1)
    }
}
