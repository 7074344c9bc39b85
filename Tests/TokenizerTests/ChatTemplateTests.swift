import Foundation
import Testing
import Tokenizer

@Suite("ChatML template")
struct ChatTemplateTests {
    /// SmolLM2-135M-Instruct's `tokenizer.chat_template`, as stored in its GGUF.
    static let smolLM2Source = """
        {% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system
        You are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>
        ' }}{% endif %}{{'<|im_start|>' + message['role'] + '
        ' + message['content'] + '<|im_end|>' + '
        '}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant
        ' }}{% endif %}
        """

    @Test func userMessageGetsTheDefaultSystemMessage() {
        let text = ChatTemplate.smolLM2.render([ChatMessage(role: "user", content: "Hello!")], addGenerationPrompt: true)
        #expect(text == """
            <|im_start|>system
            You are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>
            <|im_start|>user
            Hello!<|im_end|>
            <|im_start|>assistant

            """)
    }

    @Test func ownSystemMessageReplacesTheDefault() {
        let messages = [ChatMessage(role: "system", content: "Be terse."), ChatMessage(role: "user", content: "2+2?"),
                        ChatMessage(role: "assistant", content: "4")]
        #expect(ChatTemplate.smolLM2.render(messages, addGenerationPrompt: false) ==
            "<|im_start|>system\nBe terse.<|im_end|>\n<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\n4<|im_end|>\n")
    }

    @Test func aSystemMessageLaterDoesNotSuppressTheDefault() {
        let messages = [ChatMessage(role: "user", content: "a"), ChatMessage(role: "system", content: "b")]
        let text = ChatTemplate.smolLM2.render(messages, addGenerationPrompt: false)
        #expect(text.hasPrefix("<|im_start|>system\nYou are a helpful"))
        #expect(text.hasSuffix("<|im_start|>system\nb<|im_end|>\n"))
    }

    @Test func emptyConversation() {
        #expect(ChatTemplate.smolLM2.render([], addGenerationPrompt: false) == "")
        #expect(ChatTemplate.smolLM2.render([], addGenerationPrompt: true) == "<|im_start|>assistant\n")
    }

    @Test func plainChatMLAddsNoSystemMessage() {
        let template = ChatTemplate(defaultSystemMessage: nil)
        #expect(template.render([ChatMessage(role: "user", content: "x")], addGenerationPrompt: true) ==
            "<|im_start|>user\nx<|im_end|>\n<|im_start|>assistant\n")
    }

    @Test func recognizesTheModelTemplate() throws {
        #expect(try ChatTemplate(jinja: Self.smolLM2Source) == .smolLM2)
    }

    @Test func layoutAndQuotingDoNotMatter() throws {
        let escaped = """
            {% for message in messages %}
              {% if loop.first and messages[0]["role"] != "system" %}
                {{ "<|im_start|>system\\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\\n" }}
              {% endif %}
              {{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}
            {% endfor %}
            {% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}
            """
        #expect(try ChatTemplate(jinja: escaped) == .smolLM2)
    }

    @Test func extractsAnotherDefaultSystemMessage() throws {
        let source = Self.smolLM2Source.replacingOccurrences(
            of: "You are a helpful AI assistant named SmolLM, trained by Hugging Face", with: "You are a swarm node.")
        #expect(try ChatTemplate(jinja: source) == ChatTemplate(defaultSystemMessage: "You are a swarm node."))
    }

    @Test func systemMessagesWithQuotesAndBackslashes() throws {
        let double = Self.smolLM2Source
            .replacingOccurrences(of: "{{ '<|im_start|>system\n", with: "{{ \"<|im_start|>system\n")
            .replacingOccurrences(of: "Hugging Face<|im_end|>\n' }}", with: "Hugging Face<|im_end|>\n\" }}")
            .replacingOccurrences(of: "You are a helpful AI assistant named SmolLM, trained by Hugging Face",
                                  with: "You're a \\\"node\\\" at C:\\\\swarm")
        #expect(try ChatTemplate(jinja: double) == ChatTemplate(defaultSystemMessage: "You're a \"node\" at C:\\swarm"))
        // A quote that ends the literal early is not a system message.
        let broken = Self.smolLM2Source.replacingOccurrences(of: "named SmolLM", with: "named ' + name + '")
        #expect(throws: ChatTemplateError.self) { try ChatTemplate(jinja: broken) }
    }

    @Test func recognizesPlainChatML() throws {
        let source = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
        #expect(try ChatTemplate(jinja: source) == ChatTemplate(defaultSystemMessage: nil))
    }

    @Test(arguments: [
        // Llama 3
        "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}{{ content }}{% endfor %}",
        // ChatML with whitespace trimming
        "{%- for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{%- endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}",
        // ChatML with tools
        "{% if tools %}{{ '<|im_start|>system\n' + tools | tojson + '<|im_end|>\n' }}{% endif %}{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}",
        // unclosed literal
        "{{ '<|im_start|>",
        "",
    ])
    func rejectsOtherTemplates(_ source: String) {
        #expect(throws: ChatTemplateError.self) { try ChatTemplate(jinja: source) }
    }

    /// Qwen2.5-Instruct's template and transformers' renderings of it
    /// (scripts/reference/chat_template_fixtures.py, the template from llama.cpp's models/templates).
    struct QwenFixture: Decodable {
        var chatTemplate: String
        var chats: [GoldenFixtures.Chat]

        static func load() throws -> QwenFixture {
            let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                .appendingPathComponent("Fixtures/qwen2_5_chat_template.json")
            return try JSONDecoder().decode(QwenFixture.self, from: Data(contentsOf: url))
        }
    }

    static let qwenSystemMessage = "You are Qwen, created by Alibaba Cloud. You are a helpful assistant."

    @Test func qwen2_5RenderingsEqualTransformers() throws {
        let fixture = try QwenFixture.load()
        let template = try ChatTemplate(jinja: fixture.chatTemplate)
        #expect(template.defaultSystemMessage == Self.qwenSystemMessage)
        #expect(fixture.chats.count >= 5)
        for chat in fixture.chats {
            #expect(template.render(chat.messages, addGenerationPrompt: chat.addGenerationPrompt) == chat.rendered)
        }
    }

    /// Qwen2.5 variants differ in the default system message (it appears twice: the tool branch
    /// and the plain one); both copies must agree.
    @Test func qwen2_5VariantsKeepTheirOwnSystemMessage() throws {
        let source = try QwenFixture.load().chatTemplate
        let tutor = "You are Qwen, a patient tutor. Say \"I don't know\" when unsure."
        let quoted = tutor.replacingOccurrences(of: "'", with: "\\'")  // inside the template's '...' literals
        let variant = try ChatTemplate(jinja: source.replacingOccurrences(of: Self.qwenSystemMessage, with: quoted))
        #expect(variant.defaultSystemMessage == tutor)
        var once = source
        once.replaceSubrange(once.range(of: Self.qwenSystemMessage)!, with: "You are someone else.")
        #expect(throws: ChatTemplateError.self) { try ChatTemplate(jinja: once) }
    }

    @Test func rejectionSaysWhy() {
        do {
            _ = try ChatTemplate(jinja: "{{ bos_token }}{% for m in messages %}[INST]{{ m['content'] }}[/INST]{% endfor %}")
            Issue.record("accepted a non-ChatML template")
        } catch {
            #expect(error.description.contains("not a ChatML template"))
            #expect(error.description.contains("[INST]"))
        }
    }
}
