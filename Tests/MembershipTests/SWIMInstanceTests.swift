import Foundation
import Membership
import SwarmBase
import Testing

/// Direct event-by-event tests of one state machine.
@Suite("SWIM instance")
struct SWIMInstanceTests {
    static func member(_ index: Int) -> Member {
        Member(id: MembershipSimulation.id(of: index), address: MembershipSimulation.address(of: index))
    }

    /// Node 0 knowing nodes 1..<count as alive.
    static func instance(count: Int, settings: SWIMSettings = SWIMSettings()) -> SWIMInstance {
        SWIMInstance(id: MembershipSimulation.id(of: 0), address: MembershipSimulation.address(of: 0), settings: settings,
                     seed: 42, knownMembers: (1..<count).map(member))
    }

    static func envelope(from sender: Int, _ message: SWIMMessage, gossip: [MembershipUpdate] = []) -> SWIMEnvelope {
        SWIMEnvelope(sender: MembershipSimulation.id(of: sender), senderAddress: MembershipSimulation.address(of: sender),
                     message: message, gossip: gossip)
    }

    static func suspect(_ subject: Int, by suspector: Int, incarnation: UInt64 = 0) -> MembershipUpdate {
        MembershipUpdate(id: MembershipSimulation.id(of: subject), address: MembershipSimulation.address(of: subject),
                         incarnation: incarnation, status: .suspect, suspector: MembershipSimulation.id(of: suspector))
    }

    static func sends(_ directives: [SWIMDirective]) -> [(SWIMEnvelope, PeerAddress)] {
        directives.compactMap { if case let .send(envelope, address) = $0 { (envelope, address) } else { nil } }
    }

    @Test("independent confirmations shorten the suspicion timeout from max to min (Lifeguard)")
    func confirmationsShortenSuspicion() throws {
        let settings = SWIMSettings()
        var node = Self.instance(count: 10, settings: settings)
        let now = SWIMTime(nanoseconds: 5_000_000_000)
        let subject = MembershipSimulation.id(of: 9)
        let period = Double(MembershipSimulation.nanoseconds(settings.probeInterval))
        let n = Double(node.liveMemberCount)
        let minimum = settings.suspicionAlpha * max(1, log10(n)) * period
        let maximum = settings.suspicionBeta * minimum
        let expected = Double(settings.suspicionConfirmations)
        var deadlines: [Int64] = []
        for suspector in 1...5 {
            _ = node.receive(Self.envelope(from: suspector, .ack(sequence: 0), gossip: [Self.suspect(9, by: suspector)]), now: now)
            let deadline = try #require(node.suspicionDeadline(for: subject)).nanoseconds - now.nanoseconds
            deadlines.append(deadline)
            let confirmations = Double(suspector - 1)
            let lifeguard = max(minimum, maximum - (maximum - minimum) * log(confirmations + 1) / log(expected + 1))
            #expect(abs(Double(deadline) - lifeguard) < 1_000, "after \(suspector) suspectors")
        }
        #expect(Double(deadlines[0]) == maximum.rounded(.towardZero))
        #expect(zip(deadlines, deadlines.dropFirst()).allSatisfy { $0 >= $1 })
        #expect(deadlines[0] > deadlines[1] && deadlines[1] > deadlines[2] && deadlines[2] > deadlines[3])
        #expect(Double(deadlines[4]) == minimum.rounded(.towardZero))
        // The same suspector again is not an independent confirmation.
        _ = node.receive(Self.envelope(from: 2, .ack(sequence: 0), gossip: [Self.suspect(9, by: 1)]), now: now)
        #expect(try #require(node.suspicionDeadline(for: subject)).nanoseconds - now.nanoseconds == deadlines[4])
        #expect(node.member(subject)?.status == .suspect)
        _ = node.tick(now: now.advanced(nanoseconds: deadlines[4]))
        #expect(node.member(subject)?.status == .dead)
    }

