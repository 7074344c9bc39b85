import Foundation
import Glibc

/// The netns backend's network (docs/SCENARIOS.md, "The netns backend"): every node in its own
/// Linux network namespace, joined by a veth pair to a bridge in one more namespace the run
/// creates; nothing is made in the root namespace. Node I has the address `address(I)` on a
/// private subnet that exists only inside these namespaces, and its interface `eth0`.
///
///     swt-PID-br   lo, br0 (bridge), v0 ... vN-1 (the bridge's ends of the veth pairs)
///     swt-PID-nI   lo, eth0 = 10.213.x.y/16 (node I's end)
///
/// Names carry the supervisor's pid, so runs never collide; `remove()` deletes every namespace
/// the run made (their veths and the bridge go with them) and is called on every way out of a
/// run, failures and SIGINT/SIGTERM included. `sweepStale()` removes namespaces of runs whose
/// supervisor no longer exists (one killed with SIGKILL could not clean up).
final class NetnsNetwork {
    /// Where the netns names start: `swt-PID-`.
    static let prefix = "swt-"
    let ip: String
    let run: String
    let nodes: Int
    /// Namespaces created so far (removed by `remove`).
    private(set) var created: [String] = []

    var bridgeNamespace: String { run + "br" }
    func namespace(_ i: Int) -> String { run + "n\(i)" }

    /// Node I's address: 10.213.0.10 onwards, on 10.213.0.0/16.
    static func address(_ i: Int) -> String {
        let n = i + 10
        return "10.213.\(n / 256).\(n % 256)"
    }

    /// What this machine lacks for the netns backend (one line), or nil when it has it all:
    /// root, the `ip` command, network namespace support.
    static func missing(euid: uid_t = geteuid(), ip: String? = NetnsNetwork.ipCommand()) -> String? {
        guard euid == 0 else {
            return "the netns backend needs root to create network namespaces (running as uid \(euid)); run it as root or use --backend process"
        }
        guard ip != nil else {
            return "the netns backend needs the 'ip' command (iproute2), found in none of \(searchPath.joined(separator: ", "))"
        }
        guard FileManager.default.fileExists(atPath: "/proc/self/ns/net") else {
            return "the netns backend needs network namespaces: this kernel has no /proc/self/ns/net"
        }
        return nil
    }

    static let searchPath = ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]

    /// The path of `ip`, if installed.
    static func ipCommand() -> String? {
        searchPath.map { $0 + "/ip" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Creates the namespaces, the bridge and one veth pair per node, with addresses; on a
    /// failure removes what it made and throws naming the command.
    init(nodes: Int, ip: String) throws(ProcessRunError) {
        self.ip = ip
        self.nodes = nodes
        run = Self.prefix + "\(getpid())-"
        do {
            try add(bridgeNamespace)
            try command(["-n", bridgeNamespace, "link", "set", "lo", "up"])
            try command(["-n", bridgeNamespace, "link", "add", "br0", "type", "bridge"])
            try command(["-n", bridgeNamespace, "link", "set", "br0", "up"])
            for i in 0..<nodes {
                let ns = namespace(i)
                try add(ns)
                try command(["-n", bridgeNamespace, "link", "add", "v\(i)", "type", "veth", "peer", "name", "eth0", "netns", ns])
                try command(["-n", bridgeNamespace, "link", "set", "v\(i)", "master", "br0"])
                try command(["-n", bridgeNamespace, "link", "set", "v\(i)", "up"])
                try command(["-n", ns, "addr", "add", Self.address(i) + "/16", "dev", "eth0"])
                try command(["-n", ns, "link", "set", "eth0", "up"])
                try command(["-n", ns, "link", "set", "lo", "up"])
            }
        } catch {
            remove()
            throw error
        }
    }

    private func add(_ name: String) throws(ProcessRunError) {
        try command(["netns", "add", name])
        created.append(name)
    }

    /// The command line that runs `arguments` in node I's namespace.
    func launch(_ i: Int, executable: String, arguments: [String]) -> (executable: String, arguments: [String]) {
        (ip, ["netns", "exec", namespace(i), executable] + arguments)
    }

    /// Deletes every namespace this run made (and with them its veths and bridge). Idempotent.
    func remove() {
        for name in created.reversed() { _ = try? command(["netns", "del", name]) }
        created = []
    }

    /// The run's namespaces that exist now (for tests and checks).
    static func existing(prefix: String, ip: String) -> [String] {
        guard let out = try? Self.output(ip, ["netns", "list"]) else { return [] }
        return out.split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) }.filter { $0.hasPrefix(prefix) }
    }

    /// Removes namespaces left by runs whose supervisor (the pid in the name) is gone.
    static func sweepStale(ip: String) {
        for name in existing(prefix: prefix, ip: ip) {
            let pid = name.dropFirst(prefix.count).prefix { $0.isNumber }
            guard let n = Int32(pid), n != getpid(), kill(n, 0) != 0, errno == ESRCH else { continue }
            _ = try? output(ip, ["netns", "del", name])
        }
    }

    @discardableResult
    private func command(_ arguments: [String]) throws(ProcessRunError) -> String {
        try Self.output(ip, arguments)
    }

    /// Runs a command to its end; its output, or an error naming the command and its stderr.
    static func output(_ executable: String, _ arguments: [String]) throws(ProcessRunError) -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let line = ([executable] + arguments).joined(separator: " ")
        do { try process.run() } catch { throw .setup(what: "the network namespaces", reason: "\(line): \(error.localizedDescription)") }
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let why = String(decoding: stderr, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw .setup(what: "the network namespaces", reason: "\(line): \(why.isEmpty ? "exit status \(process.terminationStatus)" : why)")
        }
        return String(decoding: stdout, as: UTF8.self)
    }
}
