import Testing
import Tokenizer
import Train
import TrainData

/// The expected strings below were produced by transformers' `apply_chat_template` with the
/// chat template stored in SmolLM2-135M-Instruct's GGUF file.
@Suite struct ChatTemplateRecordTests {
    let renderer = ChatTemplate.smolLM2

    @Test func instructionRecordBecomesUserAndAssistantTurnsAfterTheDefaultSystemTurn() {
        let record = TrainingRecord.instruction(instruction: "Add", input: "2 and 3", output: "5")
        #expect(renderer.render(record) == "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n<|im_start|>user\nAdd\n\n2 and 3<|im_end|>\n<|im_start|>assistant\n5<|im_end|>\n")
        #expect(renderer.segments(for: record) == [
            Segment("<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n<|im_start|>user\nAdd\n\n2 and 3<|im_end|>\n<|im_start|>assistant\n", trainable: false),
            Segment("5<|im_end|>", trainable: true),
            Segment("\n", trainable: false),
        ])
    }

    @Test func emptyInputAddsNoSeparator() {
        let record = TrainingRecord.instruction(instruction: "Greet", input: "", output: "Hello")
        #expect(renderer.render(record).contains("<|im_start|>user\nGreet<|im_end|>\n"))
    }

    @Test func conversationWithItsOwnSystemMessageGetsNoDefaultAndTrainsEveryAssistantTurn() {
        let record = TrainingRecord.chat([
            ChatTurn(role: .system, content: "Be brief."), ChatTurn(role: .user, content: "Hi"),
            ChatTurn(role: .assistant, content: "Hello"), ChatTurn(role: .user, content: "Again"),
            ChatTurn(role: .assistant, content: "Hello again"),
        ])
        #expect(renderer.render(record) == "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello<|im_end|>\n<|im_start|>user\nAgain<|im_end|>\n<|im_start|>assistant\nHello again<|im_end|>\n")
        let segments = renderer.segments(for: record)
        #expect(segments.filter(\.trainable).map(\.text) == ["Hello<|im_end|>", "Hello again<|im_end|>"])
        #expect(segments.count == 5)
        #expect(zip(segments, segments.dropFirst()).allSatisfy { $0.trainable != $1.trainable }, "neighbours are merged")
    }

    @Test func contentIsInsertedVerbatim() {
        let record = TrainingRecord.chat([ChatTurn(role: .user, content: " leading space\nand newline "), ChatTurn(role: .assistant, content: "ünïcode ✓")])
        #expect(renderer.render(record) == "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n<|im_start|>user\n leading space\nand newline <|im_end|>\n<|im_start|>assistant\nünïcode ✓<|im_end|>\n")
    }

    @Test func theDefaultSystemPromptIsAParameter() {
        let record = TrainingRecord.instruction(instruction: "Q", input: "", output: "A")
        #expect(ChatTemplate(defaultSystemMessage: "Answer in French.").render(record)
                == "<|im_start|>system\nAnswer in French.<|im_end|>\n<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\nA<|im_end|>\n")
        #expect(ChatTemplate(defaultSystemMessage: nil).render(record)
                == "<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\nA<|im_end|>\n")
    }

    @Test func textRecordsAreOneTrainableSegmentWithoutMarkers() {
        #expect(renderer.segments(for: .text("plain words")) == [Segment("plain words", trainable: true)])
    }
}
