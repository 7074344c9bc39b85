import Foundation

/// One `swarmtune node` process of a run: started with its output appended to its log, signalled
/// by the supervisor (kill, stop, continue, terminate), and its log read as it grows.
final class NodeChild {
    let index: Int
    let logPath: String
    private let process: Process
    private let log: FileHandle
    /// Bytes of the log already read by `newLines`, and a partial last line.
    private var offset: UInt64
    private var partial = ""
    /// The supervisor killed it on purpose (a scenario's kill): its end is not a failure.
    private(set) var killed = false

    init(index: Int, executable: String, arguments: [String], logPath: String) throws(ProcessRunError) {
        self.index = index
        self.logPath = logPath
        if !FileManager.default.fileExists(atPath: logPath) {
            guard FileManager.default.createFile(atPath: logPath, contents: nil) else {
                throw .launch(node: index, reason: "cannot create its log \(logPath)")
            }
        }
        guard let log = FileHandle(forWritingAtPath: logPath) else { throw .launch(node: index, reason: "cannot write its log \(logPath)") }
        self.log = log
        offset = log.seekToEndOfFile()
        let header = "# " + ([executable] + arguments).joined(separator: " ") + "\n"
        log.write(Data(header.utf8))
        offset += UInt64(header.utf8.count)
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = log
        process.standardError = log
        do { try process.run() } catch {
            throw .launch(node: index, reason: "\(executable): \(error.localizedDescription)")
        }
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    /// How it ended, for a person: "exited with status 1", "was killed by signal 9".
    var ending: String {
        process.terminationReason == .uncaughtSignal
            ? "was killed by signal \(process.terminationStatus)" : "exited with status \(process.terminationStatus)"
    }

    /// Whether it ended on its own with success (meaningful once it is not running).
    var succeeded: Bool { process.terminationReason == .exit && process.terminationStatus == 0 }

    func kill() {
        killed = true
        Foundation.kill(pid, SIGKILL)
        process.waitUntilExit()
        try? log.close()
    }

    /// A straggler: SIGSTOP, then SIGCONT.
    func pause() { Foundation.kill(pid, SIGSTOP) }
    func resume() { Foundation.kill(pid, SIGCONT) }

    /// Asks it to re-read its fault control file (SIGHUP). A node that has not blocked SIGHUP yet
    /// (it is still starting, and SIGHUP would end it) is not signalled: it reads the file, already
    /// written, once it has.
    func reloadFaultControl() {
        guard isRunning, Self.blocks(SIGHUP, pid: pid) else { return }
        Foundation.kill(pid, SIGHUP)
    }

    /// Whether process `pid`'s main thread blocks `signal` (/proc/PID/status, `SigBlk`).
    static func blocks(_ signal: Int32, pid: Int32) -> Bool {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("SigBlk:") }),
              let mask = UInt64(line.dropFirst("SigBlk:".count).trimmingCharacters(in: .whitespaces), radix: 16) else { return false }
        return mask & (1 << UInt64(signal - 1)) != 0
    }

    /// Asks it to leave (SIGTERM, the node's graceful stop), then kills it after `grace` seconds.
    func stop(grace: Double) {
        guard isRunning else { return }
        Foundation.kill(pid, SIGCONT)
        Foundation.kill(pid, SIGTERM)
        let until = Date().addingTimeInterval(grace)
        while isRunning && Date() < until { usleep(50_000) }
        if isRunning { kill() }
    }

    /// Whole lines appended to the log since the last call.
    func newLines() -> [String] {
        guard let reader = FileHandle(forReadingAtPath: logPath) else { return [] }
        defer { try? reader.close() }
        reader.seek(toFileOffset: offset)
        let data = reader.readDataToEndOfFile()
        offset += UInt64(data.count)
        var text = partial + String(decoding: data, as: UTF8.self)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        partial = lines.removeLast()
        text = ""
        return lines
    }

    /// The log's last `count` lines.
    func tail(_ count: Int) -> [String] {
        guard let text = try? String(contentsOfFile: logPath, encoding: .utf8) else { return [] }
        return Array(text.split(separator: "\n").suffix(count).map(String.init))
    }
}
