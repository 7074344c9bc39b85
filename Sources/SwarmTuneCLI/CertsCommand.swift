import Transport

/// `swarmtune certs init`: the swarm CA, through the OpenSSL API.
struct CertsInit: Command {
    static let name = "certs init"
    static let summary = "create the swarm CA (ca.crt, and ca.key with mode 0600) in --dir"
    static let discussion = "Existing keys are never overwritten."
    static let examples = ["certs init", "certs init --dir certs --days 3650"]
    /// What `swarmtune certs` says of itself (the group's help).
    static let groupDiscussion = """
        The swarm CA and node certificates for mutual TLS. Existing keys are never overwritten.
        certs/README.md explains how a swarm spanning several machines shares ca.crt and keeps
        ca.key offline.
        """

    struct Options: Declarations {
        let dir = Option.text("--dir", "DIR", help: "the certificate directory", default: "certs")
        let days = Option.integer("--days", help: "validity of the CA certificate in days", default: 3650, range: 1...36500)
    }

    let dir: String
    let days: Int

    init(_ d: Options, _ p: inout ParsedArguments) throws(CLIError) {
        dir = try p.value(d.dir)
        days = try p.value(d.days)
    }

    func run() throws(CLIError) {
        do {
            let ca = try SwarmCA.initialize(dir: dir, days: days)
            Output.out("created the swarm CA: \(ca.layout.caCertificate) (share it) and \(ca.layout.caKey) (keep it offline)")
        } catch { throw .failure(error.description) }
    }
}

/// `swarmtune certs issue NAME`: a node's key and certificate, signed by the swarm CA.
struct CertsIssue: Command {
    static let name = "certs issue"
    static let summary = "create a node's Ed25519 key and CA-signed certificate; prints its node id"
    static let discussion = """
        Writes nodes/NAME.key (mode 0600) and nodes/NAME.crt, valid for client and server
        authentication, with every --host as a subjectAltName. Prints the node id: the hex SHA-256
        of the certificate's public key, which peers see after the handshake. Existing keys are
        never overwritten.
        """
    static let examples = ["certs issue node-1 --host 127.0.0.1 --host node1.lan"]

    struct Options: Declarations {
        let name = Positional("NAME", help: "the node's name: letters, digits, '-', '_' and '.'")
        let hosts = Option.text("--host", "H", help: "an IP address or DNS name the node is reached at (default: 127.0.0.1 and localhost)", repeatable: true)
        let days = Option.integer("--days", help: "validity of the certificate in days", default: 825, range: 1...36500)
        let dir = Option.text("--dir", "DIR", help: "the certificate directory (holding the CA)", default: "certs")
    }

    let nodeName: String
    let hosts: [String]
    let days: Int
    let dir: String

    init(_ d: Options, _ p: inout ParsedArguments) throws(CLIError) {
        nodeName = try p.positional(d.name)!
        hosts = try p.values(d.hosts)
        days = try p.value(d.days)
        dir = try p.value(d.dir)
    }

    func validate() throws(CLIError) {
        guard nodeName.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }), !nodeName.hasPrefix(".") else {
            throw .usage(command: Self.name, message: "node name '\(nodeName)' may use letters, digits, '-', '_' and '.' only")
        }
    }

    func run() throws(CLIError) {
        do {
            let ca = try SwarmCA.load(dir: dir)
            let node = try ca.issue(name: nodeName, hosts: hosts.isEmpty ? ["127.0.0.1", "localhost"] : hosts, days: days)
            Output.out("issued \(node.certificatePath) and \(node.keyPath)")
            Output.out("node id: \(node.nodeID.hex)")
        } catch { throw .failure(error.description) }
    }
}
