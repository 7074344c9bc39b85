import SwarmBase

extension ScenarioEvent {
    /// The `events` list, checked in the order it happens: times never go back, node indices exist
    /// at that point (joins add the next index), a restart follows a kill of the same node, a heal
    /// follows a partition, and a partition places every node in exactly one group.
    static func parseList(_ top: inout JSONFields, nodes: Int, rounds: Int) throws(JSONDocumentError) -> [ScenarioEvent] {
        guard let items = try top.objects("events") else { return [] }
        var state = SwarmState(nodes: nodes)
        var events: [ScenarioEvent] = []
        for (index, var f) in items.enumerated() {
            let event = try parseOne(&f, index: index, state: &state, rounds: rounds)
            try f.finish()
            events.append(event)
        }
        return events
    }

    /// What the events so far have done to the swarm, for the checks of the next one.
    private struct SwarmState {
        var nodes: Int
        /// Killed node → the index of the event that killed it.
        var killed: [Int: Int] = [:]
        /// The index of the partition event in force.
        var partition: Int?
        /// The latest round and time seen (with the event that set them), so events never go back.
        var lastRound: (round: Int, event: Int)?
        var lastSeconds: (seconds: Double, event: Int)?
    }

    private static func parseOne(_ f: inout JSONFields, index: Int, state: inout SwarmState, rounds: Int) throws(JSONDocumentError) -> ScenarioEvent {
        let when = try parseWhen(&f, index: index, state: &state, rounds: rounds)
        guard let kindName = try f.choice("kind", Kind.names) else {
            throw f.document.error(at: f.path, "has no kind: give one of \(Kind.names.joined(separator: ", "))")
        }
        let kind: Kind
        switch kindName {
        case "kill":
            let node = try liveNode(&f, state: state, kindName)
            guard state.killed.count + 1 < state.nodes else {
                throw f.error("node", "killing node \(node) leaves no node running; restart one first")
            }
            state.killed[node] = index
            kind = .kill(node: node)
        case "restart":
            let node = try existingNode(&f, state: state, kindName)
            guard state.killed[node] != nil else {
                throw f.error("node", "node \(node) is not killed here; a restart needs an earlier kill of the same node")
            }
            state.killed[node] = nil
            kind = .restart(node: node)
        case "pause":
            let node = try liveNode(&f, state: state, kindName)
            kind = .pause(node: node, length: try pauseLength(&f, rounds: rounds))
        case "partition":
            if let earlier = state.partition {
                throw f.error("kind", "a partition is already in place (events[\(earlier)]); heal it first")
            }
            kind = .partition(groups: try groups(&f, nodes: state.nodes))
            state.partition = index
        case "heal":
            guard state.partition != nil else {
                throw f.error("kind", "there is no partition to heal (no earlier partition event without a heal)")
            }
            state.partition = nil
            kind = .heal
        case "join":
            state.nodes += 1
            kind = .join
        default:  // hostile
            let node = try liveNode(&f, state: state, kindName)
            guard let behaviour = try f.choice("behaviour", HostileBehaviour.allCases.map(\.rawValue)) else {
                throw f.error("behaviour", "missing: a hostile node needs a behaviour (\(HostileBehaviour.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            kind = .hostile(node: node, behaviour: HostileBehaviour(rawValue: behaviour)!)
        }
        return ScenarioEvent(when: when, kind: kind)
    }

    /// `round` or `at-seconds` (exactly one), never before the previous event of the same clock.
    private static func parseWhen(_ f: inout JSONFields, index: Int, state: inout SwarmState, rounds: Int) throws(JSONDocumentError) -> When {
        let hasRound = f.has("round"), hasSeconds = f.has("at-seconds")
        switch (hasRound, hasSeconds) {
        case (true, true):
            throw f.error("at-seconds", "give round or at-seconds, not both")
        case (false, false):
            throw f.document.error(at: f.path, "gives neither round (1...\(rounds)) nor at-seconds, so it never happens")
        case (true, false):
            let round = try f.int("round")!
            guard round >= 1 else { throw f.error("round", "\(round) is before the first round (1)") }
            guard round <= rounds else { throw f.error("round", "\(round) is past training.rounds (\(rounds))") }
            if let last = state.lastRound, round < last.round {
                throw f.error("round", "\(round) is before events[\(last.event)].round (\(last.round)); list events in the order they happen")
            }
            state.lastRound = (round, index)
            return .round(round)
        case (false, true):
            let seconds = try f.double("at-seconds", in: 0...1e7)!
            if let last = state.lastSeconds, seconds < last.seconds {
                throw f.error("at-seconds", "\(seconds.plain) is before events[\(last.event)].at-seconds (\(last.seconds.plain)); list events in the order they happen")
            }
            state.lastSeconds = (seconds, index)
            return .seconds(seconds)
        }
    }

    /// The event's `node`: an index that exists at this point.
    private static func existingNode(_ f: inout JSONFields, state: SwarmState, _ kind: String) throws(JSONDocumentError) -> Int {
        guard let node = try f.int("node") else { throw f.error("node", "missing: a \(kind) event names its node (0...\(state.nodes - 1))") }
        guard (0..<state.nodes).contains(node) else {
            throw f.error("node", "\(node) is not a node here (the swarm has nodes 0...\(state.nodes - 1) at this point; a join adds the next index)")
        }
        return node
    }

    /// The event's `node`: an existing node that is not killed.
    private static func liveNode(_ f: inout JSONFields, state: SwarmState, _ kind: String) throws(JSONDocumentError) -> Int {
        let node = try existingNode(&f, state: state, kind)
        if let killedAt = state.killed[node] {
            throw f.error("node", "node \(node) is killed here (events[\(killedAt)]); restart it first")
        }
        return node
    }

    /// How long a pause lasts: `rounds` or `seconds`, exactly one.
    private static func pauseLength(_ f: inout JSONFields, rounds: Int) throws(JSONDocumentError) -> PauseLength {
        switch (f.has("rounds"), f.has("seconds")) {
        case (true, true): throw f.error("seconds", "give rounds or seconds, not both")
        case (false, false): throw f.document.error(at: f.path, "a pause says how long: rounds (1...\(rounds)) or seconds")
        case (true, false): return .rounds(try f.int("rounds", in: 1...rounds)!)
        case (false, true):
            let seconds = try f.double("seconds", in: 0...1e6)!
            guard seconds > 0 else { throw f.error("seconds", "must be above 0") }
            return .seconds(seconds)
        }
    }

    /// A partition's `groups`: at least two non-empty groups, every node in exactly one.
    private static func groups(_ f: inout JSONFields, nodes: Int) throws(JSONDocumentError) -> [[Int]] {
        guard let items = try f.array("groups") else {
            throw f.error("groups", "missing: a partition lists its groups, e.g. [[0, 1], [2, 3]]")
        }
        let at = f.path.appending("groups")
        guard items.count >= 2 else { throw f.error("groups", "has \(items.count) group; a partition needs at least two") }
        var groupOf: [Int: Int] = [:]
        var groups: [[Int]] = []
        for (g, item) in items.enumerated() {
            guard let members = item.arrayValue else { throw f.document.error(at: at.appending(index: g), "expected an array of node indices, found \(item.typeName)") }
            guard !members.isEmpty else { throw f.document.error(at: at.appending(index: g), "is empty; every group holds at least one node") }
            var group: [Int] = []
            for (m, member) in members.enumerated() {
                let here = at.appending(index: g).appending(index: m)
                guard let node = member.intValue else { throw f.document.error(at: here, "expected a node index, found \(member.typeName)") }
                guard (0..<nodes).contains(node) else {
                    throw f.document.error(at: here, "\(node) is not a node here (the swarm has nodes 0...\(nodes - 1) at this point)")
                }
                if let other = groupOf[node] {
                    throw f.document.error(at: here, "node \(node) is in groups \(other) and \(g); groups must not overlap")
                }
                groupOf[node] = g
                group.append(node)
            }
            groups.append(group)
        }
        if let missing = (0..<nodes).first(where: { groupOf[$0] == nil }) {
            throw f.error("groups", "node \(missing) is in no group; a partition places every node (0...\(nodes - 1)), killed ones included")
        }
        return groups
    }
}
