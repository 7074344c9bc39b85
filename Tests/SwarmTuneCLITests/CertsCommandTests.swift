import Foundation
import Testing
import TestSupport
@testable import SwarmTuneCLI

/// `certs init` and `certs issue` create the directories they are given.
@Suite struct CertsCommandTests {
    @Test func initCreatesEveryMissingParentOfDir() throws {
        let dir = TemporaryDirectory()
        let certs = dir.file("a/b/certs")
        #expect(SwarmTuneCommand.main(["certs", "init", "--dir", certs, "--days", "2"]) == 0)
        #expect(FileManager.default.fileExists(atPath: certs + "/ca.crt"))
        #expect(FileManager.default.fileExists(atPath: certs + "/ca.key"))
        #expect(SwarmTuneCommand.main(["certs", "issue", "n1", "--dir", certs, "--days", "2"]) == 0)
        #expect(FileManager.default.fileExists(atPath: certs + "/nodes/n1.crt"))
        // A second init refuses to overwrite the keys.
        #expect(SwarmTuneCommand.main(["certs", "init", "--dir", certs]) == 1)
    }

    /// Run as a process so the working directory is its own (tests in this process run in parallel).
    @Test func initUnderARelativePathCreatesItFromTheWorkingDirectory() throws {
        let binary = TestEnvironment.swarmtune
        try #require(FileManager.default.isExecutableFile(atPath: binary.path), "build the swarmtune executable first")
        let dir = TemporaryDirectory()
        let process = Process()
        process.executableURL = binary
        process.arguments = ["certs", "init", "--dir", "a/b", "--days", "2"]
        process.currentDirectoryURL = dir.url
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(FileManager.default.fileExists(atPath: dir.file("a/b/ca.crt")))
    }
}
