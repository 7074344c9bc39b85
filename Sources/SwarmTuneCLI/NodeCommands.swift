import SwarmNode

/// `swarmtune node` and `swarmtune members`: the SwarmNode runner's commands.
enum NodeCommands {
    static var help: String { NodeOptions.usage }
    static func runNode(_ args: inout Arguments) throws(CLIError) { try run("node", &args) }
    static func runMembers(_ args: inout Arguments) throws(CLIError) { try run("members", &args) }

    static func run(_ command: String, _ args: inout Arguments) throws(CLIError) {
        let code = NodeRunner.main([command] + args.takeAll())
        switch code {
        case 0: return
        case 2: throw .usage(command: command, message: "invalid arguments (see above)")
        default: throw .failure("\(command) failed (see above)")
        }
    }
}
