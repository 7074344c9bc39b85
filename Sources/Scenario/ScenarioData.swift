/// The examples of a scenario: each node's private training data and the global test set, which
/// shares no prompt (`ScenarioExample.prompt`) with any node's training data.
public struct ScenarioData: Sendable, Equatable {
    /// Node i's training examples (joined nodes included, by index).
    public var nodes: [[ScenarioExample]]
    /// The global test set.
    public var test: [ScenarioExample]
    /// User examples left out of training because their prompt is also a test prompt (synthetic
    /// draws avoid test prompts instead, so this is 0 for them).
    public var droppedForTest: Int

    public init(nodes: [[ScenarioExample]], test: [ScenarioExample], droppedForTest: Int) {
        self.nodes = nodes
        self.test = test
        self.droppedForTest = droppedForTest
    }

    /// The key under which examples without a domain are counted.
    public static let noDomain = "(no domain)"

    /// Examples per domain on each node: what the report shows as each node's data.
    public var domainCounts: [[String: Int]] { nodes.map(Self.counts) }

    /// Test examples per domain.
    public var testDomainCounts: [String: Int] { Self.counts(test) }

    static func counts(_ examples: [ScenarioExample]) -> [String: Int] {
        var out: [String: Int] = [:]
        for e in examples { out[e.domain ?? noDomain, default: 0] += 1 }
        return out
    }
}
