import Membership
import SwarmBase
import Transport

/// Options of the membership-only node (`swarmnode-dev node ...`; later `swarmtune node`).
public struct NodeOptions: Sendable, Equatable {
    public var certsDirectory: String
    public var name: String
    public var listen: String
    /// What peers should dial, when it differs from `listen` (e.g. listening on 0.0.0.0).
    public var advertise: String?
    public var stateDirectory: String
    public var peersFile: String?
    public var joins: [String]
    public var swarmID: String
    public var coreHash: Digest32
    public var schemaHash: Digest32
    public var probePeriodMilliseconds: Int
    /// Lifeguard's alpha: the minimum suspicion timeout is alpha x max(1, log10 n) probe periods.
    public var suspicionAlpha: Double
    /// Lifeguard's beta: the maximum suspicion timeout (no independent confirmations) is beta x the minimum.
    public var suspicionBeta: Double

    public static let defaultSuspicionAlpha = 2.0
    public static let defaultSuspicionBeta = 3.0

    public static let usage = """
        USAGE: swarmnode-dev node --certs DIR --name NAME --listen HOST:PORT --state DIR
                                  [--peers FILE | --join HOST:PORT ...] --swarm-id ID --core-hash HEX
                                  [--schema-hash HEX] [--advertise HOST:PORT] [--probe-period-ms 1000]
                                  [--suspicion-alpha 2] [--suspicion-beta 3]
               swarmnode-dev members --state DIR [--json]
               swarmnode-dev certs --dir DIR NAME...

        node      runs SWIM membership over mutual TLS until SIGTERM/SIGINT, then leaves gracefully.
                  Writes DIR/membership.json (id, incarnation) and DIR/members.json (the view, every period).
        members   prints the view a running node last wrote to its state directory.
        certs     creates the swarm CA in DIR if missing and issues node certificates (127.0.0.1, localhost).

        EXAMPLE:
          swarmnode-dev certs --dir certs seed n1
          swarmnode-dev node --certs certs --name seed --listen 127.0.0.1:7000 --state run/seed \\
              --swarm-id lab --core-hash $(printf 'c0%.0s' {1..32})
          swarmnode-dev node --certs certs --name n1 --listen 127.0.0.1:7001 --state run/n1 \\
              --join 127.0.0.1:7000 --swarm-id lab --core-hash $(printf 'c0%.0s' {1..32})
          swarmnode-dev members --state run/n1
        """

    /// Parses the arguments after `node`.
    public static func parse(_ arguments: [String]) throws(UsageError) -> NodeOptions {
        var reader = OptionReader(arguments)
        let certs = try reader.required("--certs")
        let name = try reader.required("--name")
        let listen = try reader.required("--listen")
        let state = try reader.required("--state")
        let swarm = try reader.required("--swarm-id")
        let coreText = try reader.required("--core-hash")
        guard let core = Digest32(hex: coreText) else {
            throw UsageError("--core-hash must be 64 hex digits (SHA-256 of the core), got '\(coreText)'")
        }
        var schema = Digest32.zero
        if let text = try reader.option("--schema-hash") {
            guard let parsed = Digest32(hex: text) else { throw UsageError("--schema-hash must be 64 hex digits, got '\(text)'") }
            schema = parsed
        }
        var period = 1000
        if let text = try reader.option("--probe-period-ms") {
            guard let value = Int(text), (10...60_000).contains(value) else {
                throw UsageError("--probe-period-ms must be a whole number of milliseconds in 10...60000, got '\(text)'")
            }
            period = value
        }
        // Node defaults: suspicion of 2 to 6 periods (the simulation-tuned SWIMSettings use 4 x 6);
        // at a 1 s period this detects a crashed peer in 3-5 s on loopback (docs/NODE.md).
        var alpha = NodeOptions.defaultSuspicionAlpha
        if let text = try reader.option("--suspicion-alpha") {
            guard let value = Double(text), value >= 0.5, value <= 100 else {
                throw UsageError("--suspicion-alpha must be a number in 0.5...100 (suspicion lasts at least alpha periods), got '\(text)'")
            }
            alpha = value
        }
        var beta = NodeOptions.defaultSuspicionBeta
        if let text = try reader.option("--suspicion-beta") {
            guard let value = Double(text), value >= 1, value <= 100 else {
                throw UsageError("--suspicion-beta must be a number in 1...100 (maximum / minimum suspicion timeout), got '\(text)'")
            }
            beta = value
        }
        let advertise = try reader.option("--advertise")
        let peers = try reader.option("--peers")
        let joins = try reader.all("--join")
        if peers != nil && !joins.isEmpty { throw UsageError("give either --peers FILE or --join HOST:PORT, not both") }
        for address in joins + [listen] + (advertise.map { [$0] } ?? []) {
            do { _ = try PeerAddress(parsing: address) } catch { throw UsageError("'\(address)': \(error)") }
        }
        try reader.finish()
        return NodeOptions(certsDirectory: certs, name: name, listen: listen, advertise: advertise, stateDirectory: state,
                           peersFile: peers, joins: joins, swarmID: swarm, coreHash: core, schemaHash: schema,
                           probePeriodMilliseconds: period, suspicionAlpha: alpha,
                           suspicionBeta: beta)
    }
}

/// A command line that cannot be run as given; exit code 2.
public struct UsageError: Error, Equatable, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// `--name value` / `--name=value` options; `finish()` refuses anything left over.
struct OptionReader {
    private var items: [String]
    private var used: [Bool]

    init(_ items: [String]) {
        self.items = items
        used = Array(repeating: false, count: items.count)
    }

    mutating func flag(_ name: String) -> Bool {
        var found = false
        for index in items.indices where !used[index] && items[index] == name {
            used[index] = true
            found = true
        }
        return found
    }

    mutating func option(_ name: String) throws(UsageError) -> String? {
        var value: String?
        while let next = try take(name) { value = next }
        return value
    }

    mutating func all(_ name: String) throws(UsageError) -> [String] {
        var values: [String] = []
        while let next = try take(name) { values.append(next) }
        return values
    }

    mutating func required(_ name: String) throws(UsageError) -> String {
        guard let value = try option(name) else { throw UsageError("missing required option \(name)") }
        return value
    }

    /// Arguments not consumed by any option, in order.
    mutating func positionals() -> [String] {
        var result: [String] = []
        for index in items.indices where !used[index] && !items[index].hasPrefix("--") {
            used[index] = true
            result.append(items[index])
        }
        return result
    }

    func finish() throws(UsageError) {
        let left = items.indices.filter { !used[$0] }.map { items[$0] }
        if !left.isEmpty { throw UsageError("unexpected argument\(left.count == 1 ? "" : "s"): \(left.joined(separator: " "))") }
    }

    private mutating func take(_ name: String) throws(UsageError) -> String? {
        for index in items.indices where !used[index] {
            if items[index] == name {
                guard index + 1 < items.count, !used[index + 1] else { throw UsageError("option \(name) needs a value") }
                used[index] = true
                used[index + 1] = true
                return items[index + 1]
            }
            if items[index].hasPrefix(name + "=") {
                used[index] = true
                return String(items[index].dropFirst(name.count + 1))
            }
        }
        return nil
    }
}
