import SwarmBase
import Testing
@testable import Transport

@Suite("Backoff")
struct BackoffTests {
    @Test("delays double up to the cap, stay within [ceiling/2, ceiling], and reset after success")
    func schedule() {
        var backoff = Backoff(initial: .milliseconds(100), maximum: .seconds(2), multiplier: 2)
        var random = SeededRandom(seed: 1)
        let expectedCeilings: [Duration] = [.milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800),
                                            .milliseconds(1600), .seconds(2), .seconds(2)]
        for ceiling in expectedCeilings {
            #expect(backoff.ceiling == ceiling)
            let delay = backoff.nextDelay(using: &random)
            #expect(delay >= ceiling / 2 && delay <= ceiling)
        }
        backoff.reset()
        #expect(backoff.ceiling == .milliseconds(100))
    }

    @Test("jitter spreads delays across the window")
    func jitterSpreads() {
        var random = SeededRandom(seed: 7)
        var delays = Set<Duration>()
        for _ in 0..<50 {
            var backoff = Backoff(initial: .seconds(1), maximum: .seconds(1))
            delays.insert(backoff.nextDelay(using: &random))
        }
        #expect(delays.count > 40)
        #expect(delays.min()! >= .milliseconds(500) && delays.max()! <= .seconds(1))
    }
}
