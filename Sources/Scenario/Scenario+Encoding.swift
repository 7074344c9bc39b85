import Consensus
import SwarmBase

extension Scenario {
    /// The scenario as a JSON document with every field written out (defaults included), so a run
    /// directory can record exactly what ran; `Scenario.parse` of it gives this scenario back.
    /// Seeds above `Int.max` cannot be written (a parsed scenario never has one).
    public var json: JSONValue {
        var top: [String: JSONValue] = [
            "name": .string(name), "comment": .string(comment), "seed": .integer(Int(seed)), "core": .string(core),
            "nodes": .integer(nodes), "topology": topology.json, "data": data.json,
            "lora": .object(["rank": .integer(lora.rank), "alpha": .number(lora.alpha), "targets": .array(lora.targets.map(JSONValue.string))]),
            "gossip": .object(["mode": .string(gossip.mode.name), "local-steps": .integer(gossip.localSteps),
                               "deadline-ms": .integer(gossip.deadlineMilliseconds), "wire-dtype": .string(gossip.wireDType.description)]),
            "network": network.json, "events": .array(events.map(\.json)),
            "baselines": .object(["local-only": .bool(baselines.localOnly), "centralized": .bool(baselines.centralized)]),
        ]
        var training: [String: JSONValue] = ["rounds": .integer(self.training.rounds), "lr": .number(self.training.learningRate),
                                             "batch": .integer(self.training.batch), "seq-len": .integer(self.training.seqLen)]
        if let threads = self.training.threads { training["threads"] = .integer(threads) }
        top["training"] = .object(training)
        var evalObject: [String: JSONValue] = ["nodes": .bool(eval.nodes)]
        if let every = eval.every { evalObject["every"] = .integer(every) }
        top["eval"] = .object(evalObject)
        return .object(top)
    }
}

extension TopologySpec {
    var json: JSONValue {
        switch self {
        case .rule(.ring): return .string("ring")
        case .rule(.full): return .string("full")
        case let .rule(.regular(k)): return .string("regular-\(k)")
        case let .edges(edges): return .object(["edges": .array(edges.map { .array([.integer($0.a), .integer($0.b)]) })])
        }
    }
}

extension DataSpec {
    var json: JSONValue {
        var out: [String: JSONValue] = [:]
        var hasTestFile = false
        switch source {
        case let .synthetic(domains):
            out["source"] = .string("synthetic")
            out["domains"] = .array(domains.map(JSONValue.string))
            out["examples-per-node"] = .integer(examplesPerNode)
        case let .jsonl(files, domainField, testFile):
            out["source"] = .string("jsonl")
            out["files"] = .array(files.map(JSONValue.string))
            if let domainField { out["domain-field"] = .string(domainField) }
            if let testFile { out["test-file"] = .string(testFile) }
            hasTestFile = testFile != nil
        }
        switch partition {
        case .iid: out["partition"] = .string("iid")
        case let .dirichlet(alpha):
            out["partition"] = .string("dirichlet")
            out["alpha"] = .number(alpha)
        case .oneDomainPerNode: out["partition"] = .string("one-domain-per-node")
        case .filePerNode: break  // the files are the partition
        }
        if !hasTestFile { out["test-examples"] = .integer(testExamples) }
        return .object(out)
    }
}

extension LinkConditions {
    /// The conditions as fields of `object` (bandwidth only when limited).
    func write(to object: inout [String: JSONValue]) {
        object["latency-ms"] = .number(latencyMilliseconds)
        object["jitter-ms"] = .number(jitterMilliseconds)
        object["loss"] = .number(loss)
        if let bandwidthMegabits { object["bandwidth-mbit"] = .number(bandwidthMegabits) }
    }
}

extension NetworkSpec {
    var json: JSONValue {
        var out: [String: JSONValue] = [:]
        all.write(to: &out)
        out["links"] = .array(links.map { link in
            var l: [String: JSONValue] = ["from": .integer(link.from), "to": .integer(link.to)]
            link.conditions.write(to: &l)
            return .object(l)
        })
        return .object(out)
    }
}

extension ScenarioEvent {
    var json: JSONValue {
        var out: [String: JSONValue] = ["kind": .string(kind.name)]
        switch when {
        case let .round(r): out["round"] = .integer(r)
        case let .seconds(s): out["at-seconds"] = .number(s)
        }
        switch kind {
        case let .kill(node), let .restart(node):
            out["node"] = .integer(node)
        case let .pause(node, length):
            out["node"] = .integer(node)
            switch length {
            case let .rounds(r): out["rounds"] = .integer(r)
            case let .seconds(s): out["seconds"] = .number(s)
            }
        case let .partition(groups):
            out["groups"] = .array(groups.map { .array($0.map(JSONValue.integer)) })
        case .heal, .join:
            break
        case let .hostile(node, behaviour):
            out["node"] = .integer(node)
            out["behaviour"] = .string(behaviour.rawValue)
        }
        return .object(out)
    }
}
