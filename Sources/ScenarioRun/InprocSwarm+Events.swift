import Gossip
import Scenario
import SwarmBase

/// The scenario's events in the virtual world, and the membership views they change.
///
/// Events happen in the file's order. A round-timed event happens at the virtual instant the first
/// node starts that round (before that node's steps are scheduled); a seconds-timed one at its
/// virtual time, but never before the event listed before it. A view change (a node killed,
/// restarted or joined, a partition or a heal) reaches every other running node
/// `detectionMilliseconds` later, as the set of running nodes it can reach at the time of the
/// event; until then a node waits for a dead neighbour up to its round deadline. A restarted or
/// joined node starts with the view of the moment. A paused node stays in every view (a straggler
/// is slow, not gone): its neighbours wait up to the deadline for it.
extension InprocSwarm {
    /// Fires the events that are due now (round-timed ones up to the highest round started) and
    /// queues the time of the next seconds-timed one.
    func fireDueEvents() {
        while nextEvent < scenario.events.count, !nextEventQueued {
            switch scenario.events[nextEvent].when {
            case .round(let r):
                guard UInt64(r) <= max(1, highestStarted) else { return }
                nextEvent += 1
                fire(nextEvent - 1)
            case .seconds(let s):
                let at = UInt64((s * 1e9).rounded())
                if at <= now {
                    nextEvent += 1
                    fire(nextEvent - 1)
                } else {
                    nextEventQueued = true
                    queue.schedule(.scenarioEvent(index: nextEvent), at: at)
                }
            }
        }
    }

    /// Carries out event `index` now. For a queued seconds-timed event, also moves past it.
    func fire(_ index: Int) {
        if index == nextEvent { nextEvent += 1 }
        let before = timeline.count
        defer {
            // A round-timed event is marked at the round the scenario names (the swarm's first node
            // has just started it), not at the lowest round a live node is in.
            if case .round(let r) = scenario.events[index].when {
                for k in before..<timeline.count where timeline[k].seenBy == nil { timeline[k].round = r }
            }
        }
        switch scenario.events[index].kind {
        case .kill(let i):
            let node = nodes[i]
            node.state = .dead
            node.machine = nil
            node.generation += 1
            node.pausedUntil = nil
            node.resetVolatile()
            timeline.append(entry(kind: "kill", node: i, detail: "node \(i) killed (last checkpoint: round \(node.checkpoint.round))"))
            viewsChanged()
            closeDueRounds()
        case .restart(let i):
            let node = nodes[i]
            node.restoreCheckpoint()
            node.generation += 1
            node.state = .running
            timeline.append(entry(kind: "restart", node: i,
                                  detail: "node \(i) restarts from its checkpoint of round \(node.checkpoint.round)"))
            begin(i, round: node.checkpoint.round + 1)
        case let .pause(i, length):
            let seconds: Double
            switch length {
            case .seconds(let s): seconds = s
            case .rounds(let r): seconds = Double(r * scenario.gossip.localSteps) * options.stepMilliseconds / 1000
            }
            let until = now + UInt64((seconds * 1e9).rounded())
            nodes[i].pausedUntil = until
            queue.schedule(.resume(node: i), at: until)
            timeline.append(entry(kind: "pause", node: i, detail: "node \(i) stalls for \(seconds) s"))
        case .partition(let groups):
            network.partition(groups)
            let text = groups.map { "[" + $0.map(String.init).joined(separator: ", ") + "]" }.joined(separator: " ")
            timeline.append(entry(kind: "partition", node: nil, detail: "the network splits into \(text)"))
            viewsChanged()
        case .heal:
            network.heal()
            timeline.append(entry(kind: "heal", node: nil, detail: "the partition ends"))
            viewsChanged()
        case .join:
            guard let i = nodes.first(where: { $0.state == .notStarted })?.index else { return }
            nodes[i].state = .running
            timeline.append(entry(kind: "join", node: i, detail: "node \(i) joins"))
            begin(i, round: 1)
        case let .hostile(i, behaviour):
            nodes[i].hostile = behaviour
            timeline.append(entry(kind: "hostile", node: i, detail: "node \(i) turns hostile: \(behaviour.rawValue)"))
        }
    }

    /// A node (re)starting now at `round`: its machine with the view of the moment, the others told later.
    private func begin(_ i: Int, round: UInt64) {
        let view = reachable(from: i)
        nodes[i].view = view
        nodes[i].resetVolatile()
        nodes[i].machine = GossipRound(id: nodes[i].id, settings: settings, round: round, alive: view.map(NodeID.simulated))
        viewsChanged(except: i)
        start(i)
    }

    /// The running nodes `i` can reach now (itself included), by index.
    func reachable(from i: Int) -> [Int] {
        nodes.filter { ($0.isRunning || $0.state == .finished) && network.connected(i, $0.index) }.map(\.index)
    }

    /// Tells every running node (but `skip`) its new view after the detection delay.
    private func viewsChanged(except skip: Int? = nil) {
        for node in nodes where node.isRunning && node.index != skip {
            queue.schedule(.view(node: node.index, generation: node.generation, alive: reachable(from: node.index)),
                           at: now + detectionNanoseconds)
        }
    }

    /// A node's view changes: the machine is told, the timeline gets who it saw go and come.
    func applyView(_ i: Int, _ alive: [Int]) {
        let old = Set(nodes[i].view), new = Set(alive)
        for gone in old.subtracting(new).sorted() {
            timeline.append(entry(kind: "dead", node: gone, seenBy: i, detail: "node \(i) no longer sees node \(gone)"))
        }
        for came in new.subtracting(old).sorted() {
            timeline.append(entry(kind: "alive", node: came, seenBy: i, detail: "node \(i) sees node \(came)"))
        }
        nodes[i].view = alive
        handle(i, nodes[i].machine!.membersChanged(alive: alive.map(NodeID.simulated), now: now))
    }
}
