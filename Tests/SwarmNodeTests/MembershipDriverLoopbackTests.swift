import SwarmBase
import Foundation
import Membership
import Synchronization
import SwarmNode
import Testing
import Transport

/// Real nodes over TLS on 127.0.0.1 with a 150 ms protocol period.
@Suite(.serialized)
struct MembershipDriverLoopbackTests {
    @Test("8 nodes joining from one seed converge; a crash is detected by all; the restart rejoins higher")
    func convergeCrashRestart() throws {
        let swarm = try LoopbackSwarm()
        try swarm.startNodes(8)
        let converged = waitUntil(timeout: .seconds(10)) {
            swarm.drivers.allSatisfy { swarm.aliveCount(seenBy: $0) == 7 }
        }
        #expect(converged != nil, "views: \(swarm.drivers.map { swarm.aliveCount(seenBy: $0) })")
        print("8 nodes converged to 8 alive members in \(converged.map { "\($0)" } ?? "-")")

        // Crash node 5: close its transport without leaving.
        let victim = 5
        let victimID = swarm.drivers[victim].nodeID
        let before = try #require(swarm.drivers[victim].myself?.incarnation)
        swarm.drivers[victim].stop()
        let detected = waitUntil(timeout: .seconds(15)) {
            swarm.others(than: victim).allSatisfy { $0.member(victimID)?.status == .dead }
        }
        #expect(detected != nil, "views of the victim: \(swarm.others(than: victim).map { $0.member(victimID)?.status.description ?? "-" })")
        print("crash of 1 of 8 (period \(swarm.probePeriod)): dead at every other node after \(detected.map { "\($0)" } ?? "-")")

        // Restart with the same certificate and state directory.
        try swarm.restart(victim)
        let after = try #require(swarm.drivers[victim].myself?.incarnation)
        #expect(after > before)
        let rejoined = waitUntil(timeout: .seconds(10)) {
            swarm.others(than: victim).allSatisfy {
                guard let seen = $0.member(victimID) else { return false }
                return seen.status == .alive && seen.incarnation >= after
            }
        }
        #expect(rejoined != nil)
        print("restart: incarnation \(before) -> \(after), alive at every node after \(rejoined.map { "\($0)" } ?? "-")")
        let restarted = swarm.drivers[victim]
        #expect(waitUntil(timeout: .seconds(5)) { swarm.aliveCount(seenBy: restarted) == 7 } != nil)
        for driver in swarm.drivers { driver.stop() }
    }

    @Test("nodes of a foreign CA or another core hash never enter any member list")
    func foreignNodesStayOut() throws {
        let swarm = try LoopbackSwarm()
        try swarm.startNodes(3)
        #expect(waitUntil(timeout: .seconds(5)) { swarm.drivers.allSatisfy { swarm.aliveCount(seenBy: $0) == 2 } } != nil)
        let seed = try #require(swarm.drivers[0].myself?.address)
        let refusedBefore = swarm.drivers[0].transportStatistics.refused

        let foreignCA = try SwarmCA.ephemeral(commonName: "another swarm")
        let outsider = try MembershipDriver(identity: try foreignCA.makeIdentity(name: "outsider"),
                                            configuration: swarm.configuration(index: 10))
        try outsider.start(seeds: [seed])
        let otherCore = try MembershipDriver(identity: try swarm.ca.makeIdentity(name: "othercore"),
                                             configuration: swarm.configuration(index: 11, core: LoopbackSwarm.otherCore))
        try otherCore.start(seeds: [seed])

        // Both keep retrying the join (every 2 periods); give them several attempts.
        #expect(waitUntil(timeout: .seconds(5)) { swarm.drivers[0].transportStatistics.refused >= refusedBefore + 4 } != nil)
        usleep(UInt32(600_000))
        for driver in swarm.drivers {
            let ids = Set(driver.members.map(\.member.id))
            #expect(!ids.contains(outsider.nodeID))
            #expect(!ids.contains(otherCore.nodeID))
            #expect(ids.count == 2)
        }
        #expect(outsider.members.isEmpty)
        #expect(otherCore.members.isEmpty)
        outsider.stop()
        otherCore.stop()
        for driver in swarm.drivers { driver.stop() }
    }

    @Test("a graceful leave marks the leaver left at every other node")
    func gracefulLeave() throws {
        let swarm = try LoopbackSwarm()
        try swarm.startNodes(5)
        #expect(waitUntil(timeout: .seconds(8)) { swarm.drivers.allSatisfy { swarm.aliveCount(seenBy: $0) == 4 } } != nil)
        let leaver = 3
        let id = swarm.drivers[leaver].nodeID
        swarm.drivers[leaver].leave()
        let spread = waitUntil(timeout: .seconds(10)) {
            swarm.others(than: leaver).allSatisfy { $0.member(id)?.status == .left }
        }
        #expect(spread != nil, "views: \(swarm.others(than: leaver).map { $0.member(id)?.status.description ?? "-" })")
        // A left member is never declared dead later.
        usleep(UInt32(1_000_000))
        #expect(swarm.others(than: leaver).allSatisfy { $0.member(id)?.status == .left })
        let file = try MembersFile.read(stateDirectory: swarm.configuration(index: leaver).stateDirectory!)
        #expect(file.node.status == "left")
        #expect(file.running == false)
        for driver in swarm.drivers { driver.stop() }
    }

