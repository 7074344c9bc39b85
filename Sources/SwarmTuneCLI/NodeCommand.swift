import Foundation
import Membership
import SwarmBase
import ModelIO
import SwarmNode
import Transport

/// `swarmtune node`: a membership-only node, SWIM over mutual TLS until SIGTERM/SIGINT.
struct NodeCommand: Command {
    static let name = "node"
    static let summary = "run a node: SWIM membership over mutual TLS (training rounds not yet)"
    static let discussion = """
        Runs SWIM membership over mutual TLS until SIGTERM/SIGINT, then leaves gracefully (grace:
        two probe periods, at least 0.5 s) and exits 0. Writes STATE/membership.json (id,
        incarnation) and STATE/members.json (the view, every period; 'swarmtune members' prints it).
        Logs each membership change with a wall-clock stamp. Peers must share the swarm id and the
        core hash. Suspicion lasts between alpha and alpha x beta probe periods (Lifeguard); the
        node defaults 2 and 3 detect a crashed peer in 3-5 s at a 1 s period on loopback (docs/NODE.md).
        """
    static let examples = [
        "node --certs certs --name seed --listen 127.0.0.1:7000 --state run/seed --swarm-id lab --core models/SmolLM2-135M-Instruct.Q4_1.gguf",
        "node --certs certs --name n1 --listen 127.0.0.1:7001 --state run/n1 --join 127.0.0.1:7000 --swarm-id lab --core-hash \(String(repeating: "c0", count: 32))",
    ]
    static let defaultSuspicionAlpha = 2.0
    static let defaultSuspicionBeta = 3.0

    struct Options: Declarations {
        let certs = Option.text("--certs", "DIR", help: "the certificate directory (ca.crt, nodes/NAME.crt and .key)", required: true)
        let name = Option.text("--name", "NAME", help: "the node's certificate name (from 'swarmtune certs issue NAME')", required: true)
        let listen = Option.address("--listen", help: "the address to listen on", required: true)
        let state = Option.text("--state", "DIR", help: "the node's state directory (one per node)", required: true)
        let peers = Option.text("--peers", "FILE", help: "a file of seed addresses (HOST:PORT per line); or give --join")
        let join = Option.address("--join", help: "a seed to join through", repeatable: true)
        let swarmID = Option.text("--swarm-id", "ID", help: "the swarm's name; peers of another swarm are refused", required: true)
        let coreHash = Option.digest("--core-hash", help: "the core hash (SHA-256 of the core, 'swarmtune info' prints it); or give --core")
        let core = Option.text("--core", "PATH", help: "a GGUF core whose hash is used as --core-hash")
        let schemaHash = Option.digest("--schema-hash", help: "the adapter schema hash peers must share (default: 64 zeros)")
        let advertise = Option.address("--advertise", help: "what peers should dial, when it differs from --listen (e.g. listening on 0.0.0.0)")
        let probePeriod = Option.integer("--probe-period-ms", "MS", help: "SWIM probe period in milliseconds", default: 1000, range: 10...60_000)
        let alpha = Option.number("--suspicion-alpha", help: "Lifeguard alpha: suspicion lasts at least alpha x max(1, log10 n) periods",
                                  default: NodeCommand.defaultSuspicionAlpha, range: 0.5...100)
        let beta = Option.number("--suspicion-beta", help: "Lifeguard beta: the longest suspicion (no confirmations) is beta x the shortest",
                                 default: NodeCommand.defaultSuspicionBeta, range: 1...100)
    }

    let certsDirectory: String
    let nodeName: String
    let listen: String
    let stateDirectory: String
    let peersFile: String?
    let joins: [String]
    let swarmID: String
    let coreHash: Digest32?
    let corePath: String?
    let schemaHash: Digest32
    let advertise: String?
    let probePeriodMilliseconds: Int
    let suspicionAlpha: Double
    let suspicionBeta: Double

    init(_ d: Options, _ p: inout ParsedArguments) throws(CLIError) {
        certsDirectory = try p.value(d.certs)
        nodeName = try p.value(d.name)
        listen = try p.value(d.listen)
        stateDirectory = try p.value(d.state)
        peersFile = try p.optional(d.peers)
        joins = try p.values(d.join)
        swarmID = try p.value(d.swarmID)
        coreHash = try p.optional(d.coreHash)
        corePath = try p.optional(d.core)
        schemaHash = try p.optional(d.schemaHash) ?? .zero
        advertise = try p.optional(d.advertise)
        probePeriodMilliseconds = try p.value(d.probePeriod)
        suspicionAlpha = try p.value(d.alpha)
        suspicionBeta = try p.value(d.beta)
    }

