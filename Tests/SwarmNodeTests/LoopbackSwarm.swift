import SwarmBase
import Foundation
import Membership
import SwarmNode
import TestSupport
import Transport

/// In-process swarms on 127.0.0.1 for the loopback tests: one ephemeral CA, fast protocol periods.
final class LoopbackSwarm {
    static let core = Digest32(hex: String(repeating: "c0", count: 32))!
    static let otherCore = Digest32(hex: String(repeating: "c1", count: 32))!
    static let schema = Digest32(hex: String(repeating: "5c", count: 32))!

    let ca: SwarmCA
    let root: String
    let probePeriod: Duration
    private(set) var drivers: [MembershipDriver] = []
    private(set) var identities: [TLSIdentity] = []

    init(probePeriod: Duration = .milliseconds(150)) throws {
        ca = try SwarmCA.ephemeral()
        self.probePeriod = probePeriod
        root = FileManager.default.temporaryDirectory.appendingPathComponent("swarmnode-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    deinit {
        for driver in drivers where !driver.isStopped { driver.stop() }
        try? FileManager.default.removeItem(atPath: root)
    }

    func configuration(index: Int, core: Digest32 = LoopbackSwarm.core, listen: String = "127.0.0.1:0") -> MembershipDriverConfiguration {
        var configuration = MembershipDriverConfiguration(swarmID: "loopback-test", coreHash: core, schemaHash: Self.schema)
        configuration.swim = .scaled(probePeriod: probePeriod)
        configuration.transport.listenAddress = listen
        configuration.transport.closeLinger = .milliseconds(200)
        configuration.stateDirectory = "\(root)/node\(index)"
        configuration.leaveGrace = probePeriod * 6  // room for the news to spread on a loaded machine
        configuration.dialTimeout = probePeriod * 4
        return configuration
    }

    /// Starts `count` nodes: node 0 first (the seed), then the rest joining through it.
    func startNodes(_ count: Int) throws {
        for index in 0..<count {
            let identity = try ca.makeIdentity(name: "node\(index)")
            try startNode(identity: identity, configuration: configuration(index: index))
        }
    }

    /// Starts one more node joining through node 0 (if any); returns its index.
    @discardableResult
    func startNode(identity: TLSIdentity, configuration: MembershipDriverConfiguration) throws -> Int {
        let driver = try MembershipDriver(identity: identity, configuration: configuration)
        let seeds = drivers.first?.myself.map { [$0.address] } ?? []
        try driver.start(seeds: seeds)
        drivers.append(driver)
        identities.append(identity)
        return drivers.count - 1
    }

    /// Replaces a stopped node by a new driver with its identity, state directory and address.
    func restart(_ index: Int) throws {
        guard let address = drivers[index].myself?.address else { throw TestFailure("node \(index) never started") }
        let driver = try MembershipDriver(identity: identities[index],
                                          configuration: configuration(index: index, listen: address.description))
        try driver.start(seeds: index == 0 ? [] : [drivers[0].myself!.address])
        drivers[index] = driver
    }

    /// Running nodes other than `excluded`.
    func others(than excluded: Int) -> [MembershipDriver] {
        drivers.enumerated().filter { $0.offset != excluded && !$0.element.isStopped }.map(\.element)
    }

    func aliveCount(seenBy driver: MembershipDriver) -> Int {
        driver.members.filter { $0.member.status == .alive }.count
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Polls `condition` every 10 ms until it holds or `timeout` (stretched by
/// `TestEnvironment.slowdown` for an instrumented build) passes; returns the time it took, or nil.
func waitUntil(timeout: Duration, _ condition: () -> Bool) -> Duration? {
    let clock = ContinuousClock()
    let timeout = timeout * TestEnvironment.slowdown
    let start = clock.now
    while clock.now - start < timeout {
        if condition() { return clock.now - start }
        usleep(10_000)
    }
    return condition() ? clock.now - start : nil
}
