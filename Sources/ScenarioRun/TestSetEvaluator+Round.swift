import Exchange
import Scenario

extension TestSetEvaluator {
    /// A closed round's figures on the test set, the same for every backend: the consensus of the
    /// round's vectors (`RoundLedger.Sums.mean`) and, when the scenario asks (`eval.nodes`), each
    /// completed node's own adapter after its mix. Nil when no node completed the round. Returns
    /// the consensus vector too (the final eval reuses its figure when the run ends on it).
    package func evaluate(round: Int, sums: RoundLedger.Sums, setup: Setup, exchanged: ExchangedFactors,
                          progress: (InprocProgress) -> Void) throws(InprocError) -> (mean: [Float], eval: RunSummary.Eval)? {
        guard let mean = sums.mean else { return nil }
        let rounds = setup.scenario.training.rounds
        progress(InprocProgress(phase: "eval", done: round, total: rounds, virtualSeconds: 0,
                                detail: "the consensus adapter after round \(round)"))
        let r = try run(setup.adapter(exchanged, mean), what: "the consensus adapter after round \(round)")
        var eval = RunSummary.Eval(consensus: r.rate, consensusByDomain: r.byDomain)
        if setup.scenario.eval.nodes {
            var byNode: [Int: Double] = [:]
            for (node, vector) in sums.nodeVectors {
                progress(InprocProgress(phase: "eval", done: round, total: rounds, virtualSeconds: 0,
                                        detail: "node \(node)'s own adapter after round \(round)"))
                byNode[node] = try run(setup.adapter(exchanged, vector), what: "node \(node)'s adapter after round \(round)").rate
            }
            eval.byNode = byNode
        }
        return (mean, eval)
    }
}
