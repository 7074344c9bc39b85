import Foundation
import TestSupport
import Testing
@testable import SwarmTuneCLI

/// `swarmtune node --config FILE`: values in the file are checked by their options, and errors
/// name the file, the line and the key; the command line still wins and its errors name the flag.
@Suite struct NodeConfigFileTests {
    private let base = ["--certs", "certs", "--name", "n1", "--listen", "127.0.0.1:7001", "--state", "run/n1",
                        "--swarm-id", "lab", "--core", "m.gguf", "--data", "d.jsonl"]

    /// Writes `lines` as node.json (one JSON line each) and returns its path.
    private func file(_ lines: [String], in dir: TemporaryDirectory) throws -> String {
        let path = dir.file("node.json")
        try Data(lines.joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    private func error(_ arguments: [String]) -> CLIError? {
        do {
            _ = try NodeCommand.parse(arguments)
            return nil
        } catch {
            return error
        }
    }

    @Test("a value its option refuses is reported with the file, its line and the key", arguments: [
        (#""rank": 0"#, "rank: must be between 1 and 512, got 0"),
        (#""mode": "bogus""#, "mode: "),
        (#""wire-dtype": "f64""#, "wire-dtype: "),
        (#""lr": "fast""#, "lr: expects a number, got 'fast'"),
    ])
    func badValueNamesFileAndLine(field: String, message: String) throws {
        let dir = TemporaryDirectory("node-config")
        let path = try file(["{", #"  "rounds": 5,"#, "  \(field),", #"  "local-steps": 2"#, "}"], in: dir)
        let error = try #require(self.error(base + ["--config", path]))
        #expect(error.description.contains("\(path):3: \(message)"), "\(error)")
        #expect(error.exitCode == 2)
    }

    @Test("a bad item of a repeatable option names its index and line")
    func badArrayItemNamesIndex() throws {
        let dir = TemporaryDirectory("node-config")
        let path = try file(["{", #"  "join": ["#, #"    "127.0.0.1:7000","#, #"    "127.0.0.1""#, "  ]", "}"], in: dir)
        let error = try #require(self.error(base + ["--config", path]))
        #expect(error.description.contains("\(path):4: join[1]: "), "\(error)")
    }

    @Test("a command-line option wins over the file's bad value for it")
    func commandLineOverridesBadFileValue() throws {
        let dir = TemporaryDirectory("node-config")
        let path = try file(["{", #"  "rank": 0,"#, #"  "batch": 3"#, "}"], in: dir)
        let options = try NodeCommand.parse(base + ["--config", path, "--rank", "4"])
        #expect(options.training?.lora.rank == 4)
        #expect(options.training?.batch == 3)
    }

    @Test("a bad command-line value over a good file value is reported naming the flag, not the file")
    func badCommandLineValueNamesTheFlag() throws {
        let dir = TemporaryDirectory("node-config")
        let path = try file(["{", #"  "rank": 4"#, "}"], in: dir)
        let error = try #require(self.error(base + ["--config", path, "--rank=0"]))
        #expect(error.description.contains("option --rank must be between 1 and 512, got 0"), "\(error)")
        #expect(!error.description.contains("node.json"))
    }
}
