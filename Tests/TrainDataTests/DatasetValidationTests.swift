import Foundation
import SwarmBase
import Testing
@testable import TrainData

@Suite struct DatasetValidationTests {
    @Test func theThreeShapesLoadWithLineNumbers() throws {
        let instruction = try Dataset(jsonl: jsonl([
            #"{"instruction":"Add","input":"2 and 3","output":"5"}"#,
            "",
            #"{"instruction":"Greet","output":"Hello","id":7}"#,
            #"{"instruction":"Greet","input":null,"output":"Hi"}"#,
        ]), path: "i.jsonl")
        #expect(instruction.shape == .instruction)
        #expect(instruction.examples.map(\.line) == [1, 3, 4])
        #expect(instruction.examples[0].record == .instruction(instruction: "Add", input: "2 and 3", output: "5"))
        #expect(instruction.examples[1].record == .instruction(instruction: "Greet", input: "", output: "Hello"))

        let chat = try Dataset(jsonl: jsonl([#"{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello"}]}"#]), path: "c.jsonl")
        #expect(chat.shape == .chat)
        #expect(chat.examples[0].record == .chat([ChatTurn(role: .system, content: "Be brief."), ChatTurn(role: .user, content: "Hi"), ChatTurn(role: .assistant, content: "Hello")]))

        let text = try Dataset(jsonl: Array("\u{FEFF}{\"text\":\"one\"}\r\n\r\n  \n{\"text\":\"two\"}\n".utf8), path: "t.jsonl")
        #expect(text.examples == [DatasetExample(line: 1, record: .text("one")), DatasetExample(line: 4, record: .text("two"))])
    }

    @Test func everyBadLineIsReportedWithItsNumberInOneError() throws {
        let lines = [
            #"{"instruction":"ok","output":"fine"}"#,                        // 1
            #"{"instruction":"broken","output":"#,                            // 2 bad JSON
            #"["instruction","output"]"#,                                    // 3 not an object
            #"{"instruction":5,"output":"x"}"#,                              // 4 wrong type
            #"{"instruction":"no output"}"#,                                 // 5 missing field
            #"{"instruction":"empty","output":"  "}"#,                       // 6 empty output
            #"{"instruction":"x","input":3,"output":"y"}"#,                  // 7 input type
            #"{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"yo"}]}"#, // 8 mixed shape
            "",                                                              // 9 blank
            #"{"prompt":"x","completion":"y"}"#,                             // 10 unknown shape
            #"{"instruction":"x","output":"y","text":"z"}"#,                 // 11 ambiguous
            #"{"instruction":"ok again","output":"fine"}"#,                  // 12
        ]
        let (found, total) = try #require(issues(lines))
        #expect(total == 9)
        #expect(found.map(\.line) == [2, 3, 4, 5, 6, 7, 8, 10, 11])
        let byLine = Dictionary(uniqueKeysWithValues: found.map { ($0.line, $0.message) })
        #expect(byLine[2]!.hasPrefix("not valid JSON"))
        #expect(byLine[3]!.contains("must be a JSON object"))
        #expect(byLine[4] == "field 'instruction' must be a string, found a number")
        #expect(byLine[5] == "missing field 'output'")
        #expect(byLine[6] == "field 'output' is empty")
        #expect(byLine[7]!.contains("'input'"))
        #expect(byLine[8] == "is a chat record but line 1 is an instruction record; a file holds one shape")
        #expect(byLine[10]!.contains("none of the fields"))
        #expect(byLine[11]!.contains("mixes fields"))
    }

    @Test func chatRecordsAreCheckedMessageByMessage() throws {
        let lines = [
            #"{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"yo"}]}"#,
            #"{"messages":[{"role":"user","content":"hi"},{"role":"tool","content":"x"},{"role":"assistant","content":"yo"}]}"#,
            #"{"messages":[{"role":"user","content":"hi"}]}"#,
            #"{"messages":[]}"#,
            #"{"messages":"hi"}"#,
            #"{"messages":[{"role":"user"},{"role":"assistant","content":"yo"}]}"#,
            #"{"messages":[{"role":"user","content":["hi"]},{"role":"assistant","content":"yo"}]}"#,
            #"{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":""}]}"#,
            #"{"messages":[{"content":"hi"},{"role":"assistant","content":"yo"}]}"#,
            #"{"messages":[{"role":1,"content":"hi"},{"role":"assistant","content":"yo"}]}"#,
            #"{"messages":["hi"]}"#,
        ]
        let (found, total) = try #require(issues(lines))
        #expect(total == 10 && found.map(\.line) == Array(2...11))
        let messages = found.map(\.message)
        #expect(messages[0] == #"messages[1].role "tool" is not one of system, user, assistant"#)
        #expect(messages[1].contains("no assistant message"))
        #expect(messages[2] == "field 'messages' is empty")
        #expect(messages[3] == "field 'messages' must be an array, found a string")
        #expect(messages[4] == "messages[0] is missing 'content'")
        #expect(messages[5] == "messages[0].content must be a string, found an array")
        #expect(messages[6] == "messages[1] is an assistant message with empty content")
        #expect(messages[7] == "messages[0] is missing 'role'")
        #expect(messages[8] == "messages[0].role must be a string, found a number")
        #expect(messages[9] == "messages[0] must be an object, found a string")
    }

    @Test func enormousLinesAreRefusedWithoutParsing() throws {
        let long = #"{"text":""# + String(repeating: "x", count: 5000) + #""}"#
        let (found, total) = try #require(issues([#"{"text":"a"}"#, long, #"{"text":"b"}"#], limits: DatasetLimits(maxLineBytes: 4096)))
        #expect(total == 1)
        #expect(found == [RecordIssue(line: 2, message: "line is \(long.utf8.count) bytes, over the limit of 4096 bytes")])
    }

    @Test func theReportIsCappedButTheCountIsComplete() throws {
        let lines = (0..<120).map { $0 % 2 == 0 ? #"{"text":"ok"}"# : "{bad" }
        let (found, total) = try #require(issues(lines))
        #expect(total == 60)
        #expect(found.count == 50)
        #expect(found.first?.line == 2 && found.last?.line == 100)
        let error = TrainDataError.invalidRecords(path: "d.jsonl", issues: found, totalIssues: total)
        #expect(error.description.contains("d.jsonl:2: not valid JSON"))
        #expect(error.description.hasSuffix("... and 10 more"))
    }

    @Test func emptyFilesAndUnreadablePathsAreErrors() throws {
        #expect(throws: TrainDataError.noRecords(path: "e.jsonl")) { try Dataset(jsonl: Array("\n  \n".utf8), path: "e.jsonl") }
        #expect(throws: TrainDataError.noRecords(path: "e.jsonl")) { try Dataset(jsonl: [], path: "e.jsonl") }
        #expect(throws: TrainDataError.self) { try Dataset.load(path: "/nonexistent/data.jsonl") }
        #expect(throws: TrainDataError.fileTooLarge(path: "big", size: 100, limit: 10)) {
            try Dataset(jsonl: [UInt8](repeating: 0x20, count: 100), path: "big", limits: DatasetLimits(maxFileBytes: 10))
        }
    }

    @Test func loadsFromDisk() throws {
        let path = NSTemporaryDirectory() + "/traindata-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).jsonl"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(jsonl([#"{"text":"a"}"#, #"{"text":"b"}"#, "{oops"])).write(to: URL(fileURLWithPath: path))
        #expect {
            try Dataset.load(path: path)
        } throws: { error in
            guard case let .invalidRecords(p, issues, 1) = error as? TrainDataError else { return false }
            return p == path && issues.map(\.line) == [3]
        }
    }

    @Test func arbitraryBytesNeverCrashTheLoader() {
        var rng = SeededRandom(seed: 99)
        let alphabet = Array(#"{}[]":,\ntextinstructionoutputmessagesroleassistant0123 -"#.utf8) + [0xFF, 0xC3, 0x0D]
        for _ in 0..<300 {
            let bytes = (0..<rng.below(200)).map { _ in alphabet[rng.below(alphabet.count)] }
            _ = try? Dataset(jsonl: bytes, path: "fuzz")
        }
    }
}
