import SwarmBase

extension NetworkSpec {
    /// `network`: conditions for every link (latency-ms, jitter-ms, loss, bandwidth-mbit; defaults:
    /// an ideal link) and `links`, per directed link overrides naming from, to and what changes.
    static func parse(_ object: JSONFields?, context: ScenarioContext) throws(JSONDocumentError) -> NetworkSpec {
        guard var f = object else { return NetworkSpec(all: .ideal, links: []) }
        let all = try LinkConditions.parse(&f, over: .ideal)
        var links: [LinkOverride] = []
        for var l in try f.objects("links") ?? [] {
            let from = try endpoint(&l, "from", context: context)
            let to = try endpoint(&l, "to", context: context)
            guard from != to else { throw l.error("to", "is the same node as from (\(from)); a link joins two nodes") }
            if let i = links.firstIndex(where: { $0.from == from && $0.to == to }) {
                throw l.error("to", "the link \(from) → \(to) is already given (network.links[\(i)])")
            }
            let conditions = try LinkConditions.parse(&l, over: all)
            guard LinkConditions.fields.contains(where: { l.members[$0] != nil }) else {
                throw l.document.error(at: l.path, "changes nothing: give at least one of \(LinkConditions.fields.joined(separator: ", "))")
            }
            try l.finish()
            links.append(LinkOverride(from: from, to: to, conditions: conditions))
        }
        try f.finish()
        return NetworkSpec(all: all, links: links)
    }

    private static func endpoint(_ f: inout JSONFields, _ key: String, context: ScenarioContext) throws(JSONDocumentError) -> Int {
        guard let node = try f.int(key) else { throw f.error(key, "missing: a link names from and to (node indices \(context.nodeRange))") }
        guard (0..<context.totalNodes).contains(node) else {
            throw f.error(key, "\(node) is not a node (the swarm has nodes \(context.nodeRange), joins included)")
        }
        return node
    }
}

extension LinkConditions {
    /// The conditions `f` gives, each missing one taken from `base`.
    static func parse(_ f: inout JSONFields, over base: LinkConditions) throws(JSONDocumentError) -> LinkConditions {
        var c = base
        c.latencyMilliseconds = try f.double("latency-ms", in: 0...60_000) ?? c.latencyMilliseconds
        c.jitterMilliseconds = try f.double("jitter-ms", in: 0...60_000) ?? c.jitterMilliseconds
        c.loss = try f.double("loss", in: 0...1) ?? c.loss
        if let bandwidth = try f.double("bandwidth-mbit", in: 0...1_000_000) {
            guard bandwidth > 0 else { throw f.error("bandwidth-mbit", "must be above 0 (leave it out for an unlimited link)") }
            c.bandwidthMegabits = bandwidth
        }
        return c
    }
}
