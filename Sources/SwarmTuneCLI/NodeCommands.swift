import ModelIO
import SwarmNode

/// `swarmtune node` and `swarmtune members`: the SwarmNode runner's commands.
enum NodeCommands {
    static var help: String { NodeOptions.usage + "\n(swarmtune node also takes --core PATH instead of --core-hash: the hash of that GGUF file.)" }
    /// `--core PATH` is accepted in place of `--core-hash HEX`: the hash is computed from the file.
    static func runNode(_ args: inout Arguments) throws(CLIError) {
        if let core = try args.option("--core") {
            let file: GGUFModelFile
            do { file = try GGUFModelFile(path: core) } catch { throw .failure(error.description) }
            var rest = args.takeAll()
            rest += ["--core-hash", CoreHash.compute(file).hex]
            var rebuilt = Arguments(command: "node", rest)
            try run("node", &rebuilt)
            return
        }
        try run("node", &args)
    }
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
