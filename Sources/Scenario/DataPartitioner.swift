import SwarmBase
import TrainData

/// Builds a scenario's per-node data and global test set, deterministically for a seed (pure).
///
/// The test set is drawn first, with distinct prompts; no training example then carries one of
/// its prompts (synthetic draws are redrawn, user examples left out and counted). Every random
/// choice comes from a `SeededRandom` stream derived from the seed: node i's synthetic data from
/// its own stream, so adding a node (a join) leaves the other nodes' data unchanged.
public enum DataPartitioner {
    /// Tries per example before a domain counts as out of new instructions.
    static let maxDraws = 2_000

    // MARK: Synthetic data

    /// `examplesPerNode` synthetic examples for each of `nodes` nodes, split as `partition` says
    /// over `domains`, and `testExamples` test examples round robin over the domains.
    /// - iid: each example's domain uniform over `domains`.
    /// - dirichlet(alpha): node i draws proportions q_i ~ Dirichlet(alpha) over the domains, then
    ///   each of its examples' domain from q_i.
    /// - one-domain-per-node: node i's domains are `domainsOfNode(i)` (one domain each when there are
    ///   at least as many nodes as domains), its examples round robin over them.
    public static func synthetic(domains: [String], partition: DataSpec.Partition, nodes: Int, examplesPerNode: Int,
                                 testExamples: Int, seed: UInt64) throws(ScenarioDataError) -> ScenarioData {
        precondition(!domains.isEmpty && nodes > 0, "synthetic data needs a domain and a node")
        var rng = SeededRandom.derived(seed: seed, stream: 1)
        var test: [ScenarioExample] = []
        var testPrompts = Set<String>()
        for k in 0..<testExamples {
            let domain = domains[k % domains.count]
            let e = try draw(domain, avoiding: testPrompts, rng: &rng, purpose: "test examples", needed: testExamples)
            testPrompts.insert(e.prompt)
            test.append(e)
        }
        var data: [[ScenarioExample]] = []
        for node in 0..<nodes {
            var rng = SeededRandom.derived(seed: seed, stream: 1_000 + UInt64(node))
            let pick: (inout SeededRandom, Int) -> Int
            switch partition {
            case .iid, .filePerNode:
                pick = { rng, _ in rng.below(domains.count) }
            case let .dirichlet(alpha):
                let q = rng.nextDirichlet(alpha: alpha, count: domains.count)
                pick = { rng, _ in rng.nextIndex(weights: q) }
            case .oneDomainPerNode:
                let own = domainsOfNode(node, domains: domains.count, nodes: nodes)
                pick = { _, k in own[k % own.count] }
            }
            var local: [ScenarioExample] = []
            for k in 0..<examplesPerNode {
                let domain = domains[pick(&rng, k)]
                local.append(try draw(domain, avoiding: testPrompts, rng: &rng, purpose: "training examples besides the test set",
                                      needed: examplesPerNode))
            }
            data.append(local)
        }
        return ScenarioData(nodes: data, test: test, droppedForTest: 0)
    }

    /// A synthetic example of `domain` whose prompt is not in `avoiding`.
    private static func draw(_ domain: String, avoiding: Set<String>, rng: inout SeededRandom, purpose: String,
                             needed: Int) throws(ScenarioDataError) -> ScenarioExample {
        for _ in 0..<maxDraws {
            let e = SyntheticTasks.example(domain: domain, rng: &rng)
            let example = ScenarioExample(domain: e.domain, record: e.record)
            if !avoiding.contains(example.prompt) { return example }
        }
        throw .tooFewInstructions(domain: domain, needed: needed, purpose: purpose)
    }

    /// The domains (indices) node `node` holds under one-domain-per-node: domain node mod D when
    /// there are at least as many nodes as domains (several nodes then share a domain), else every
    /// domain d with d mod N = node (so every domain is on some node).
    public static func domainsOfNode(_ node: Int, domains: Int, nodes: Int) -> [Int] {
        if nodes >= domains { return [node % domains] }
        return Array(stride(from: node, to: domains, by: nodes))
    }

    // MARK: User data

