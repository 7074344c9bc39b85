import LM
import Scenario
import Tensor
import Train
import Tokenizer
import TrainData

/// Exact match on the scenario's global test set, overall and per domain, for an adapter (or the
/// core alone). Greedy decoding on a fixed thread count, so the same adapter gives the same figure.
package struct TestSetEvaluator {
    let model: LlamaModel
    let tokenizer: BPETokenizer
    let pool: ComputePool
    /// The test examples by domain, domains in name order.
    let byDomain: [(domain: String, examples: [TokenizedExample])]
    let total: Int

    package init(model: LlamaModel, tokenizer: BPETokenizer, template: ChatTemplate, test: [ScenarioExample], pool: ComputePool) {
        self.model = model
        self.tokenizer = tokenizer
        self.pool = pool
        var groups: [String: [TokenizedExample]] = [:]
        for e in test {
            groups[e.domain ?? ScenarioData.noDomain, default: []].append(template.example(e.record, tokenizer: tokenizer))
        }
        byDomain = groups.keys.sorted().map { ($0, groups[$0]!) }
        total = test.count
    }

    /// Exact match of `lora` (nil: the core alone): the rate over the whole set and per domain.
    package func run(_ lora: LoRAParameters?, what: String) throws(InprocError) -> (rate: Double, byDomain: [String: Double]) {
        let matcher = ExactMatch(model: model, tokenizer: tokenizer, lora: lora,
                                 contextLength: min(256, model.config.contextLength), pool: pool)
        var correct = 0
        var rates: [String: Double] = [:]
        for (domain, examples) in byDomain {
            do {
                let outcome = try matcher.run(examples, keepSamples: 0)
                correct += outcome.correct
                rates[domain] = outcome.rate
            } catch {
                throw .compute(what: "exact match of \(what) on the test set (\(domain))", reason: "\(error)")
            }
        }
        return (total > 0 ? Double(correct) / Double(total) : 0, rates)
    }
}
