import LM
import Scenario
import ScenarioRun
import Tensor
import Testing
import Train
import TrainData

/// The test-set figure: counted per domain, the same on any number of lanes.
@Suite struct TestSetEvaluatorTests {
    /// A test set where the expected answer of every other example is exactly what the tiny core
    /// answers (found with a one-thread matcher computing the domain's shared prefix the same
    /// way), and the rest can never match: the figure must be exactly half, per domain and
    /// overall, on 1, 2 and 3 lanes.
    @Test func figureCountsEveryExampleOnceWhateverTheLanes() throws {
        let h = try InprocHarness()
        let template = try #require(h.core.chatTemplate)
        let domains = ["alpha": ["Spell the word", "Count the letters of"], "beta": ["Name a colour like"]]
        var test: [ScenarioExample] = []
        for (domain, stems) in domains.sorted(by: { $0.key < $1.key }) {
            let questions = (0..<6).map { i in "\(stems[i % stems.count]) item \(i)" }
            let drafts = questions.map { TrainingRecord.instruction(instruction: $0, input: "", output: "x") }
            let examples = drafts.map { template.example($0, tokenizer: h.core.tokenizer) }
            let matcher = try ExactMatch(model: h.model, tokenizer: h.core.tokenizer, lora: nil,
                                     contextLength: min(256, h.model.config.contextLength), pool: ComputePool(threads: 1))
            let answers = try matcher.run(examples, keepSamples: examples.count, sharedPrefix: ExactMatch.sharedPrefix(examples))
                .samples.map(\.got)
            for (i, q) in questions.enumerated() {
                let expected = i % 2 == 0 ? answers[i] : answers[i] + " and never this"
                test.append(ScenarioExample(domain: domain, record: .instruction(instruction: q, input: "", output: expected)))
            }
        }
        for lanes in 1...3 {
            let evaluator = TestSetEvaluator(model: h.model, tokenizer: h.core.tokenizer, template: template, test: test, lanes: lanes)
            let r = try evaluator.run(nil, what: "the core")
            #expect(r.rate == 0.5, "\(lanes) lanes")
            #expect(r.byDomain == ["alpha": 0.5, "beta": 0.5], "\(lanes) lanes")
        }
    }
}
