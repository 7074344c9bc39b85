import Foundation
import Testing
import TestSupport
@testable import SwarmTuneCLI

/// `swarmtune scenario check` validates a file without running it.
@Suite struct ScenarioCheckCommandTests {
    static let quickstart = RealCore.repositoryRoot.appendingPathComponent("scenarios/quickstart.json").path

    @Test("scenario check accepts the shipped quickstart, with and without --data and --json")
    func acceptsQuickstart() {
        #expect(SwarmTuneCommand.main(["scenario", "check", Self.quickstart]) == 0)
        #expect(SwarmTuneCommand.main(["scenario", "check", Self.quickstart, "--data"]) == 0)
        #expect(SwarmTuneCommand.main(["scenario", "check", Self.quickstart, "--json"]) == 0)
    }

    @Test("scenario check fails (exit 1) on an invalid scenario and (exit 2) without a file")
    func refusesBroken() throws {
        let dir = TemporaryDirectory()
        try #"{"training": {"rounds": 3}, "events": [{"round": 4, "kind": "join"}]}"#.write(toFile: dir.file("x.json"), atomically: true, encoding: .utf8)
        #expect(SwarmTuneCommand.main(["scenario", "check", dir.file("x.json")]) == 1)
        #expect(SwarmTuneCommand.main(["scenario", "check"]) == 2)
    }

    @Test("scenario check fails when the data cannot be built, naming the data file")
    func refusesMissingData() throws {
        let dir = TemporaryDirectory()
        try #"{"data": {"source": "jsonl", "files": ["/nonexistent/d.jsonl"]}}"#.write(toFile: dir.file("x.json"), atomically: true, encoding: .utf8)
        #expect(SwarmTuneCommand.main(["scenario", "check", dir.file("x.json")]) == 0)
        #expect(SwarmTuneCommand.main(["scenario", "check", dir.file("x.json"), "--data"]) == 1)
    }
}
