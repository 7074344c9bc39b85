import Transport

/// `swarmtune certs init|issue`: the swarm CA and node certificates, through the OpenSSL API.
enum CertsCommand {
    static let help = """
        USAGE: swarmtune certs init [--dir certs] [--days 3650]
               swarmtune certs issue NAME [--host H ...] [--days 825] [--dir certs]

        init   creates the swarm CA (ca.crt, and ca.key with mode 0600) in --dir.
        issue  creates a node's Ed25519 key (nodes/NAME.key, mode 0600) and certificate
               (nodes/NAME.crt) signed by the CA, valid for client and server authentication, with
               every --host (IP address or DNS name) as a subjectAltName. Prints the node id: the
               hex SHA-256 of the certificate's public key, which peers see after the handshake.
        Existing keys are never overwritten. certs/README.md explains how a swarm spanning several
        machines shares ca.crt and keeps ca.key offline.

        EXAMPLES:
          swarmtune certs init
          swarmtune certs issue node-1 --host 127.0.0.1 --host node1.lan
        """

    static func run(_ args: inout Arguments) throws(CLIError) {
        let action = try args.positional("an action (init or issue)")
        let dir = try args.option("--dir") ?? "certs"
        switch action {
        case "init":
            let days = try args.int("--days", default: 3650, range: 1...36500)!
            try args.finish()
            do {
                let ca = try SwarmCA.initialize(dir: dir, days: days)
                Output.out("created the swarm CA: \(ca.layout.caCertificate) (share it) and \(ca.layout.caKey) (keep it offline)")
            } catch { throw .failure(error.description) }
        case "issue":
            let name = try args.positional("NAME of the node")
            let hosts = try args.options("--host")
            let days = try args.int("--days", default: 825, range: 1...36500)!
            try args.finish()
            guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }), !name.hasPrefix(".") else {
                throw .usage(command: "certs", message: "node name '\(name)' may use letters, digits, '-', '_' and '.' only")
            }
            do {
                let ca = try SwarmCA.load(dir: dir)
                let node = try ca.issue(name: name, hosts: hosts.isEmpty ? ["127.0.0.1", "localhost"] : hosts, days: days)
                Output.out("issued \(node.certificatePath) and \(node.keyPath)")
                Output.out("node id: \(node.nodeID.hex)")
            } catch { throw .failure(error.description) }
        default:
            throw .usage(command: "certs", message: "unknown action '\(action)' (init, issue)")
        }
    }
}
