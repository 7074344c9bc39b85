import Foundation
import Synchronization

/// A child process (the real `swarmtune` executable) whose standard output and error are
/// collected line by line, so a test can wait for what it prints, signal it, and see how it ended.
public final class NodeProcess: @unchecked Sendable {
    public let name: String
    public let arguments: [String]
    private let process = Process()
    /// Shared with the reader thread.
    private final class Lines: Sendable { let value = Mutex<[String]>([]) }
    private let output = Lines()
    private let reader: Thread
    private let finished = DispatchSemaphore(value: 0)

    /// Starts `executable arguments`; `log`, when given, receives a copy of every line.
    public init(name: String, executable: URL, arguments: [String], log: String? = nil) throws {
        self.name = name
        self.arguments = arguments
        process.executableURL = executable
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        let handle = pipe.fileHandleForReading
        let lines = output
        let logHandle: FileHandle? = log.flatMap { path in
            FileManager.default.createFile(atPath: path, contents: nil)
            return FileHandle(forWritingAtPath: path)
        }
        let done = finished
        reader = Thread {
            var pending = Data()
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                logHandle?.write(chunk)
                pending.append(chunk)
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                    pending.removeSubrange(pending.startIndex...newline)
                    lines.value.withLock { $0.append(line) }
                }
            }
            if !pending.isEmpty { lines.value.withLock { $0.append(String(decoding: pending, as: UTF8.self)) } }
            try? logHandle?.close()
            done.signal()
        }
        try process.run()
        // The write end belongs to the child now: EOF on the read end means the child is gone.
        try? pipe.fileHandleForWriting.close()
        reader.start()
    }

    /// Every line printed so far.
    public var lines: [String] { output.value.withLock { $0 } }

    public var processIdentifier: Int32 { process.processIdentifier }

    /// Waits (polling every 20 ms) until `predicate` holds for the lines printed so far or the
    /// child exits; returns whether it held. `seconds` bounds the wait.
    @discardableResult
    public func wait(seconds: Double, until predicate: ([String]) -> Bool) -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if predicate(lines) { return true }
            if !process.isRunning { return predicate(lines) }
            usleep(20_000)
        }
        return predicate(lines)
    }

    /// Sends `signal` (SIGKILL: no handler runs, nothing is flushed or closed).
    public func signal(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// Waits for the exit (killing the child after `seconds`); returns the exit status, or nil
    /// when it had to be killed.
    public func waitForExit(seconds: Double) -> Int32? {
        let end = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < end { usleep(20_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            _ = finished.wait(timeout: .now() + 5)
            return nil
        }
        process.waitUntilExit()
        _ = finished.wait(timeout: .now() + 5)
        return process.terminationStatus
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

/// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, read back, closed).
public func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw POSIXError(.EMFILE) }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
    guard bound == 0 else { throw POSIXError(.EADDRINUSE) }
    _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
    return Int(UInt16(bigEndian: address.sin_port))
}