    @Test("a suspected node refutes by raising its incarnation and gossiping alive")
    func refutesSuspicion() {
        var node = Self.instance(count: 5)
        let me = MembershipSimulation.id(of: 0)
        let healthBefore = node.localHealth
        _ = node.receive(Self.envelope(from: 1, .ping(sequence: 3, target: me), gossip: [Self.suspect(0, by: 1)]),
                         now: SWIMTime(nanoseconds: 10))
        #expect(node.myself.incarnation == 1)
        #expect(node.localHealth == healthBefore + 1)
        // The very next message carries the refutation.
        let replies = Self.sends(node.receive(Self.envelope(from: 2, .ping(sequence: 4, target: me)), now: SWIMTime(nanoseconds: 20)))
        let refutation = replies.first?.0.gossip.first { $0.id == me }
        #expect(refutation?.status == .alive)
        #expect(refutation?.incarnation == 1)
        // A stale suspicion (older incarnation) is ignored.
        _ = node.receive(Self.envelope(from: 3, .ack(sequence: 0), gossip: [Self.suspect(0, by: 3)]), now: SWIMTime(nanoseconds: 30))
        #expect(node.myself.incarnation == 1)
    }

    @Test("a restarted node jumps above the incarnation of its own tombstone")
    func restartedNodeOverridesTombstone() {
        var node = Self.instance(count: 1)
        let me = MembershipSimulation.id(of: 0)
        let tombstone = MembershipUpdate(id: me, address: MembershipSimulation.address(of: 0), incarnation: 41, status: .dead)
        let other = MembershipUpdate(id: MembershipSimulation.id(of: 1), address: MembershipSimulation.address(of: 1),
                                     incarnation: 0, status: .alive, metadata: MemberMetadata())
        _ = node.receive(Self.envelope(from: 1, .pushPull(.init(isResponse: true, join: false, members: [other, tombstone]))),
                         now: .zero)
        #expect(node.myself.incarnation == 42)
        #expect(node.myself.status == .alive)
        #expect(node.member(MembershipSimulation.id(of: 1))?.status == .alive)
    }

    @Test("alive with a higher incarnation overrides dead; the same incarnation does not")
    func aliveOverridesDeadOnlyWhenNewer() {
        var node = Self.instance(count: 4)
        let subject = MembershipSimulation.id(of: 3)
        func update(_ status: MemberStatus, _ incarnation: UInt64) -> MembershipUpdate {
            MembershipUpdate(id: subject, address: MembershipSimulation.address(of: 3), incarnation: incarnation, status: status)
        }
        _ = node.receive(Self.envelope(from: 1, .ack(sequence: 0), gossip: [update(.dead, 2)]), now: .zero)
        #expect(node.member(subject)?.status == .dead)
        _ = node.receive(Self.envelope(from: 1, .ack(sequence: 0), gossip: [update(.alive, 2)]), now: .zero)
        #expect(node.member(subject)?.status == .dead)
        _ = node.receive(Self.envelope(from: 1, .ack(sequence: 0), gossip: [update(.left, 2)]), now: .zero)
        #expect(node.member(subject)?.status == .left)
        _ = node.receive(Self.envelope(from: 1, .ack(sequence: 0), gossip: [update(.dead, 2)]), now: .zero)
        #expect(node.member(subject)?.status == .left)
        _ = node.receive(Self.envelope(from: 1, .ack(sequence: 0), gossip: [update(.alive, 3)]), now: .zero)
        #expect(node.member(subject)?.status == .alive)
        #expect(node.member(subject)?.incarnation == 3)
    }

