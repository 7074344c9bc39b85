import Scenario

/// The scenario's events on the process backend's clock: given how far the swarm has got, which
/// events are due. Pure (no processes, no clock of its own): the supervisor feeds it the highest
/// round any live node has completed and the seconds since the swarm started, and carries out
/// the directives it returns.
///
/// The timing follows the inproc backend's: events happen in the file's order; a round-timed
/// event at round r is due once some node has completed round r − 1 (the first node starts round
/// r); a seconds-timed one at its time, never before the event listed before it. A pause for N
/// rounds ends once the swarm has completed N more rounds, one for S seconds after S seconds.
package struct EventSchedule {
    package enum Directive: Equatable, Sendable {
        case kill(node: Int)
        case restart(node: Int)
        case pause(node: Int)
        case resume(node: Int)
        case partition(groups: [[Int]])
        case heal
        case join(node: Int)
        /// From round `fromRound` on: the event's round, or the round after the last completed one
        /// for an event timed in seconds (a node still finishing an earlier round sends it honest).
        case hostile(node: Int, behaviour: ScenarioEvent.HostileBehaviour, fromRound: Int)
    }

    /// A directive and the scenario event it carries out (nil: the end of a pause).
    package struct Due: Equatable, Sendable {
        package var event: Int?
        package var directive: Directive

        package init(event: Int?, directive: Directive) {
            self.event = event
            self.directive = directive
        }
    }

    private let events: [ScenarioEvent]
    private var next = 0
    private var nextJoin: Int
    private var pauses: [(node: Int, untilRound: Int?, untilSeconds: Double?)] = []

    package init(events: [ScenarioEvent], initialNodes: Int) {
        self.events = events
        nextJoin = initialNodes
    }

    /// Whether every event has fired and every pause has ended.
    package var finished: Bool { next == events.count && pauses.isEmpty }

    /// The directives due now, in order.
    package mutating func due(highestCompleted: Int, seconds: Double) -> [Due] {
        var out: [Due] = []
        while next < events.count {
            let event = events[next]
            switch event.when {
            case .round(let r): guard highestCompleted >= r - 1 else { return out + endedPauses(highestCompleted, seconds) }
            case .seconds(let s): guard seconds >= s else { return out + endedPauses(highestCompleted, seconds) }
            }
            out.append(Due(event: next, directive: directive(event.kind, when: event.when, highestCompleted: highestCompleted, seconds: seconds)))
            next += 1
        }
        return out + endedPauses(highestCompleted, seconds)
    }

    private mutating func directive(_ kind: ScenarioEvent.Kind, when: ScenarioEvent.When, highestCompleted: Int, seconds: Double) -> Directive {
        switch kind {
        case .kill(let i): return .kill(node: i)
        case .restart(let i): return .restart(node: i)
        case let .pause(i, length):
            switch length {
            case .rounds(let n): pauses.append((i, highestCompleted + n, nil))
            case .seconds(let s): pauses.append((i, nil, seconds + s))
            }
            return .pause(node: i)
        case .partition(let groups): return .partition(groups: groups)
        case .heal: return .heal
        case .join:
            nextJoin += 1
            return .join(node: nextJoin - 1)
        case let .hostile(i, behaviour):
            let from: Int
            switch when {
            case .round(let r): from = r
            case .seconds: from = highestCompleted + 1
            }
            return .hostile(node: i, behaviour: behaviour, fromRound: from)
        }
    }

    private mutating func endedPauses(_ highestCompleted: Int, _ seconds: Double) -> [Due] {
        var out: [Due] = []
        pauses.removeAll { p in
            let ended = (p.untilRound.map { highestCompleted >= $0 } ?? false) || (p.untilSeconds.map { seconds >= $0 } ?? false)
            if ended { out.append(Due(event: nil, directive: .resume(node: p.node))) }
            return ended
        }
        return out
    }
}
