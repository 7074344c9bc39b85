import Testing
import Tokenizer
import Train
@testable import TrainData

@Suite struct TokenizationTests {
    @Test func promptTokensAreIgnoredAndTrainableTokensLabelThemselves() {
        let segments = [Segment("ab", trainable: false), Segment("cd<|im_end|>", trainable: true), Segment("\n", trainable: false)]
        let (ids, labels) = tokenize(segments, encode: toyEncode)
        #expect(ids == toyEncode("abcd<|im_end|>\n"))
        #expect(labels == [-100, -100] + toyEncode("cd<|im_end|>") + [-100])
    }

    @Test func chatLabelsCoverExactlyTheAssistantRepliesAndTheirEndMarkers() {
        let record = TrainingRecord.chat([
            ChatTurn(role: .user, content: "Hi"), ChatTurn(role: .assistant, content: "Hello"),
            ChatTurn(role: .user, content: "More"), ChatTurn(role: .assistant, content: "Sure"),
        ])
        let (ids, labels) = tokenize(ChatTemplate.smolLM2.segments(for: record), encode: toyEncode)
        #expect(ids.count == labels.count)
        #expect(toyDecode(ids) == ChatTemplate.smolLM2.render(record))
        // Runs of labelled tokens, decoded.
        var runs: [String] = []
        var current: [Int32] = []
        for label in labels + [-100] {
            if label == ignoredLabel {
                if !current.isEmpty { runs.append(toyDecode(current)); current = [] }
            } else {
                current.append(label)
            }
        }
        #expect(runs == ["Hello<|im_end|>", "Sure<|im_end|>"])
        #expect(zip(ids, labels).allSatisfy { $1 == ignoredLabel || $0 == $1 })
    }

    @Test func truncationKeepsTheStartAndDropsExamplesWithoutTrainableTokens() throws {
        let dataset = try Dataset(jsonl: jsonl([
            #"{"instruction":"short","output":"ok"}"#,                               // fits
            #"{"instruction":"a fairly long question here","output":"long answer text"}"#, // cut inside the answer
            #"{"instruction":"\#(String(repeating: "q", count: 200))","output":"lost"}"#,  // answer cut off entirely
        ]), path: "d.jsonl")
        let system = ChatTemplate(defaultSystemMessage: nil)
        let lengths = dataset.examples.map { toyEncode(system.render($0.record)).count }
        let limit = 60
        #expect(lengths[0] <= limit && lengths[1] > limit && lengths[2] > limit)
        let prepared = try dataset.prepare(maxSequenceLength: limit, segments: system.segments(for:), encode: toyEncode)
        #expect(prepared.truncatedCount == 2)
        #expect(prepared.droppedCount == 1 && prepared.droppedLines == [3])
        #expect(prepared.examples.map(\.line) == [1, 2])
        let cut = prepared.examples[1]
        #expect(cut.ids == Array(toyEncode(system.render(dataset.examples[1].record)).prefix(limit)))
        #expect(cut.labels.count == limit && cut.trainableTokenCount > 0)
        #expect(prepared.examples[0].ids == toyEncode(system.render(dataset.examples[0].record)))
        #expect(throws: TrainDataError.self) { try dataset.prepare(maxSequenceLength: 0, segments: ChatTemplate.smolLM2.segments(for:), encode: toyEncode) }
    }

    @Test func textRecordsAreEntirelyTrainable() throws {
        let dataset = try Dataset(jsonl: jsonl([#"{"text":"hello world"}"#]), path: "t.jsonl")
        let prepared = try dataset.prepare(maxSequenceLength: 100, segments: ChatTemplate.smolLM2.segments(for:), encode: toyEncode)
        #expect(prepared.examples[0].labels == toyEncode("hello world"))
    }
}