    @Test("each update is piggy-backed lambda*ceil(log2(n+1)) times, then dropped")
    func retransmitLimit() {
        let settings = SWIMSettings()
        var node = Self.instance(count: 50, settings: settings)
        let me = MembershipSimulation.id(of: 0)
        let newcomer = MembershipUpdate(id: NodeID.named("newcomer"), address: try! PeerAddress(host: "newcomer", port: 1),
                                        incarnation: 0, status: .alive, metadata: MemberMetadata())
        _ = node.receive(Self.envelope(from: 1, .ack(sequence: 0), gossip: [newcomer]), now: .zero)
        let limit = settings.retransmitMultiplier * Int(ceil(log2(Double(node.liveMemberCount + 1))))
        var carried = 0
        for sequence in 0..<UInt32(limit * 3) {
            let replies = Self.sends(node.receive(Self.envelope(from: 2, .ping(sequence: sequence, target: me)), now: .zero))
            carried += replies.filter { $0.0.gossip.contains { $0.id == newcomer.id } }.count
        }
        #expect(carried == limit)
        #expect(node.pendingGossipCount == 0)
    }

    @Test("a relay answers a ping request with the target's ack, or with a nack after its timeout")
    func relayAcksOrNacks() {
        var relay = Self.instance(count: 4)
        let target = MembershipSimulation.id(of: 3)
        let request = Self.envelope(from: 1, .pingRequest(sequence: 77, target: target,
                                                          targetAddress: MembershipSimulation.address(of: 3)))
        let pings = Self.sends(relay.receive(request, now: .zero))
        guard case let .ping(relaySequence, pingedTarget)? = pings.first?.0.message else {
            Issue.record("relay did not ping the target")
            return
        }
        #expect(pingedTarget == target)
        #expect(pings.first?.1 == MembershipSimulation.address(of: 3))
        let forwarded = Self.sends(relay.receive(Self.envelope(from: 3, .ack(sequence: relaySequence)), now: SWIMTime(nanoseconds: 1_000)))
        #expect(forwarded.map(\.0.message) == [.ack(sequence: 77)])
        #expect(forwarded.first?.1 == MembershipSimulation.address(of: 1))

        // No ack this time: a nack once the relay timeout passes.
        _ = relay.receive(Self.envelope(from: 2, .pingRequest(sequence: 78, target: target,
                                                              targetAddress: MembershipSimulation.address(of: 3))), now: .zero)
        let early = Self.sends(relay.tick(now: SWIMTime.zero + .milliseconds(100)))
        #expect(!early.contains { $0.0.message == .nack(sequence: 78) })
        let late = Self.sends(relay.tick(now: SWIMTime.zero + relay.settings.relayTimeout))
        #expect(late.contains { $0.0.message == .nack(sequence: 78) && $0.1 == MembershipSimulation.address(of: 2) })
    }

    @Test("probing visits every member once per round in a shuffled order")
    func roundRobinProbing() {
        let count = 12
        var node = Self.instance(count: count)
        var now = SWIMTime.zero
        var timer: SWIMTime? = nil
        var targets: [NodeID] = []
        func record(_ directives: [SWIMDirective]) {
            var acks: [SWIMEnvelope] = []
            for directive in directives {
                if case let .setTimer(time) = directive { timer = time }
                if case let .send(envelope, _) = directive, case let .ping(sequence, target) = envelope.message {
                    targets.append(target)
                    acks.append(Self.envelope(from: Int(target.name.dropFirst(5))!, .ack(sequence: sequence)))
                }
            }
            // Answer every probe at once so that nobody is suspected.
            for ack in acks { record(node.receive(ack, now: now)) }
        }
        record(node.start(now: now))
        while targets.count < 3 * (count - 1), let next = timer {
            now = next
            timer = nil
            record(node.tick(now: now))
        }
        #expect(targets.count == 3 * (count - 1))
        guard targets.count >= 3 * (count - 1) else { return }
        let rounds = stride(from: 0, to: 3 * (count - 1), by: count - 1).map { Array(targets[$0..<$0 + count - 1]) }
        for round in rounds { #expect(Set(round).count == count - 1) }
        #expect(rounds[0] != rounds[1] || rounds[1] != rounds[2])
        #expect(node.localHealth == 0)
    }
}

extension SWIMTime {
    func advanced(nanoseconds: Int64) -> SWIMTime { SWIMTime(nanoseconds: self.nanoseconds + nanoseconds) }
}
