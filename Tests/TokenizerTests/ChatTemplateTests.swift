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
