import Consensus
import SwarmBase

extension TopologySpec {
    /// `topology`: "ring" (the default), "full", "regular-K" (K even, below the node count) or
    /// {"edges": [[a, b], ...]}, an undirected graph over every node (joined ones included) that
    /// must be connected, without self-links or repeated edges.
    static func parse(_ top: inout JSONFields, context: ScenarioContext) throws(JSONDocumentError) -> TopologySpec {
        guard let value = top.value("topology") else { return .rule(.ring) }
        if let name = value.stringValue {
            guard let rule = Topology(name: name) else {
                throw top.error("topology", "'\(name)' is not ring, full, regular-K (K even) or {\"edges\": [[a, b], ...]}")
            }
            if case let .regular(k) = rule, k >= context.nodes {
                throw top.error("topology", "regular-\(k) needs more than \(k) nodes (nodes is \(context.nodes)); use full, or a smaller K")
            }
            return .rule(rule)
        }
        var f = try JSONFields(document: top.document, path: top.path.appending("topology"), value: value)
        guard let items = try f.array("edges") else {
            throw top.error("topology", "an explicit topology is {\"edges\": [[a, b], ...]}")
        }
        let at = f.path.appending("edges")
        var edges: [Edge] = []
        var seen: [Edge: Int] = [:]
        for (i, item) in items.enumerated() {
            let here = at.appending(index: i)
            guard let pair = item.arrayValue, pair.count == 2, let a = pair[0].intValue, let b = pair[1].intValue else {
                throw f.document.error(at: here, "expected a pair of node indices [a, b], found \(item.typeName == "an array" ? "an array of \(item.arrayValue!.count) values" : item.typeName)")
            }
            for node in [a, b] where !(0..<context.totalNodes).contains(node) {
                throw f.document.error(at: here, "\(node) is not a node (the swarm has nodes \(context.nodeRange), joins included)")
            }
            guard a != b else { throw f.document.error(at: here, "links node \(a) to itself") }
            let edge = Edge(a, b)
            if let first = seen[edge] { throw f.document.error(at: here, "repeats edges[\(first)] (\(edge.a)-\(edge.b)); edges are undirected") }
            seen[edge] = i
            edges.append(edge)
        }
        let unreached = unreachable(edges: edges, nodes: context.totalNodes)
        if let first = unreached.first {
            throw f.error("edges", "the graph is not connected: node \(first) cannot reach node 0 (\(unreached.count) node\(unreached.count == 1 ? "" : "s") cut off); gossip could never mix them")
        }
        try f.finish()
        return .edges(edges)
    }

    /// Nodes that no path of `edges` joins to node 0, in order.
    static func unreachable(edges: [Edge], nodes: Int) -> [Int] {
        var neighbours = Array(repeating: [Int](), count: nodes)
        for e in edges {
            neighbours[e.a].append(e.b)
            neighbours[e.b].append(e.a)
        }
        var reached = Array(repeating: false, count: nodes)
        var stack = nodes > 0 ? [0] : []
        if nodes > 0 { reached[0] = true }
        while let n = stack.popLast() {
            for m in neighbours[n] where !reached[m] {
                reached[m] = true
                stack.append(m)
            }
        }
        return (0..<nodes).filter { !reached[$0] }
    }
}
