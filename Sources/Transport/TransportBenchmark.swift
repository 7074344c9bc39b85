import SwarmBase
import Glibc
import Synchronization

/// Loopback measurements of the transport: bulk payload throughput over TLS (frames the size of a
/// round's factors) and small-frame round-trip latency. Two in-process nodes, each with its own I/O thread, fresh in-memory certificates.
public enum TransportBenchmark {
    public struct Options: Sendable {
        /// Body bytes per bulk payload frame.
        public var payloadBytes = 2 << 20
        /// Bulk frames sent one way for the throughput figure.
        public var frames = 512
        /// Round trips for the latency figure.
        public var roundTrips = 2000
        /// Bytes per small frame in the latency test.
        public var smallFrameBytes = 64
        /// Extra idle peers connected to the receiver during the latency test (cost of multiplexing).
        public var idlePeers = 0

        public init() {}
    }

    public struct Report: Sendable, CustomStringConvertible {
        public var payloadBytes: Int
        public var frames: Int
        public var seconds: Double
        /// Payload body bytes delivered per second.
        public var bytesPerSecond: Double
        public var roundTrips: Int
        public var idlePeers: Int
        public var medianRoundTripMicroseconds: Double
        public var p99RoundTripMicroseconds: Double
        /// Process CPU time (all threads, user + system) spent per GB during the throughput phase:
        /// a figure that holds even when other work shares the cores.
        public var cpuSecondsPerGB: Double

        public var description: String {
            let gbps = bytesPerSecond / 1e9
            return """
            payload throughput: \(frames) frames x \(payloadBytes) B in \(format(seconds)) s = \(format(gbps)) GB/s (CPU \(format(cpuSecondsPerGB)) s/GB)
            small-frame round trip (\(roundTrips), \(idlePeers) idle peers on the receiver): median \(format(medianRoundTripMicroseconds)) us, p99 \(format(p99RoundTripMicroseconds)) us
            """
        }

        private func format(_ value: Double) -> String {
            let scaled = (value * 100).rounded() / 100
            return String(scaled)
        }
    }

    public enum Failure: Error, CustomStringConvertible {
        case setup(String)
        case timedOut(String)

        public var description: String {
            switch self {
            case .setup(let detail): return "benchmark setup failed: \(detail)"
            case .timedOut(let detail): return "benchmark timed out: \(detail)"
            }
        }
    }

    /// Counts what the receiving side got; signals round trips.
    private final class Sink: Sendable {
        struct State {
            var bodyBytes = 0
            var frames = 0
            var pongs = 0
            var connected = false
        }
        let state = Mutex(State())
        let gate = Gate()

        func update(_ body: (inout State) -> Void) {
            state.withLock { body(&$0) }
            gate.advance()
        }

        /// Waits until `condition` holds; false after `seconds`.
        func wait(seconds: Double, _ condition: (State) -> Bool) -> Bool {
            let deadline = MonotonicClock.now() + UInt64(seconds * 1e9)
            while true {
                let seen = gate.generation
                if state.withLock({ condition($0) }) { return true }
                if MonotonicClock.now() >= deadline { return false }
                _ = gate.wait(past: seen, deadline: deadline)
            }
        }
    }

