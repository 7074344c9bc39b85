import Foundation
import SwarmBase
import Testing
import Tokenizer

/// Encoding speed on about 1 MB of varied text with the real vocabulary. Prints figures;
/// measure in release: `TOKENIZER_BENCH=1 swift test -c release --filter EncodeSpeed`.
@Suite("Encode speed", .enabled(if: ProcessInfo.processInfo.environment["TOKENIZER_BENCH"] != nil && RealModel.isAvailable, "set TOKENIZER_BENCH=1 (needs the real vocabulary)"))
struct EncodeSpeedTests {
    @Test func encodesAMegabyteQuickly() throws {
        let fixtures = try GoldenFixtures.load()
        var corpus = ""
        var index = 0
        while corpus.utf8.count < 1 << 20 {
            corpus += fixtures.cases[index % fixtures.cases.count].text + "\n"
            index += 1
        }
        var rng = SeededRandom(seed: 7)
        var random = ""
        while random.utf8.count < 1 << 20 { random += randomText(using: &rng) }

        let clock = ContinuousClock()
        let buildStart = clock.now
        let tokenizer = try RealModel.tokenizer()
        print("build: \(clock.now - buildStart)")
        for (name, text) in [("fixture mix", corpus), ("random scalars", random)] {
            for pass in ["cold cache", "warm cache"] {
                let start = clock.now
                let ids = tokenizer.encode(text)
                let elapsed = clock.now - start
                let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
                print("\(name), \(pass): \(text.utf8.count) bytes -> \(ids.count) tokens in \(elapsed) (\(String(format: "%.1f", Double(text.utf8.count) / seconds / 1e6)) MB/s)")
                #expect(seconds < 1.0)
            }
            let ids = tokenizer.encode(text)
            let start = clock.now
            let decoded = tokenizer.decode(ids)
            print("\(name), decode: \(clock.now - start)")
            let unencodable = Set(tokenizer.unencodableBytes)
            let streamed = ids.flatMap { tokenizer.decodeBytes($0) }
            let lossless = streamed == text.utf8.filter { !unencodable.contains($0) }
            #expect(lossless, "decoded bytes equal the encodable input bytes")
            #expect(decoded == String(decoding: streamed, as: UTF8.self))
        }
    }
}
