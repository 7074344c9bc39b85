/// Conditions of one directed link, or of every link: a scenario's `network` (docs/SCENARIOS.md),
/// the inproc backend's virtual network and the node's link emulator (`swarmtune node --link-*`)
/// all mean the same by these numbers (`LinkEmulator`).
public struct LinkConditions: Sendable, Equatable {
    public var latencyMilliseconds: Double
    public var jitterMilliseconds: Double
    /// Probability that a frame is lost, 0...1.
    public var loss: Double
    /// nil: unlimited.
    public var bandwidthMegabits: Double?

    /// A perfect link: no latency, no loss, unlimited bandwidth.
    public static let ideal = LinkConditions(latencyMilliseconds: 0, jitterMilliseconds: 0, loss: 0, bandwidthMegabits: nil)

    public init(latencyMilliseconds: Double, jitterMilliseconds: Double, loss: Double, bandwidthMegabits: Double?) {
        self.latencyMilliseconds = latencyMilliseconds
        self.jitterMilliseconds = jitterMilliseconds
        self.loss = loss
        self.bandwidthMegabits = bandwidthMegabits
    }

    /// Nanoseconds a frame of `bytes` occupies the link (bytes·8 / bandwidth); 0 when unlimited.
    public func serialisationNanoseconds(bytes: Int) -> UInt64 {
        guard let mbit = bandwidthMegabits else { return 0 }
        return UInt64((Double(bytes) * 8 / (mbit * 1e6) * 1e9).rounded())
    }
}

extension LinkConditions {
    /// The keys of a link's conditions, as scenario files and the node's `--link` spec write them.
    public static let fields = ["latency-ms", "jitter-ms", "loss", "bandwidth-mbit"]

    /// `latency-ms:50,jitter-ms:5,loss:0.02,bandwidth-mbit:100` (the fields that differ from
    /// `base`; every field when `base` is nil), as `swarmtune node --link` takes it.
    public func spec(over base: LinkConditions? = nil) -> String {
        var parts: [String] = []
        func number(_ x: Double) -> String { x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : "\(x)" }
        if base == nil || base!.latencyMilliseconds != latencyMilliseconds { parts.append("latency-ms:\(number(latencyMilliseconds))") }
        if base == nil || base!.jitterMilliseconds != jitterMilliseconds { parts.append("jitter-ms:\(number(jitterMilliseconds))") }
        if base == nil || base!.loss != loss { parts.append("loss:\(number(loss))") }
        if let bandwidthMegabits, base == nil || base!.bandwidthMegabits != bandwidthMegabits {
            parts.append("bandwidth-mbit:\(number(bandwidthMegabits))")
        }
        return parts.joined(separator: ",")
    }

    /// Parses `KEY:VALUE,...` (keys from `fields`), each missing field taken from `base`. The
    /// error says what is wrong with which part.
    public init(spec: String, over base: LinkConditions) throws(LinkSpecError) {
        self = base
        var seen: Set<String> = []
        for part in spec.split(separator: ",", omittingEmptySubsequences: false) {
            let pieces = part.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            guard pieces.count == 2 else { throw LinkSpecError("'\(part)' is not KEY:VALUE (keys: \(Self.fields.joined(separator: ", ")))") }
            let key = String(pieces[0]), text = String(pieces[1])
            guard Self.fields.contains(key) else { throw LinkSpecError("unknown key '\(key)' (keys: \(Self.fields.joined(separator: ", ")))") }
            guard seen.insert(key).inserted else { throw LinkSpecError("'\(key)' is given twice") }
            guard let value = Double(text), value.isFinite else { throw LinkSpecError("\(key): '\(text)' is not a number") }
            try Self.check(key, value)
            switch key {
            case "latency-ms": latencyMilliseconds = value
            case "jitter-ms": jitterMilliseconds = value
            case "loss": loss = value
            default: bandwidthMegabits = value
            }
        }
    }

    /// The range each field takes (the same as scenario files).
    public static func check(_ key: String, _ value: Double) throws(LinkSpecError) {
        switch key {
        case "latency-ms", "jitter-ms":
            guard (0...60_000).contains(value) else { throw LinkSpecError("\(key): must be between 0 and 60000, got \(value)") }
        case "loss":
            guard (0...1).contains(value) else { throw LinkSpecError("loss: a probability must be between 0 and 1, got \(value)") }
        default:
            guard value > 0, value <= 1_000_000 else { throw LinkSpecError("\(key): must be above 0 and at most 1000000, got \(value)") }
        }
    }
}

/// What is wrong with a link spec.
public struct LinkSpecError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// When frames sent over emulated links arrive, or whether they are lost: one definition of the
/// link model for the inproc backend's virtual network and the node's link emulator. A pure value
/// type: a seeded random stream and the caller's clock (nanoseconds), no I/O.
///
/// Per directed link: a frame of `bytes` starts once the link has finished sending the previous
/// one and occupies it for bytes·8 / bandwidth (lost frames too: they were sent); then it takes
/// `latency` plus a jitter drawn uniformly from 0...jitter. Frames of one link arrive in the order
/// sent (one TCP stream cannot reorder): arrival = max(the previous arrival on the link, the
/// sampled time). A frame is lost whole with probability `loss`. Two draws are taken per frame
/// (loss, then jitter), whatever the link, so one link's loss never shifts another's jitter.
public struct LinkEmulator<Link: Hashable & Sendable>: Sendable {
    private var random: SeededRandom
    /// Per link: when it is free to send again, and its last arrival.
    private var free: [Link: UInt64] = [:]
    private var lastArrival: [Link: UInt64] = [:]

    public init(random: SeededRandom) {
        self.random = random
    }

    /// When a frame of `bytes` sent at `now` over `link` with `conditions` arrives (ns, the
    /// caller's clock), or nil when it is lost.
    public mutating func arrival(on link: Link, _ conditions: LinkConditions, bytes: Int, now: UInt64) -> UInt64? {
        let lossDraw = random.nextDouble()
        let jitterDraw = random.nextDouble()
        let start = max(now, free[link] ?? 0) + conditions.serialisationNanoseconds(bytes: bytes)
        free[link] = start
        guard lossDraw >= conditions.loss else { return nil }
        let delay = (conditions.latencyMilliseconds + jitterDraw * conditions.jitterMilliseconds) * 1e6
        let arrival = max(start + UInt64(delay.rounded()), lastArrival[link] ?? 0)
        lastArrival[link] = arrival
        return arrival
    }

    /// Forgets a link's queue (its next frame starts fresh).
    public mutating func reset(_ link: Link) {
        free[link] = nil
        lastArrival[link] = nil
    }
}
