import Foundation
import Gossip
import Scenario
import SwarmBase
import Transport

/// A process run's directory before the nodes start: a swarm CA and one certificate per node (its
/// key 0600), each node's private data as JSONL, and a port per node.
///
///     DIR/certs/{ca.crt, ca.key, nodes/node-I.{crt,key}}
///     DIR/nodes/node-I/private.jsonl     node I's training data (never leaves the node)
///     DIR/nodes/node-I/state/            node I's SQLite state (written by the node)
///     DIR/nodes/node-I/node.log          node I's output, every run of it appended
///
/// Node I's key is drawn until its node id falls in the I-th of `totalNodes` equal slices of the id
/// space, so the ids sort as the indices do: every node then lays the topology over the members
/// in index order and sums its neighbours in index order, as the inproc backend does.
struct SwarmWorkspace {
    let directory: String
    let nodeIDs: [NodeID]
    /// Node I listens on hosts[I]:ports[I] (loopback with a port each, or its namespace's address).
    let hosts: [String]
    let ports: [Int]

    var certificates: String { directory + "/certs" }
    func nodeDirectory(_ i: Int) -> String { "\(directory)/nodes/node-\(i)" }
    func dataPath(_ i: Int) -> String { nodeDirectory(i) + "/private.jsonl" }
    func stateDirectory(_ i: Int) -> String { nodeDirectory(i) + "/state" }
    func logPath(_ i: Int) -> String { nodeDirectory(i) + "/node.log" }
    /// Node I's fault control file (`--fault-control`): the links a partition cuts, and whether
    /// the node is hostile.
    func faultControlPath(_ i: Int) -> String { nodeDirectory(i) + "/faults" }
    /// An explicit topology's edges by node id, what every node's `--edges` reads.
    var edgesPath: String { directory + "/edges.txt" }

    /// Writes an explicit topology's edges (node indices become the nodes' ids) to `edgesPath`;
    /// nothing for a rule topology.
    func writeEdges(_ topology: TopologySpec) throws(ProcessRunError) {
        guard case .edges(let list) = topology else { return }
        let edges = Set(list.compactMap { NeighbourEdge(nodeIDs[$0.a], nodeIDs[$0.b]) })
        let text = "# the scenario's explicit topology: node-A node-B by certificate id, one edge per line\n" + EdgeListFile.render(edges)
        do { try FileIO.writeAtomically(Array(text.utf8), to: edgesPath) } catch {
            throw .setup(what: edgesPath, reason: error.description)
        }
    }
    func name(_ i: Int) -> String { "node-\(i)" }
    func address(_ i: Int) -> String { "\(hosts[i]):\(ports[i])" }

    /// Creates the directory (refusing one that holds a run's state already), the certificates
    /// (node I's naming hosts[I]) and the data files.
    static func create(directory: String, data: ScenarioData, hosts: [String], ports: [Int]) throws(ProcessRunError) -> SwarmWorkspace {
        guard FileIO.kind(of: directory + "/nodes") == .missing else {
            throw .setup(what: directory, reason: "it holds an earlier run's nodes/; remove it or name another --out")
        }
        let totalNodes = hosts.count
        var ids: [NodeID] = []
        do {
            try FileIO.makeDirectories(directory)
            let ca = try SwarmCA.initialize(dir: directory + "/certs", commonName: "SwarmTune scenario CA", days: 30)
            for i in 0..<totalNodes {
                let slice = Self.slice(i, of: totalNodes)
                let issued = try ca.issue(name: "node-\(i)", hosts: [hosts[i]], days: 30, attempts: 200 * totalNodes) { id in
                    slice.contains(Int(id.digest.bytes[0]) << 8 | Int(id.digest.bytes[1]))
                }
                ids.append(issued.nodeID)
            }
        } catch let e as CertificateError {
            throw .setup(what: directory + "/certs", reason: e.description)
        } catch {
            throw .setup(what: directory, reason: "\(error)")
        }
        let workspace = SwarmWorkspace(directory: directory, nodeIDs: ids, hosts: hosts, ports: ports)
        for i in 0..<totalNodes {
            let lines = data.nodes[i].map { $0.record.jsonLine + "\n" }.joined()
            do {
                try FileIO.makeDirectories(workspace.nodeDirectory(i))
                try FileIO.writeAtomically(Array(lines.utf8), to: workspace.dataPath(i), mode: 0o600)
            } catch {
                throw .setup(what: workspace.dataPath(i), reason: error.description)
            }
        }
        return workspace
    }

    /// The ids (their first two bytes, 0..<65536) of node `i` of `n`.
    static func slice(_ i: Int, of n: Int) -> Range<Int> {
        (i * 65_536 / n)..<((i + 1) * 65_536 / n)
    }
}

/// Free TCP ports on a local address.
enum LoopbackPorts {
    /// `count` ports from `base` on, or free ones the kernel picks.
    static func ports(count: Int, host: String, base: Int?) throws(ProcessRunError) -> [Int] {
        guard let base else { return try free(count: count, host: host) }
        guard base > 0, base + count <= 65_535 else {
            throw .setup(what: "ports", reason: "\(base) + \(count) nodes does not fit below 65535")
        }
        return (0..<count).map { base + $0 }
    }

    /// `count` distinct ports the kernel picks, all bound at once and then released.
    static func free(count: Int, host: String) throws(ProcessRunError) -> [Int] {
        var sockets: [Int32] = []
        defer { for fd in sockets { close(fd) } }
        var ports: [Int] = []
        for _ in 0..<count {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw .setup(what: "ports on \(host)", reason: "socket: \(Errno.current)") }
            sockets.append(fd)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr(host)
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let ok = withUnsafeMutablePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
            }
            guard ok else { throw .setup(what: "ports on \(host)", reason: "bind: \(Errno.current)") }
            ports.append(Int(UInt16(bigEndian: address.sin_port)))
        }
        return ports
    }
}
