import Foundation
import SwarmNode

/// `swarmtune members`: the view a node last wrote to its state directory.
struct MembersCommand: Command {
    static let name = "members"
    static let summary = "list a node's members, status, incarnation, last heard"
    static let discussion = """
        Prints STATE/members.json, which a running node rewrites every probe period: this node,
        then every member known (tombstones included) with its status, incarnation and when it was
        last heard from directly, and the snapshot's age.
        """
    static let examples = ["members --state run/n1", "members --state run/n1 --json"]

    struct Options: Declarations {
        let state = Option.text("--state", "DIR", help: "the node's state directory", required: true)
        let json = Flag("--json", help: "print members.json as it is")
    }

    let stateDirectory: String
    let json: Bool

    init(_ d: Options, _ p: inout ParsedArguments) throws(CLIError) {
        stateDirectory = try p.value(d.state)
        json = p.flag(d.json)
    }

    func run() throws(CLIError) {
        let file: MembersFile
        do { file = try MembersFile.read(stateDirectory: stateDirectory) } catch { throw .failure(error.description) }
        if json {
            Output.out(try Output.json(file))
            return
        }
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let age = Double(now - file.writtenAtMs) / 1000
        Output.out("node \(file.node.id.prefix(12)) \(file.node.address) \(file.node.status) #\(file.node.incarnation)"
                   + " (snapshot \(String(format: "%.1f", age)) s old\(file.running ? "" : ", node stopped"))")
        let rows = [["ID", "ADDRESS", "STATUS", "INC", "LAST HEARD"]] + file.members.map { entry in
            [String(entry.id.prefix(12)), entry.address, entry.status, String(entry.incarnation),
             entry.lastHeardMs.map { String(format: "%.1f s ago", Double(now - $0) / 1000) } ?? "-"]
        }
        for line in Output.table(rows) { Output.out(line) }
        let alive = file.members.filter { $0.status == "alive" }.count
        Output.out("\(alive + (file.node.status == "alive" ? 1 : 0)) alive of \(file.members.count + 1) known")
    }
}
