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
