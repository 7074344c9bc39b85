import Testing
import SwarmBase

@Suite("JSON documents with located errors")
struct JSONDocumentTests {
    let text = """
    {
      "name": "ring",
      "training": {"rounds": 30, "lr": 2e-4},
      "events": [
        {"round": 5, "kill": [3]},
        {"round": 40}
      ]
    }
    """

    @Test("an error about a field's meaning names file, line and JSON path")
    func errorNamesFileLinePath() throws {
        let doc = try JSONDocument(bytes: Array(text.utf8), source: "scenarios/x.json")
        var top = try doc.fields()
        var training = try #require(try top.object("training"))
        let rounds = try #require(try training.int("rounds"))
        let events = try #require(try top.objects("events"))
        var last = events[1]
        let round = try #require(try last.int("round"))
        #expect(round > rounds)
        let error = doc.error(at: last.path.appending("round"), "\(round) is past training.rounds (\(rounds))")
        #expect(error.description == "scenarios/x.json:6: events[1].round: 40 is past training.rounds (30)")
    }

    @Test("a wrong type, an out-of-range value and an unknown key are refused with their path")
    func typedFieldErrors() throws {
        let doc = try JSONDocument(bytes: Array(text.utf8), source: "c.json")
        var top = try doc.fields()
        #expect(throws: JSONDocumentError(source: "c.json", line: 2, path: "name", message: "expected a whole number, found a string")) {
            try top.int("name")
        }
        var training = try #require(try top.object("training"))
        #expect(throws: JSONDocumentError(source: "c.json", line: 3, path: "training.rounds", message: "30 is outside 1...10")) {
            try training.int("rounds", in: 1...10)
        }
        #expect(throws: JSONDocumentError.self) { try training.finish() }  // "lr" was never read
        _ = try training.double("lr")
        try training.finish()
    }

    @Test("a syntax error names the file and line")
    func syntaxErrorLocated() {
        do {
            _ = try JSONDocument(bytes: Array("{\n  \"a\": 1,\n  \"b\" 2\n}".utf8), source: "n.json")
            Issue.record("expected a syntax error")
        } catch {
            #expect(error.source == "n.json")
            #expect(error.line == 3)
        }
    }

    @Test("a missing file is an error naming it")
    func missingFile() {
        #expect(throws: JSONDocumentError.self) { try JSONDocument(path: "/nonexistent/node.json") }
    }
}
