import Scenario
import ScenarioProcess
import Testing

/// The process backend's event timing, driven in virtual progress (rounds completed, seconds).
@Suite("Event schedule")
struct EventScheduleTests {
    typealias Directive = EventSchedule.Directive

    func schedule(_ events: [ScenarioEvent], nodes: Int = 4) -> EventSchedule {
        EventSchedule(events: events, initialNodes: nodes)
    }

    @Test("a round-timed event is due once some node has completed the round before it, and only once")
    func roundEventWaitsForThePreviousRound() {
        var s = schedule([ScenarioEvent(when: .round(3), kind: .kill(node: 1))])
        #expect(s.due(highestCompleted: 1, seconds: 100).isEmpty)
        #expect(s.due(highestCompleted: 2, seconds: 100).map(\.directive) == [.kill(node: 1)])
        #expect(s.due(highestCompleted: 3, seconds: 200).isEmpty)
        #expect(s.finished)
    }

    @Test("a hostile turn takes effect from its own round (from the next round when timed in seconds), so a late node's current frame stays honest")
    func hostileTurnCarriesItsRound() {
        var s = schedule([ScenarioEvent(when: .round(3), kind: .hostile(node: 0, behaviour: .nan)),
                          ScenarioEvent(when: .seconds(60), kind: .hostile(node: 2, behaviour: .replay))])
        #expect(s.due(highestCompleted: 2, seconds: 10).map(\.directive) == [.hostile(node: 0, behaviour: .nan, fromRound: 3)])
        #expect(s.due(highestCompleted: 4, seconds: 60).map(\.directive) == [.hostile(node: 2, behaviour: .replay, fromRound: 5)])
    }

    @Test("events fire in file order: a later event never fires before an earlier one that is not due")
    func eventsKeepFileOrder() {
        var s = schedule([ScenarioEvent(when: .seconds(50), kind: .kill(node: 0)),
                          ScenarioEvent(when: .round(2), kind: .restart(node: 0))])
        #expect(s.due(highestCompleted: 5, seconds: 10).isEmpty, "the restart waits for the kill listed before it")
        #expect(s.due(highestCompleted: 5, seconds: 50).map(\.directive) == [.kill(node: 0), .restart(node: 0)])
    }

    @Test("a pause for N rounds ends once the swarm completed N more rounds; one for S seconds after S seconds")
    func pausesEnd() {
        var s = schedule([ScenarioEvent(when: .round(2), kind: .pause(node: 3, length: .rounds(2))),
                          ScenarioEvent(when: .round(2), kind: .pause(node: 1, length: .seconds(30)))])
        #expect(s.due(highestCompleted: 1, seconds: 10).map(\.directive) == [.pause(node: 3), .pause(node: 1)])
        #expect(!s.finished)
        #expect(s.due(highestCompleted: 2, seconds: 39).isEmpty)
        #expect(s.due(highestCompleted: 3, seconds: 40) == [EventSchedule.Due(event: nil, directive: .resume(node: 3)),
                                                            EventSchedule.Due(event: nil, directive: .resume(node: 1))])
        #expect(s.finished)
    }

    @Test("joins take the next free node indices in event order")
    func joinsNumberFromTheInitialCount() {
        var s = schedule([ScenarioEvent(when: .round(2), kind: .join), ScenarioEvent(when: .round(3), kind: .join)], nodes: 5)
        #expect(s.due(highestCompleted: 2, seconds: 0).map(\.directive) == [.join(node: 5), .join(node: 6)])
    }
}
