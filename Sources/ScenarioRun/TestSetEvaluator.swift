import Dispatch
import LM
import Scenario
import Tensor
import Train
import Tokenizer
import TrainData

/// Exact match on the scenario's global test set, overall and per domain, for an adapter (or the
/// core alone).
///
/// The examples are judged on `lanes` threads at once, each with its own one-thread session
/// (decoding one token at a time keeps two threads of one session waiting on each other more
/// than computing). Example i of a domain goes to lane i mod lanes, and every example runs the
/// domain's shared prompt prefix as a pass of its own, so each answer, and the figure, is the
/// same whatever the number of lanes.
package struct TestSetEvaluator {
    let model: LlamaModel
    let tokenizer: BPETokenizer
    /// One single-thread pool per lane.
    let lanes: [ComputePool]
    /// The test examples by domain, domains in name order, with the prompt tokens they all share.
    let byDomain: [(domain: String, examples: [TokenizedExample], sharedPrefix: Int)]
    let total: Int

    package init(model: LlamaModel, tokenizer: BPETokenizer, template: ChatTemplate, test: [ScenarioExample], lanes: Int) {
        self.model = model
        self.tokenizer = tokenizer
        self.lanes = (0..<max(1, lanes)).map { _ in ComputePool(threads: 1) }
        var groups: [String: [TokenizedExample]] = [:]
        for e in test {
            groups[e.domain ?? ScenarioData.noDomain, default: []].append(template.example(e.record, tokenizer: tokenizer))
        }
        byDomain = groups.keys.sorted().map { ($0, groups[$0]!, ExactMatch.sharedPrefix(groups[$0]!)) }
        total = test.count
    }

    /// Exact match of `lora` (nil: the core alone): the rate over the whole set and per domain.
    package func run(_ lora: LoRAParameters?, what: String) throws(InprocError) -> (rate: Double, byDomain: [String: Double]) {
        let box = LaneResults(lanes: lanes.count, domains: byDomain.count)
        box.work = { [self] lane in
            let matcher: ExactMatch
            do throws(AllocationError) {
                matcher = try ExactMatch(model: model, tokenizer: tokenizer, lora: lora,
                                         contextLength: min(256, model.config.contextLength), pool: lanes[lane])
            } catch {
                box.fail(lane: lane, "exact match of \(what) on the test set", error.description)
                return
            }
            for (d, group) in byDomain.enumerated() {
                let mine = stride(from: lane, to: group.examples.count, by: lanes.count).map { group.examples[$0] }
                do throws(LMError) {
                    let outcome = try matcher.run(mine, keepSamples: 0, sharedPrefix: group.sharedPrefix)
                    box.record(lane: lane, domain: d, correct: outcome.correct, total: outcome.total)
                } catch {
                    box.fail(lane: lane, "exact match of \(what) on the test set (\(group.domain))", error.description)
                    return
                }
            }
        }
        if lanes.count == 1 {
            box.run(lane: 0)
        } else {
            DispatchQueue.concurrentPerform(iterations: lanes.count) { box.run(lane: $0) }
        }
        box.work = nil
        if let (what, reason) = box.firstFailure { throw .compute(what: what, reason: reason) }
        var correct = 0
        var rates: [String: Double] = [:]
        for (d, group) in byDomain.enumerated() {
            let (c, n) = box.sum(domain: d)
            correct += c
            rates[group.domain] = n > 0 ? Double(c) / Double(n) : 0
        }
        return (total > 0 ? Double(correct) / Double(total) : 0, rates)
    }

    /// Per lane and domain counts, each slot written by its own lane only (raw storage: no
    /// exclusivity check spans slots, as it would over one array written from several threads).
    private final class LaneResults: @unchecked Sendable {
        private let lanes: Int, domains: Int
        private let correct: UnsafeMutablePointer<Int>
        private let judged: UnsafeMutablePointer<Int>
        private let failures: UnsafeMutablePointer<(what: String, reason: String)?>
        /// What lane k does (set before the lanes start, cleared after they end).
        var work: ((Int) -> Void)?

        init(lanes: Int, domains: Int) {
            (self.lanes, self.domains) = (lanes, domains)
            correct = .allocate(capacity: max(1, lanes * domains))
            correct.initialize(repeating: 0, count: max(1, lanes * domains))
            judged = .allocate(capacity: max(1, lanes * domains))
            judged.initialize(repeating: 0, count: max(1, lanes * domains))
            failures = .allocate(capacity: lanes)
            failures.initialize(repeating: nil, count: lanes)
        }

        deinit {
            correct.deallocate()
            judged.deallocate()
            failures.deinitialize(count: lanes)
            failures.deallocate()
        }

        func run(lane: Int) { work?(lane) }

        func record(lane: Int, domain: Int, correct c: Int, total: Int) {
            correct[lane * domains + domain] = c
            judged[lane * domains + domain] = total
        }

        func fail(lane: Int, _ what: String, _ reason: String) { failures[lane] = (what, reason) }

        /// The first lane's failure, in lane order.
        var firstFailure: (String, String)? { (0..<lanes).lazy.compactMap { self.failures[$0] }.first.map { ($0.what, $0.reason) } }

        /// (correct, judged) over every lane for `domain`.
        func sum(domain: Int) -> (Int, Int) {
            (0..<lanes).reduce((0, 0)) { ($0.0 + correct[$1 * domains + domain], $0.1 + judged[$1 * domains + domain]) }
        }
    }
}
