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

    /// Random bytes and mutated valid files: each input loads (every example on a real, non-blank
    /// line, in order) or is refused with a TrainDataError naming the file and, for bad records,
    /// each bad line by a number inside the file. Both outcomes must occur.
    @Test func arbitraryBytesAreLoadedOrRefusedNamingFileAndLine() {
        var rng = SeededRandom(seed: 99)
        let alphabet = Array(#"{}[]":,\ntextinstructionoutputmessagesroleassistant0123 -"#.utf8) + [0xFF, 0xC3, 0x0D, 0x0A]
        let valid = jsonl([#"{"instruction":"Add","input":"2 and 3","output":"5"}"#, "", #"{"instruction":"Greet","output":"Hello"}"#,
                           #"{"instruction":"Sort","input":"b a","output":"a b"}"#])
        var loaded = 0, refusedRecords = 0
        for n in 0..<600 {
            var bytes: [UInt8]
            if n % 2 == 0 {
                bytes = (0..<rng.below(200)).map { _ in alphabet[rng.below(alphabet.count)] }
            } else {
                bytes = valid
                for _ in 0..<rng.below(3) { bytes[rng.below(bytes.count)] = alphabet[rng.below(alphabet.count)] }
            }
            let lines = Self.lines(bytes)
            do {
                let dataset = try Dataset(jsonl: bytes, path: "fuzz")
                loaded += 1
                let numbers = dataset.examples.map(\.line)
                #expect(!numbers.isEmpty && numbers == numbers.sorted() && Set(numbers).count == numbers.count)
                #expect(numbers.allSatisfy { $0 >= 1 && $0 <= lines.count && !Self.isBlank(lines[$0 - 1]) }, "input \(n): lines \(numbers)")
            } catch let error {
                switch error {
                case let .invalidRecords(path, issues, total):
                    refusedRecords += 1
                    #expect(path == "fuzz" && !issues.isEmpty && total >= issues.count)
                    for issue in issues {
                        #expect(issue.line >= 1 && issue.line <= lines.count && !Self.isBlank(lines[issue.line - 1]), "input \(n): \(issue)")
                        #expect(!issue.message.isEmpty)
                        #expect(error.description.contains("fuzz:\(issue.line): \(issue.message)"))
                    }
                case let .noRecords(path):
                    #expect(path == "fuzz")
                    #expect(lines.allSatisfy(Self.isBlank), "input \(n) has a non-blank line but was called empty")
                default:
                    Issue.record("input \(n): unexpected \(error)")
                }
            }
        }
        #expect(loaded > 50 && refusedRecords > 50, "loaded \(loaded), refused \(refusedRecords)")
    }

    /// The file's lines as the format defines them: split at LF, one CR before it dropped, BOM skipped.
    static func lines(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        let body = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? bytes[3...] : bytes[...]
        var out = body.split(separator: 0x0A, omittingEmptySubsequences: false)
        if body.last == 0x0A || body.isEmpty { out.removeLast() }
        return out
    }

    static func isBlank(_ line: ArraySlice<UInt8>) -> Bool { line.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D } }
}

extension DatasetValidationTests {
    @Test func aBinaryFileIsRefusedAsAWholeNamingTheOffset() {
        let bytes = Array("{\"text\":\"a\"}\n".utf8) + [0x47, 0x47, 0x55, 0x46, 0x03, 0x00, 0x00]
        #expect(throws: TrainDataError.unreadable(path: "m.gguf", reason: "a binary file (a NUL byte at offset 18), not JSONL text")) {
            try Dataset(jsonl: bytes, path: "m.gguf")
        }
    }
}
