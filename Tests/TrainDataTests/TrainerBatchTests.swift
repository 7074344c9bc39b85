import Testing
@testable import TrainData

/// The trainer's layout: one example per row, cut to the row, padded, first token unlabelled.
@Suite struct TrainerBatchTests {
    let options = BatchingOptions(batchSize: 3, sequenceLength: 4, padID: 9)

    @Test func examplesFillRowsInOrderAndAreCutToTheRow() {
        let long = TokenizedExample(ids: [1, 2, 3, 4, 5, 6], labels: [-100, 2, 3, 4, 5, 6], line: 7)
        let short = TokenizedExample(ids: [10, 11], labels: [-100, 11], line: 8)
        let batch = Batch(examples: [long, short], options: options)
        #expect(batch.ids == [1, 2, 3, 4, 10, 11, 9, 9, 9, 9, 9, 9])
        #expect(batch.labels == [-100, 2, 3, 4, -100, 11, -100, -100, -100, -100, -100, -100])
        #expect(batch.rowLengths == [4, 2, 0])
        #expect(batch.exampleStarts == [[0], [0], []])
        #expect(batch.lines == [7, 8])
        #expect(batch.trainableTokenCount == 4)
    }

    @Test func theFirstTokenIsUnlabelledAndExtraExamplesAreLeftOut() {
        let trained = TokenizedExample(ids: [5, 6], labels: [5, 6])
        let batch = Batch(examples: [trained, trained, trained, trained], options: options)
        #expect(batch.labels == [-100, 6, -100, -100, -100, 6, -100, -100, -100, 6, -100, -100])
        #expect(batch.lines.count == 3)
    }

    @Test func promptAndExpectedReplyComeFromTheRecord() {
        let chat = TrainingRecord.chat([ChatTurn(role: .user, content: "Hi"), ChatTurn(role: .assistant, content: "Hello"),
                                        ChatTurn(role: .user, content: "More"), ChatTurn(role: .assistant, content: "Sure")])
        #expect(chat.expectedReply == "Hello")
        #expect(TrainingRecord.instruction(instruction: "Add", input: "2 and 3", output: "5").expectedReply == "5")
        #expect(TrainingRecord.instruction(instruction: "Add", input: "2 and 3", output: "5").turns?.first?.content == "Add\n\n2 and 3")
        #expect(TrainingRecord.text("plain").expectedReply == "" && TrainingRecord.text("plain").turns == nil)
        let example = TokenizedExample(ids: [1, 2, 3, 4], labels: [-100, -100, 3, 4], expected: "x")
        #expect(example.promptCount == 2 && example.prompt == [1, 2])
        #expect(TokenizedExample(ids: [1, 2], labels: [1, 2]).promptCount == 0)
        #expect(TokenizedExample(ids: [1, 2], labels: [-100, -100]).promptCount == 2)
    }
}
