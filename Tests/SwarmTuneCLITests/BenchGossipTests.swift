import Foundation
import Testing
import TestSupport
@testable import SwarmTuneCLI

@Suite struct BenchGossipTests {
    @Test("bench gossip runs node runtimes on a core and prints its figures as JSON")
    func benchGossipRunsOnATinyCore() throws {
        let dir = TemporaryDirectory()
        _ = try TinyModel().write(to: dir.file("tiny.gguf"))
        #expect(SwarmTuneCommand.main(["bench", "gossip", "--model", dir.file("tiny.gguf"), "--nodes", "2", "--rounds", "2",
                                       "--local-steps", "1", "--batch", "1", "--seq-len", "160", "--rank", "1", "--targets", "q",
                                       "--json"]) == 0)
        #expect(SwarmTuneCommand.main(["bench", "gossip", "--model", dir.file("missing.gguf")]) == 1)
        #expect(SwarmTuneCommand.main(["bench", "gossip", "--nodes", "1"]) == 2)
    }
}