    func validate() throws(CLIError) {
        if peersFile != nil && !joins.isEmpty { throw .usage(command: Self.name, message: "give either --peers FILE or --join HOST:PORT, not both") }
        if coreHash == nil && corePath == nil { throw .usage(command: Self.name, message: "missing required option --core-hash (or --core PATH)") }
        if coreHash != nil && corePath != nil { throw .usage(command: Self.name, message: "give either --core-hash HEX or --core PATH, not both") }
    }

    /// The driver's configuration for these options.
    func configuration(coreHash: Digest32) -> MembershipDriverConfiguration {
        var configuration = MembershipDriverConfiguration(swarmID: swarmID, coreHash: coreHash, schemaHash: schemaHash)
        let period = Duration.milliseconds(probePeriodMilliseconds)
        configuration.swim = .scaled(probePeriod: period)
        configuration.swim.suspicionAlpha = suspicionAlpha
        configuration.swim.suspicionBeta = suspicionBeta
        configuration.transport.listenAddress = listen
        configuration.transport.advertisedAddress = advertise
        configuration.stateDirectory = stateDirectory
        configuration.leaveGrace = max(.milliseconds(500), period * 2)
        return configuration
    }

    func run() throws(CLIError) {
        // Before any thread exists, so that this thread alone receives the stop signals.
        let signals = StopSignals.block()
        do {
            var hash = coreHash ?? .zero
            if let corePath {
                let file: GGUFModelFile
                do { file = try GGUFModelFile(path: corePath) } catch { throw CLIError.failure(error.description) }
                hash = CoreHash.compute(file)
            }
            let identity: TLSIdentity
            do { identity = try TLSIdentity.load(certsDirectory: certsDirectory, node: nodeName) } catch {
                throw NodeError.transport(.certificate(error))
            }
            var seeds: [PeerAddress] = []
            if let file = peersFile {
                let text = try String(contentsOfFile: file, encoding: .utf8)
                seeds = try PeersFile.parse(text, file: file)
            }
            for join in joins { seeds.append(try PeerAddress(parsing: join)) }
            let driver = try MembershipDriver(identity: identity, configuration: configuration(coreHash: hash)) { change in
                switch change {
                case let .changed(member, previous):
                    Self.log("member \(member.id.short) \(member.address) \(previous.map { "\($0) -> " } ?? "new: ")\(member.status) #\(member.incarnation)")
                case .forgotten(let id):
                    Self.log("member \(id.short) forgotten")
                }
            }
            let myself = try driver.start(seeds: seeds)
            Self.log("node \(myself.id.short) listening on \(myself.address), incarnation \(myself.incarnation), period \(probePeriodMilliseconds) ms, seeds [\(seeds.map(\.description).joined(separator: ", "))]")
            let received = signals.wait()
            Self.log("signal \(received): leaving")
            driver.leave()
            Self.log("left (incarnation \(driver.myself?.incarnation ?? 0))")
        } catch let error as CLIError {
            throw error
        } catch {
            throw .failure("\(error)")
        }
    }

    /// One stamped line on stdout, in one write (lines from several threads never interleave).
    static func log(_ line: String) {
        Output.out(String(format: "[%.3f] ", Date().timeIntervalSince1970) + line)
    }
}

extension Option where Value == String {
    /// A `HOST:PORT` address, checked when parsed and kept as written.
    static func address(_ name: String, help: String, required: Bool = false, repeatable: Bool = false) -> Option {
        .custom(name, "HOST:PORT", help: help, required: required, repeatable: repeatable) { text in
            do { _ = try PeerAddress(parsing: text); return .success(text) } catch {
                return .failure(ValueProblem("expects HOST:PORT: '\(text)': \(error)"))
            }
        }
    }
}

extension Option where Value == Digest32 {
    /// A SHA-256 digest as 64 hex digits.
    static func digest(_ name: String, help: String) -> Option {
        .custom(name, "HEX", help: help) { text in
            guard let digest = Digest32(hex: text) else { return .failure(ValueProblem("must be 64 hex digits (a SHA-256), got '\(text)'")) }
            return .success(digest)
        }
    }
}
