import Scenario
import Testing
import TrainData

@Suite("Data partitioning")
struct DataPartitionerTests {
    static let domains = SyntheticTasks.domains

    func synthetic(_ partition: DataSpec.Partition, nodes: Int = 8, perNode: Int = 80, test: Int = 100,
                   seed: UInt64 = 3) throws -> ScenarioData {
        try DataPartitioner.synthetic(domains: Self.domains, partition: partition, nodes: nodes, examplesPerNode: perNode,
                                      testExamples: test, seed: seed)
    }

    /// Five standard deviations of a binomial proportion: a bound a correct sampler exceeds with
    /// probability below 1e-6 per check.
    func bound(p: Double, n: Int) -> Double { 5 * (p * (1 - p) / Double(n)).squareRoot() }

    @Test("iid gives every node every domain in proportions within five standard deviations of 1/D")
    func iidProportions() throws {
        let perNode = 2_000
        let data = try synthetic(.iid, perNode: perNode, test: 40)
        let p = 1 / Double(Self.domains.count)
        var total: [String: Int] = [:]
        for counts in data.domainCounts {
            #expect(counts.values.reduce(0, +) == perNode)
            for d in Self.domains {
                #expect(abs(Double(counts[d] ?? 0) / Double(perNode) - p) < bound(p: p, n: perNode))
                total[d, default: 0] += counts[d] ?? 0
            }
        }
        let n = perNode * data.nodes.count
        for d in Self.domains { #expect(abs(Double(total[d]!) / Double(n) - p) < bound(p: p, n: n)) }
    }

    @Test("dirichlet with a huge alpha is IID within the same bound")
    func hugeAlphaIsIID() throws {
        let perNode = 2_000
        let data = try synthetic(.dirichlet(alpha: 1e6), perNode: perNode, test: 40)
        let p = 1 / Double(Self.domains.count)
        for counts in data.domainCounts {
            for d in Self.domains { #expect(abs(Double(counts[d] ?? 0) / Double(perNode) - p) < bound(p: p, n: perNode)) }
        }
    }

    @Test("dirichlet with a tiny alpha puts (nearly) all of each node's examples in one domain")
    func tinyAlphaIsOneDomain() throws {
        let perNode = 200
        let data = try synthetic(.dirichlet(alpha: 1e-3), nodes: 16, perNode: perNode, test: 40)
        for counts in data.domainCounts {
            #expect(Double(counts.values.max()!) / Double(perNode) >= 0.99)
        }
    }

    @Test("dirichlet with a moderate alpha is neither IID nor one domain per node")
    func moderateAlphaIsSkewed() throws {
        let perNode = 400
        let data = try synthetic(.dirichlet(alpha: 0.5), nodes: 16, perNode: perNode, test: 40)
        let p = 1 / Double(Self.domains.count)
        let shares = data.domainCounts.map { Double($0.values.max()!) / Double(perNode) }
        // Some node is far from IID (its top domain well above 1/D), and not every node is on one domain.
        #expect(shares.contains { $0 > p + 4 * bound(p: p, n: perNode) })
        #expect(shares.contains { $0 < 0.99 })
    }

    @Test("one-domain-per-node gives node i only domain i mod D")
    func oneDomainPerNode() throws {
        let data = try synthetic(.oneDomainPerNode, nodes: 6)
        for (i, counts) in data.domainCounts.enumerated() {
            #expect(counts == [Self.domains[i % Self.domains.count]: 80])
        }
    }

    @Test("with fewer nodes than domains, one-domain-per-node spreads every domain over the nodes")
    func fewerNodesThanDomains() throws {
        let data = try synthetic(.oneDomainPerNode, nodes: 3, perNode: 60)
        #expect(Set(data.domainCounts[0].keys) == [Self.domains[0], Self.domains[3]])
        #expect(data.domainCounts[1] == [Self.domains[1]: 60])
        #expect(data.domainCounts[2] == [Self.domains[2]: 60])
    }

    @Test("the same seed gives the same data; another seed different data", arguments: [
        DataSpec.Partition.iid, .dirichlet(alpha: 0.3), .oneDomainPerNode,
    ])
    func deterministic(_ partition: DataSpec.Partition) throws {
        let a = try synthetic(partition, seed: 9), b = try synthetic(partition, seed: 9), c = try synthetic(partition, seed: 10)
        #expect(a == b)
        #expect(a != c)
    }

    @Test("a joining node's data leaves the other nodes' data unchanged")
    func joinKeepsOthers() throws {
        let four = try synthetic(.dirichlet(alpha: 0.3), nodes: 4), five = try synthetic(.dirichlet(alpha: 0.3), nodes: 5)
        #expect(Array(five.nodes.prefix(4)) == four.nodes)
        #expect(five.test == four.test)
    }

    @Test("the test set has distinct prompts, round robin over the domains")
    func testSetShape() throws {
        let data = try synthetic(.iid, test: 100)
        #expect(data.test.count == 100)
        #expect(Set(data.test.map(\.prompt)).count == 100)
        for (k, e) in data.test.enumerated() { #expect(e.domain == Self.domains[k % Self.domains.count]) }
    }

    @Test("over many seeds and every partition, no test prompt is in any node's training data")
    func testSetDisjoint() throws {
        for seed in UInt64(0)..<40 {
            for partition in [DataSpec.Partition.iid, .dirichlet(alpha: 0.3), .oneDomainPerNode] {
                // Large enough that the small units domain (356 distinct instructions) repeats often.
                let data = try synthetic(partition, nodes: 8, perNode: 80, test: 100, seed: seed)
                let testPrompts = Set(data.test.map(\.prompt))
                for node in data.nodes { #expect(node.allSatisfy { !testPrompts.contains($0.prompt) }) }
            }
        }
    }

    @Test("every node gets exactly examples-per-node examples of the requested domains")
    func counts() throws {
        let data = try DataPartitioner.synthetic(domains: ["sort", "units"], partition: .iid, nodes: 5, examplesPerNode: 33,
                                                 testExamples: 10, seed: 1)
        #expect(data.nodes.count == 5)
        for node in data.nodes {
            #expect(node.count == 33)
            #expect(node.allSatisfy { $0.domain == "sort" || $0.domain == "units" })
        }
        #expect(data.droppedForTest == 0)
    }

    @Test("a domain with too few distinct instructions for the test set says so")
    func exhaustedDomain() {
        // units has 4 conversions x 89 values = 356 distinct instructions.
        #expect(throws: ScenarioDataError.tooFewInstructions(domain: "units", needed: 400, purpose: "test examples")) {
            try DataPartitioner.synthetic(domains: ["units"], partition: .iid, nodes: 1, examplesPerNode: 1, testExamples: 400, seed: 1)
        }
    }

    // MARK: A pool of user examples

    /// `count` instruction examples over `domains` (round robin), every `repeatEvery`-th repeating
    /// the previous prompt with another answer.
    static func pool(_ count: Int, domains: [String?] = ["a", "b", "c"], repeatEvery: Int = 5) -> [ScenarioExample] {
        (0..<count).map { i in
            let prompt = i % repeatEvery == repeatEvery - 1 ? i - 1 : i
            return ScenarioExample(domain: domains[i % domains.count],
                                   record: .instruction(instruction: "question \(prompt)", input: "", output: "answer \(i)"))
        }
    }

    /// Counts of each example (examples can repeat in a pool only by content, so a multiset).
    static func multiset(_ examples: [ScenarioExample]) -> [ScenarioExample: Int] {
        var out: [ScenarioExample: Int] = [:]
        for e in examples { out[e, default: 0] += 1 }
        return out
    }

    @Test("a split pool uses every example once: in a node, in the test set, or dropped as a repeat of a test prompt",
          arguments: [DataSpec.Partition.iid, .dirichlet(alpha: 0.3), .dirichlet(alpha: 1e-3), .oneDomainPerNode])
    func everyExampleOnce(_ partition: DataSpec.Partition) throws {
        let pool = Self.pool(600)
        let data = try DataPartitioner.split(pool: pool, file: "d.jsonl", partition: partition, nodes: 6, testExamples: 50, seed: 4)
        let testPrompts = Set(data.test.map(\.prompt))
        #expect(data.test.count == 50 && testPrompts.count == 50)
        let training = data.nodes.flatMap { $0 }
        #expect(training.allSatisfy { !testPrompts.contains($0.prompt) })
        let dropped = pool.count - training.count - data.test.count
        #expect(dropped == data.droppedForTest)
        // What is left over is exactly the repeats of test prompts.
        var rest = Self.multiset(pool)
        for e in training + data.test { rest[e, default: 0] -= 1 }
        #expect(rest.values.allSatisfy { $0 >= 0 })
        let leftover = rest.filter { $0.value > 0 }
        #expect(leftover.values.reduce(0, +) == data.droppedForTest)
        #expect(leftover.keys.allSatisfy { testPrompts.contains($0.prompt) })
    }

    @Test("a split pool gives nodes equal shares under iid and dirichlet", arguments: [DataSpec.Partition.iid, .dirichlet(alpha: 0.1)])
    func equalShares(_ partition: DataSpec.Partition) throws {
        let data = try DataPartitioner.split(pool: Self.pool(601), file: "d.jsonl", partition: partition, nodes: 6, testExamples: 0, seed: 4)
        let sizes = data.nodes.map(\.count)
        #expect(sizes.max()! - sizes.min()! <= 1)
    }

    @Test("one-domain-per-node on a pool gives node i only domain i mod D")
    func poolOneDomain() throws {
        let data = try DataPartitioner.split(pool: Self.pool(600), file: "d.jsonl", partition: .oneDomainPerNode, nodes: 6, testExamples: 30, seed: 2)
        for (i, counts) in data.domainCounts.enumerated() { #expect(Set(counts.keys) == [["a", "b", "c"][i % 3]]) }
    }

    @Test("dirichlet with a tiny alpha on a pool concentrates nodes on their domains far more than iid")
    func poolTinyAlpha() throws {
        func meanTopShare(_ partition: DataSpec.Partition, seed: UInt64) throws -> Double {
            let data = try DataPartitioner.split(pool: Self.pool(1_200, repeatEvery: 10_000), file: "d.jsonl", partition: partition,
                                                 nodes: 6, testExamples: 0, seed: seed)
            let shares = data.domainCounts.map { Double($0.values.max()!) / Double($0.values.reduce(0, +)) }
            return shares.reduce(0, +) / Double(shares.count)
        }
        for seed in UInt64(1)...5 {
            let skewed = try meanTopShare(.dirichlet(alpha: 1e-3), seed: seed), iid = try meanTopShare(.iid, seed: seed)
            // IID: each node's top domain is about 1/3 (200 examples a node, a few points above).
            #expect(iid < 0.45)
            #expect(skewed > iid + 0.2)
        }
    }

    @Test("a pool too small for the test set and every node says how many it needs")
    func poolTooSmall() {
        #expect(throws: ScenarioDataError.self) {
            try DataPartitioner.split(pool: Self.pool(10), file: "d.jsonl", partition: .iid, nodes: 4, testExamples: 8, seed: 1)
        }
    }

    @Test("files per node lose the examples that share a prompt with the test file, and count them")
    func perNodeDropsTestPrompts() throws {
        let a = Self.pool(20, repeatEvery: 100), b = Array(Self.pool(40, repeatEvery: 100)[20...])
        let test = [a[3], b[5]].map { ScenarioExample(domain: $0.domain, record: .instruction(instruction: $0.prompt, input: "", output: "other")) }
        let data = try DataPartitioner.perNode(files: [("a", a), ("b", b)], test: test)
        #expect(data.nodes[0].count == 19 && data.nodes[1].count == 19)
        #expect(data.droppedForTest == 2)
        #expect(data.test == test)
    }
}
