import SwarmBase
import Testing

/// The link model (`LinkEmulator`) in virtual time: what the node's emulator and the inproc
/// backend's virtual network both apply.
@Suite("Link emulator") struct LinkEmulatorTests {
    static func conditions(latency: Double = 0, jitter: Double = 0, loss: Double = 0, mbit: Double? = nil) -> LinkConditions {
        LinkConditions(latencyMilliseconds: latency, jitterMilliseconds: jitter, loss: loss, bandwidthMegabits: mbit)
    }

    @Test("loss 0.02 over 20,000 frames loses about 2% of them, the same ones for the same seed")
    func lossRate() {
        let c = Self.conditions(latency: 50, loss: 0.02)
        func run(seed: UInt64) -> [Bool] {
            var e = LinkEmulator<Int>(random: SeededRandom(seed: seed))
            return (0..<20_000).map { k in e.arrival(on: 0, c, bytes: 100, now: UInt64(k) * 1_000_000) == nil }
        }
        let lost = run(seed: 7)
        let rate = Double(lost.filter { $0 }.count) / Double(lost.count)
        // Binomial(20000, 0.02): standard deviation 0.00099; allow 4 of them.
        #expect(abs(rate - 0.02) < 0.004, "lost \(rate)")
        #expect(run(seed: 7) == lost)
        #expect(run(seed: 8) != lost)
        var all = LinkEmulator<Int>(random: SeededRandom(seed: 1))
        #expect((0..<100).allSatisfy { _ in all.arrival(on: 0, Self.conditions(loss: 1), bytes: 1, now: 0) == nil })
    }

    @Test("delays lie in latency ... latency + jitter, spread over it, and one link's frames keep their order")
    func delaysAndOrder() {
        var e = LinkEmulator<Int>(random: SeededRandom(seed: 3))
        let c = Self.conditions(latency: 50, jitter: 20)
        var last: UInt64 = 0
        var delays: [UInt64] = []
        for k in 0..<2_000 {
            // Frames 1 ms apart: jitter 20 ms would reorder them if the link did not keep order.
            let now = UInt64(k) * 1_000_000
            let at = e.arrival(on: 0, c, bytes: 10, now: now)!
            #expect(at >= last, "frame \(k) overtook the one before it")
            #expect(at >= now + 50_000_000 && at <= max(last, now + 70_000_000))
            delays.append(at - now)
            last = at
        }
        // Spread sent 100 ms apart so order never holds a frame back: uniform over 50...70 ms.
        var f = LinkEmulator<Int>(random: SeededRandom(seed: 4))
        let free = (0..<2_000).map { k -> Double in
            let now = UInt64(k) * 100_000_000
            return Double(f.arrival(on: 0, c, bytes: 10, now: now)! - now) / 1e6
        }
        let mean = free.reduce(0, +) / Double(free.count)
        #expect(free.min()! >= 50 && free.max()! <= 70)
        #expect(abs(mean - 60) < 0.5, "mean delay \(mean) ms")
        #expect(free.min()! < 51 && free.max()! > 69)
    }

    @Test("bandwidth: a frame takes bytes·8 / rate on its link, back to back frames queue, other links do not wait")
    func bandwidth() {
        var e = LinkEmulator<String>(random: SeededRandom(seed: 5))
        let c = Self.conditions(latency: 10, mbit: 8)
        // `?? .max` (nil can match no figure): #expect on a UInt64? builds a thunk that reads 9 bytes
        // of an 8-byte slot, which AddressSanitizer reports (Swift 6.3.1; docs/FUZZING.md).
        #expect(c.serialisationNanoseconds(bytes: 1_000_000) == 1_000_000_000)
        #expect(e.arrival(on: "a", c, bytes: 1_000_000, now: 0) ?? .max == 1_010_000_000)
        #expect(e.arrival(on: "a", c, bytes: 500_000, now: 0) ?? .max == 1_510_000_000)
        #expect(e.arrival(on: "b", c, bytes: 1_000, now: 0) ?? .max == 1_000_000 + 10_000_000)
        // A link idle again starts from now.
        #expect(e.arrival(on: "a", c, bytes: 1_000, now: 5_000_000_000) ?? .max == 5_011_000_000)
        e.reset("a")
        #expect(e.arrival(on: "a", Self.conditions(), bytes: 1, now: 0) ?? .max == 0)
    }

    @Test("link specs: KEY:VALUE over a base, written back as the fields that differ; bad parts named")
    func specs() throws {
        let base = Self.conditions(latency: 50, loss: 0.02)
        let c = try LinkConditions(spec: "latency-ms:80,bandwidth-mbit:2.5", over: base)
        #expect(c == Self.conditions(latency: 80, loss: 0.02, mbit: 2.5))
        #expect(c.spec(over: base) == "latency-ms:80,bandwidth-mbit:2.5")
        #expect(try LinkConditions(spec: c.spec(), over: .ideal) == c)
        #expect(try LinkConditions(spec: Self.conditions(jitter: 0.25, loss: 0.125).spec(), over: base) == Self.conditions(jitter: 0.25, loss: 0.125))
        for (bad, says) in [("loss:2", "loss: a probability"), ("latency:5", "unknown key 'latency'"), ("loss", "not KEY:VALUE"),
                            ("loss:x", "'x' is not a number"), ("loss:0.1,loss:0.2", "given twice"),
                            ("bandwidth-mbit:0", "must be above 0"), ("latency-ms:-1", "between 0 and 60000")] {
            #expect(throws: LinkSpecError.self) { try LinkConditions(spec: bad, over: base) }
            do { _ = try LinkConditions(spec: bad, over: base) } catch { #expect(error.description.contains(says), "\(bad): \(error)") }
        }
    }
}
