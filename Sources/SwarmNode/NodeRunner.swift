import Foundation
import Glibc
import Membership
import SwarmBase
import Transport

/// The membership-only node's commands (`node`, `members`, `certs`), kept in the library so the
/// executable is one line and the lead can move them into the real CLI.
public enum NodeRunner {
    /// Runs a command line (without the program name); returns the exit code (0 ok, 1 failure, 2 usage).
    public static func main(_ arguments: [String]) -> Int32 {
        guard let command = arguments.first, command != "--help", command != "-h" else {
            print(NodeOptions.usage)
            return arguments.isEmpty ? 2 : 0
        }
        let rest = Array(arguments.dropFirst())
        if rest.contains("--help") || rest.contains("-h") {
            print(NodeOptions.usage)
            return 0
        }
        do {
            switch command {
            case "node":
                return try runNode(try NodeOptions.parse(rest))
            case "members":
                var reader = OptionReader(rest)
                let state = try reader.required("--state")
                let json = reader.flag("--json")
                try reader.finish()
                return try showMembers(stateDirectory: state, json: json)
            case "certs":
                var reader = OptionReader(rest)
                let directory = try reader.required("--dir")
                let names = reader.positionals()
                try reader.finish()
                guard !names.isEmpty else { throw UsageError("certs needs at least one node NAME") }
                return try issueCertificates(directory: directory, names: names)
            default:
                throw UsageError("unknown command '\(command)' (expected node, members or certs)")
            }
        } catch let error as UsageError {
            printError("error: \(error)\n\(NodeOptions.usage)")
            return 2
        } catch {
            printError("error: \(error)")
            return 1
        }
    }

    /// Runs a node until SIGTERM or SIGINT, then leaves gracefully.
    public static func runNode(_ options: NodeOptions) throws -> Int32 {
        // Block the stop signals before any thread exists, so every thread inherits the mask and the
        // main thread alone receives them through sigwait.
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGTERM)
        sigaddset(&signals, SIGINT)
        pthread_sigmask(SIG_BLOCK, &signals, nil)

        let identity: TLSIdentity
        do { identity = try TLSIdentity.load(certsDirectory: options.certsDirectory, node: options.name) } catch {
            throw NodeError.transport(.certificate(error))
        }
        var seeds: [PeerAddress] = []
        if let file = options.peersFile {
            let text = try String(contentsOfFile: file, encoding: .utf8)
            seeds = try PeersFile.parse(text, file: file)
        }
        for join in options.joins { seeds.append(try PeerAddress(parsing: join)) }

        var configuration = MembershipDriverConfiguration(swarmID: options.swarmID, coreHash: options.coreHash,
                                                          schemaHash: options.schemaHash)
        let period = Duration.milliseconds(options.probePeriodMilliseconds)
        configuration.swim = .scaled(probePeriod: period)
        configuration.swim.suspicionAlpha = options.suspicionAlpha
        configuration.swim.suspicionBeta = options.suspicionBeta
        configuration.transport.listenAddress = options.listen
        configuration.transport.advertisedAddress = options.advertise
        configuration.stateDirectory = options.stateDirectory
        configuration.leaveGrace = max(.milliseconds(500), period * 2)

        let driver = try MembershipDriver(identity: identity, configuration: configuration) { change in
            switch change {
            case let .changed(member, previous):
                log("member \(member.id.short) \(member.address) \(previous.map { "\($0) -> " } ?? "new: ")\(member.status) #\(member.incarnation)")
            case .forgotten(let id):
                log("member \(id.short) forgotten")
            }
        }
        let myself = try driver.start(seeds: seeds)
        log("node \(myself.id.short) listening on \(myself.address), incarnation \(myself.incarnation), period \(options.probePeriodMilliseconds) ms, seeds [\(seeds.map(\.description).joined(separator: ", "))]")

        var received: Int32 = 0
        sigwait(&signals, &received)
        log("signal \(received): leaving")
        driver.leave()
        log("left (incarnation \(driver.myself?.incarnation ?? 0))")
        return 0
    }

    /// Prints the view in `STATE_DIR/members.json`.
    public static func showMembers(stateDirectory: String, json: Bool) throws -> Int32 {
        let file = try MembersFile.read(stateDirectory: stateDirectory)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(file), as: UTF8.self))
            return 0
        }
        let now = WallClock.milliseconds()
        let age = Double(now - file.writtenAtMs) / 1000
        print("node \(file.node.id.prefix(12)) \(file.node.address) \(file.node.status) #\(file.node.incarnation)"
              + " (snapshot \(String(format: "%.1f", age)) s old\(file.running ? "" : ", node stopped"))")
        let rows = [["ID", "ADDRESS", "STATUS", "INC", "LAST HEARD"]] + file.members.map { entry in
            [String(entry.id.prefix(12)), entry.address, entry.status, String(entry.incarnation),
             entry.lastHeardMs.map { String(format: "%.1f s ago", Double(now - $0) / 1000) } ?? "-"]
        }
        let widths = (0..<5).map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            print(row.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
                .joined(separator: "  "))
        }
        let alive = file.members.filter { $0.status == "alive" }.count
        print("\(alive + (file.node.status == "alive" ? 1 : 0)) alive of \(file.members.count + 1) known")
        return 0
    }

    /// Creates the CA in `directory` if missing, then issues each node certificate not yet there.
    public static func issueCertificates(directory: String, names: [String]) throws -> Int32 {
        let layout = CertificateLayout(directory: directory)
        let ca = FileManager.default.fileExists(atPath: layout.caCertificate)
            ? try SwarmCA.load(dir: directory) : try SwarmCA.initialize(dir: directory)
        for name in names {
            if FileManager.default.fileExists(atPath: layout.nodeCertificate(name)) {
                print("\(name): exists, kept")
                continue
            }
            let issued = try ca.issue(name: name, hosts: ["127.0.0.1", "localhost"])
            print("\(name): node id \(issued.nodeID.hex)")
        }
        return 0
    }

    private static func log(_ line: String) {
        let stamp = String(format: "%.3f", Double(WallClock.milliseconds()) / 1000)
        writeAll("[\(stamp)] \(line)\n", to: 1)
    }

    private static func printError(_ text: String) {
        writeAll(text + "\n", to: 2)
    }

    /// One unbuffered write per line, so lines from several threads never interleave.
    private static func writeAll(_ text: String, to fd: Int32) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 && errno == EINTR { continue }
            if written <= 0 { return }
            offset += written
        }
    }
}