    private static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let user = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
        let system = Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
        return user + system
    }

    public static func run(_ options: Options = Options()) throws -> Report {
        let ca = try SwarmCA.ephemeral()
        let core = Digest32(unchecked: [UInt8](repeating: 1, count: 32))
        let schema = Digest32(unchecked: [UInt8](repeating: 2, count: 32))
        let sender = Sink()
        let receiver = Sink()
        var configuration = TransportConfiguration()
        configuration.maxFrameLength = max(Frame.defaultMaxLength, options.payloadBytes + 4096)
        configuration.maxQueuedBytesPerPeer = 2 * configuration.maxFrameLength + 64

        // Bulk payloads carry a 0 first byte; the receiver echoes the others, so the sender can time round trips.
        let echo = Mutex<TransportNode?>(nil)
        let b = try TransportNode(configuration: configuration, identity: ca.makeIdentity(name: "bench-b"),
                                  swarmID: "bench", coreHash: core, schemaHash: schema) { event in
            switch event {
            case .connected:
                receiver.update { $0.connected = true }
            case .received(let payload, _) where payload.body.first == 0:
                receiver.update { $0.bodyBytes += payload.body.count; $0.frames += 1 }
            case .received(let payload, let peer):
                if let node = echo.withLock({ $0 }) { try? node.send(.benchmark, payload.body, to: peer.nodeID) }
            default:
                break
            }
        }
        echo.withLock { $0 = b }
        let a = try TransportNode(configuration: configuration, identity: ca.makeIdentity(name: "bench-a"),
                                  swarmID: "bench", coreHash: core, schemaHash: schema) { event in
            switch event {
            case .connected: sender.update { $0.connected = true }
            case .received: sender.update { $0.pongs += 1 }
            default: break
            }
        }
        defer {
            a.stop()
            b.stop()
            echo.withLock { $0 = nil }
        }
        guard let address = try b.start() else { throw Failure.setup("receiver did not listen") }
        try a.start()
        try a.dial(address, expecting: b.nodeID, reconnect: false)
        guard sender.wait(seconds: 10, { $0.connected }), receiver.wait(seconds: 10, { $0.connected }) else {
            throw Failure.timedOut("nodes did not connect")
        }

        // Throughput: a fixed set of distinct bodies, so each frame is framed and encrypted for real.
        var random = SeededRandom(seed: 0x1234_5678)
        var bodies = [[UInt8]]()
        for _ in 0..<4 {
            var data = [UInt8](repeating: 0, count: max(1, options.payloadBytes))
            for i in stride(from: 8, to: data.count, by: 8) { data[i] = UInt8(truncatingIfNeeded: random.next()) }
            bodies.append(data)
        }
        let cpuStart = processCPUSeconds()
        let start = MonotonicClock.now()
        for round in 0..<options.frames {
            try a.send(.benchmark, bodies[round % bodies.count], to: b.nodeID, timeout: .seconds(30))
        }
        guard receiver.wait(seconds: 120, { $0.frames >= options.frames }) else {
            throw Failure.timedOut("receiver got \(receiver.state.withLock { $0.frames }) of \(options.frames) frames")
        }
        let seconds = Double(MonotonicClock.now() - start) / 1e9
        let delivered = receiver.state.withLock { $0.bodyBytes }
        let cpu = processCPUSeconds() - cpuStart

        // Idle peers: each its own node (and thread), connected to the receiver and silent.
        var idle = [TransportNode]()
        defer { for node in idle { node.stop() } }
        for index in 0..<options.idlePeers {
            let node = try TransportNode(configuration: configuration, identity: ca.makeIdentity(name: "idle-\(index)"),
                                         swarmID: "bench", coreHash: core, schemaHash: schema) { _ in }
            try node.start()
            try node.dial(address)  // persistent: a dial shed by the handshake limit is retried
            idle.append(node)
        }
        let deadline = MonotonicClock.now() + 30_000_000_000
        while b.connectedPeers.count < options.idlePeers + 1 {
            if MonotonicClock.now() > deadline { throw Failure.timedOut("idle peers did not connect") }
            usleep(10_000)
        }

        // Latency: one small frame out, its echo back, one at a time.
        var samples = [Double]()
        samples.reserveCapacity(options.roundTrips)
        let small = [UInt8](repeating: 7, count: max(1, options.smallFrameBytes))
        for trip in 0..<options.roundTrips {
            let t0 = MonotonicClock.now()
            try a.send(.benchmark, small, to: b.nodeID, timeout: .seconds(5))
            guard sender.wait(seconds: 5, { $0.pongs > trip }) else { throw Failure.timedOut("round trip \(trip)") }
            samples.append(Double(MonotonicClock.now() - t0) / 1000)
        }
        samples.sort()
        let median = samples.isEmpty ? 0 : samples[samples.count / 2]
        let p99 = samples.isEmpty ? 0 : samples[min(samples.count - 1, samples.count * 99 / 100)]
        return Report(payloadBytes: options.payloadBytes, frames: options.frames, seconds: seconds,
                      bytesPerSecond: Double(delivered) / seconds, roundTrips: options.roundTrips, idlePeers: options.idlePeers,
                      medianRoundTripMicroseconds: median, p99RoundTripMicroseconds: p99,
                      cpuSecondsPerGB: cpu / (Double(delivered) / 1e9))
    }
}