    /// Splits one pool of user examples (from `file`) between `nodes` nodes after holding out
    /// `testExamples` with distinct prompts; every example ends up in exactly one of: a node, the
    /// test set, or `droppedForTest` (a repeat of a test prompt).
    /// - iid: shuffled and dealt round robin (node sizes differ by at most one).
    /// - one-domain-per-node: each domain (sorted by name) dealt round robin among the nodes
    ///   `domainsOfNode` gives it.
    /// - dirichlet(alpha): node i draws q_i ~ Dirichlet(alpha) over the domains; each example goes to
    ///   a node with probability proportional to q_i of its domain among nodes not yet full (every
    ///   node holds an equal share, so late examples may land off their node's proportions).
    /// Examples without a domain count as one domain.
    public static func split(pool: [ScenarioExample], file: String, partition: DataSpec.Partition, nodes: Int,
                             testExamples: Int, seed: UInt64) throws(ScenarioDataError) -> ScenarioData {
        precondition(nodes > 0, "a split needs a node")
        var rng = SeededRandom.derived(seed: seed, stream: 2)
        var order = Array(pool.indices)
        rng.shuffle(&order)
        var test: [ScenarioExample] = []
        var testPrompts = Set<String>()
        var rest: [ScenarioExample] = []
        for i in order {
            let e = pool[i]
            if test.count < testExamples, !testPrompts.contains(e.prompt) {
                testPrompts.insert(e.prompt)
                test.append(e)
            } else {
                rest.append(e)
            }
        }
        let needed = "\(testExamples) test examples with distinct prompts and at least one training example per node (\(nodes))"
        guard test.count == testExamples else { throw .tooFewExamples(file: file, examples: pool.count, needed: needed) }
        let training = rest.filter { !testPrompts.contains($0.prompt) }
        let dropped = rest.count - training.count
        guard training.count >= nodes else { throw .tooFewExamples(file: file, examples: pool.count, needed: needed) }

        let domainNames = Set(training.map { $0.domain ?? ScenarioData.noDomain }).sorted()
        let domainIndex = Dictionary(uniqueKeysWithValues: domainNames.enumerated().map { ($1, $0) })
        var data = Array(repeating: [ScenarioExample](), count: nodes)
        switch partition {
        case .iid, .filePerNode:
            for (k, e) in training.enumerated() { data[k % nodes].append(e) }
        case .oneDomainPerNode:
            var dealt = Array(repeating: 0, count: domainNames.count)
            let owners = (0..<domainNames.count).map { d in
                (0..<nodes).filter { domainsOfNode($0, domains: domainNames.count, nodes: nodes).contains(d) }
            }
            for e in training {
                let d = domainIndex[e.domain ?? ScenarioData.noDomain]!
                data[owners[d][dealt[d] % owners[d].count]].append(e)
                dealt[d] += 1
            }
        case let .dirichlet(alpha):
            var room = (0..<nodes).map { training.count / nodes + ($0 < training.count % nodes ? 1 : 0) }
            let q = (0..<nodes).map { _ in rng.nextDirichlet(alpha: alpha, count: domainNames.count) }
            for e in training {
                let d = domainIndex[e.domain ?? ScenarioData.noDomain]!
                var weights = (0..<nodes).map { room[$0] > 0 ? q[$0][d] : 0 }
                if !weights.contains(where: { $0 > 0 }) { weights = room.map(Double.init) }
                let node = rng.nextIndex(weights: weights)
                room[node] -= 1
                data[node].append(e)
            }
        }
        if let empty = data.firstIndex(where: \.isEmpty) {
            throw .tooFewExamples(file: file, examples: pool.count, needed: "node \(empty) gets none under this partition")
        }
        return ScenarioData(nodes: data, test: test, droppedForTest: dropped)
    }

    /// One user file per node, and a test file: each node's examples minus those sharing a prompt
    /// with a test example.
    public static func perNode(files: [(name: String, examples: [ScenarioExample])], test: [ScenarioExample]) throws(ScenarioDataError) -> ScenarioData {
        let testPrompts = Set(test.map(\.prompt))
        var dropped = 0
        var data: [[ScenarioExample]] = []
        for file in files {
            let kept = file.examples.filter { !testPrompts.contains($0.prompt) }
            dropped += file.examples.count - kept.count
            guard !kept.isEmpty else {
                throw .tooFewExamples(file: file.name, examples: file.examples.count, needed: "every one shares its prompt with the test file")
            }
            data.append(kept)
        }
        return ScenarioData(nodes: data, test: test, droppedForTest: dropped)
    }
}
