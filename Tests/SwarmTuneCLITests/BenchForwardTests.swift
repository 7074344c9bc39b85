import Foundation
import Testing
import TestSupport
@testable import SwarmTuneCLI

@Suite struct BenchForwardTests {
    /// The prompt's ids were drawn from 100..<vocab: a core of 100 or fewer tokens (its
    /// llama.vocab_size, a file's value) trapped on the range. Run as the real executable.
    @Test("bench forward measures a core whose vocabulary is under 100 tokens instead of trapping")
    func benchForwardOnASmallVocabulary() throws {
        try #require(FileManager.default.isExecutableFile(atPath: CLISweepTests.binary.path), "build the swarmtune executable first")
        let dir = TemporaryDirectory()
        var tiny = TinyModel()
        tiny.vocabSize = 60
        _ = try tiny.write(to: dir.file("small-vocab.gguf"))
        let outcome = try CLISweepTests.run(["bench", "forward", "--model", dir.file("small-vocab.gguf"), "--prompt-tokens", "16",
                                             "--decode-tokens", "4", "--threads", "1", "--json"], in: dir.url)
        #expect(outcome.status == 0, "exit \(outcome.status): \(outcome.stderr)")
    }
}

@Suite struct BenchForwardRatioTests {
    static func row(_ engine: String, prefill: Double, decode: Double, round: Int?) -> BenchForward.Row {
        BenchForward.Row(engine: engine, prefillTokensPerSecond: prefill, decodeTokensPerSecond: decode, peakRSSBytes: 0,
                         threads: nil, isa: nil, round: round)
    }

    @Test("the median is the middle value, the mean of the middle two for an even count, and 0 for none")
    func medianOfOddEvenAndEmpty() {
        #expect(BenchRounds.median([3, 1, 2]) == 2)
        #expect(BenchRounds.median([4, 1, 3, 2]) == 2.5)
        #expect(BenchRounds.median([7]) == 7)
        #expect(BenchRounds.median([]) == 0)
    }

    @Test("each round's swarmtune figures are divided by the same round's engine figures, per engine, then the medians taken")
    func ratiosPairRoundsAndEngines() {
        let rows = [
            Self.row("swarmtune", prefill: 100, decode: 60, round: 1),
            Self.row("transformers", prefill: 50, decode: 10, round: 1),
            Self.row("llama.cpp", prefill: 200, decode: 60, round: 1),
            Self.row("swarmtune", prefill: 90, decode: 30, round: 2),
            Self.row("transformers", prefill: 45, decode: 15, round: 2),
            Self.row("llama.cpp", prefill: 90, decode: 20, round: 2),
            Self.row("swarmtune", prefill: 120, decode: 66, round: 3),
            Self.row("transformers", prefill: 40, decode: 11, round: 3),
            Self.row("llama.cpp", prefill: 0, decode: 60, round: 3),
        ]
        let ratios = BenchForward.ratios(rows)
        #expect(ratios.map(\.engine) == ["transformers", "llama.cpp"])
        #expect(ratios[0].prefill == [2, 2, 3] && ratios[0].medianPrefill == 2)
        #expect(ratios[0].decode == [6, 2, 6] && ratios[0].medianDecode == 6)
        #expect(ratios[1].prefill == [0.5, 1, 0], "an engine that measured nothing gives 0, not a division by zero")
        #expect(ratios[1].decode == [1, 1.5, 1.1] && ratios[1].medianDecode == 1.1)
    }

    @Test("one round without round numbers still pairs swarmtune with each engine")
    func singleRoundRatios() {
        let ratios = BenchForward.ratios([Self.row("swarmtune", prefill: 10, decode: 8, round: nil),
                                          Self.row("llama.cpp", prefill: 5, decode: 4, round: nil)])
        #expect(ratios.count == 1 && ratios[0].medianPrefill == 2 && ratios[0].medianDecode == 2)
    }
}

@Suite struct BenchTrainRatioTests {
    static func row(_ engine: String, _ tokensPerSecond: Double, round: Int?) -> BenchTrain.Row {
        BenchTrain.Row(engine: engine, tokensPerSecond: tokensPerSecond, secondsPerStep: 1, peakRSSBytes: 0, round: round)
    }

    @Test("each round's swarmtune tokens/s is divided by the same round's PyTorch + PEFT tokens/s; a reference that measured nothing is left out")
    func ratiosPairRounds() {
        let rows = [Self.row("swarmtune", 300, round: 1), Self.row("pytorch+peft", 150, round: 1),
                    Self.row("swarmtune", 280, round: 2), Self.row("pytorch+peft", 200, round: 2),
                    Self.row("swarmtune", 330, round: 3), Self.row("pytorch+peft", 0, round: 3)]
        #expect(BenchTrain.ratios(rows) == [2, 1.4])
        #expect(BenchTrain.ratios([Self.row("swarmtune", 300, round: nil), Self.row("pytorch+peft", 100, round: nil)]) == [3])
        #expect(BenchTrain.ratios([Self.row("swarmtune", 300, round: nil)]).isEmpty)
    }
}