    @Test("a SWIM message claiming another sender than the TLS-verified peer is refused and counted")
    func forgedSenderIsDropped() throws {
        let swarm = try LoopbackSwarm()
        try swarm.startNodes(1)
        let target = swarm.drivers[0]
        let address = try #require(target.myself?.address)

        let impostorIdentity = try swarm.ca.makeIdentity(name: "impostor")
        let raw = try TransportNode(identity: impostorIdentity, swarmID: "loopback-test", coreHash: LoopbackSwarm.core,
                                    schemaHash: LoopbackSwarm.schema) { _ in }
        let rawAddress = try #require(try raw.start())
        try raw.dial(address.description, reconnect: false)
        try #require(waitUntil(timeout: .seconds(3)) { raw.connectedPeers.count == 1 } != nil)

        let claimed = try #require(NodeID(hex: String(repeating: "ab", count: 32)))
        let honest = impostorIdentity.nodeID
        let myAddress = try PeerAddress(parsing: rawAddress)
        func pushPull(as sender: NodeID) throws -> [UInt8] {
            let update = MembershipUpdate(id: sender, address: myAddress, incarnation: 0, status: .alive,
                                          metadata: MemberMetadata(coreHash: LoopbackSwarm.core.hex,
                                                                   adapterSchemaHash: LoopbackSwarm.schema.hex))
            let message = SWIMMessage.pushPull(.init(isResponse: true, join: false, members: [update]))
            return try SWIMCodec.encode(SWIMEnvelope(sender: sender, senderAddress: myAddress, message: message))
        }
        // The payload claims another sender than the certificate: the target's transport refuses it
        // (and closes the connection).
        try raw.send(.payload(Payload(kind: .membership, sender: claimed, body: try pushPull(as: claimed))), to: target.nodeID)
        #expect(waitUntil(timeout: .seconds(3)) { target.statistics.forgedSender == 1 } != nil)
        #expect(target.member(claimed) == nil)

        // The same message with the true sender is accepted: the check is on identity, not content.
        try #require(waitUntil(timeout: .seconds(3)) { raw.connectedPeers.isEmpty } != nil)
        try raw.dial(address.description, reconnect: false)
        try #require(waitUntil(timeout: .seconds(3)) { raw.connectedPeers.count == 1 } != nil)
        try raw.send(.membership, try pushPull(as: honest), to: target.nodeID)
        #expect(waitUntil(timeout: .seconds(3)) { target.member(honest)?.status == .alive } != nil)
        #expect(target.statistics.forgedSender == 1)
        raw.stop()
        target.stop()
    }
}

extension MembershipDriverLoopbackTests {
    final class DriverBox: @unchecked Sendable { var driver: MembershipDriver? }

    @Test("a change is told only once the published view holds it: a listener reading the members sees it")
    func changesAreToldAfterTheViewIsPublished() throws {
        let swarm = try LoopbackSwarm()
        try swarm.startNodes(2)
        let box = DriverBox()
        let seen = Mutex<(told: Int, stale: [String])>((0, []))
        let identity = try swarm.ca.makeIdentity(name: "listener")
        let driver = try MembershipDriver(identity: identity, configuration: swarm.configuration(index: 9), onChange: { change in
            guard case .changed(let member, _) = change, let view = box.driver?.members else { return }
            let published = view.first { $0.member.id == member.id }?.member
            seen.withLock {
                $0.told += 1
                if published?.status != member.status || published?.incarnation != member.incarnation {
                    $0.stale.append("\(member.id.short) told \(member.status)@\(member.incarnation), view \(published.map { "\($0.status)@\($0.incarnation)" } ?? "absent")")
                }
            }
        })
        box.driver = driver
        try driver.start(seeds: [swarm.drivers[0].myself!.address])
        #expect(waitUntil(timeout: .seconds(8)) { swarm.aliveCount(seenBy: driver) == 2 } != nil)
        // A crash and a restart: suspect, dead, alive at a higher incarnation, each told.
        swarm.drivers[1].stop()
        let id = swarm.drivers[1].nodeID
        #expect(waitUntil(timeout: .seconds(15)) { driver.member(id)?.status == .dead } != nil)
        try swarm.restart(1)
        #expect(waitUntil(timeout: .seconds(15)) { driver.member(id)?.status == .alive } != nil)
        driver.stop()
        let result = seen.withLock { $0 }
        #expect(result.told >= 4, "changes told: \(result.told)")
        #expect(result.stale.isEmpty, "told before the view held it: \(result.stale)")
        for d in swarm.drivers { d.stop() }
    }
}
