/// One turn of a conversation.
public struct ChatMessage: Sendable, Hashable, Codable {
    /// "system", "user", "assistant", or any other role the model knows ("tool").
    public var role: String
    public var content: String

    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }
}

/// Renders conversations in ChatML, the format SmolLM2 and Qwen2.5 were instruction-tuned on:
///
///     <|im_start|>system
///     You are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>
///     <|im_start|>user
///     Hello!<|im_end|>
///     <|im_start|>assistant
///
/// A model's template comes as Jinja source (GGUF `tokenizer.chat_template`). Rather than run
/// Jinja, this recognizes the known ChatML templates (plain ChatML, SmolLM2's, Qwen2.5's, each
/// with any default system message) and renders them natively, so anything else fails loudly
/// instead of rendering a prompt the model was not trained on.
public struct ChatTemplate: Sendable, Hashable {
    /// The system message put first when a conversation does not start with one; nil for
    /// plain ChatML, which adds none.
    public let defaultSystemMessage: String?

    /// SmolLM2's default system message.
    public static let smolLM2SystemMessage = "You are a helpful AI assistant named SmolLM, trained by Hugging Face"
    /// SmolLM2-Instruct's template.
    public static let smolLM2 = ChatTemplate(defaultSystemMessage: smolLM2SystemMessage)

    public static let messageStart = "<|im_start|>"
    public static let messageEnd = "<|im_end|>"

    /// ChatML, with or without a default system message.
    public init(defaultSystemMessage: String?) {
        self.defaultSystemMessage = defaultSystemMessage
    }

    /// Recognizes a model's Jinja chat template. Accepts SmolLM2's template (with any default
    /// system message) and plain ChatML; differences in whitespace between Jinja tags, quote
    /// style and `\n` escapes in string literals do not matter.
    public init(jinja source: String) throws(ChatTemplateError) {
        let excerpt = String(source.prefix(120))
        guard let canonical = JinjaCanonicalForm.make(source) else {
            throw .unsupportedTemplate(reason: "unbalanced quotes", excerpt: excerpt)
        }
        if canonical == JinjaCanonicalForm.plainChatML {
            self.init(defaultSystemMessage: nil)
            return
        }
        let (prefix, suffix) = JinjaCanonicalForm.withDefaultSystem
        if canonical.hasPrefix(prefix) && canonical.hasSuffix(suffix)
            && canonical.count >= prefix.count + suffix.count
        {
            if let message = JinjaCanonicalForm.unescapeLiteral(canonical.dropFirst(prefix.count).dropLast(suffix.count)) {
                self.init(defaultSystemMessage: message)
                return
            }
        }
        if let message = JinjaCanonicalForm.qwen2_5DefaultSystemMessage(canonical) {
            self.init(defaultSystemMessage: message)
            return
        }
        if !source.contains(Self.messageStart) {
            throw .unsupportedTemplate(reason: "not a ChatML template (no <|im_start|>)", excerpt: excerpt)
        }
        throw .unsupportedTemplate(
            reason: "ChatML with logic beyond the templates SwarmTune knows (plain ChatML, SmolLM2's, Qwen2.5's)",
            excerpt: excerpt)
    }

    /// The prompt text for `messages`, with the opening of an assistant turn appended when
    /// `addGenerationPrompt` is set. Contents are inserted verbatim.
    public func render(_ messages: [ChatMessage], addGenerationPrompt: Bool) -> String {
        pieces(messages).map(\.text).joined() + (addGenerationPrompt ? Self.generationPrompt : "")
    }

    /// The rendering of `messages` in order, each piece marked when it is an assistant's reply
    /// (its content and the `<|im_end|>` that ends it: what training teaches the model to
    /// produce). Everything else (the default system turn, role headers, other turns, the
    /// newline after each `<|im_end|>`) is prompt. Concatenated, the texts are `render`'s output.
    public func pieces(_ messages: [ChatMessage]) -> [(text: String, isReply: Bool)] {
        var out: [(text: String, isReply: Bool)] = []
        if let defaultSystemMessage, let first = messages.first, first.role != "system" {
            out.append((Self.messageStart + "system\n" + defaultSystemMessage + Self.messageEnd + "\n", false))
        }
        for message in messages {
            out.append((Self.messageStart + message.role + "\n", false))
            out.append((message.content + Self.messageEnd, message.role == "assistant"))
            out.append(("\n", false))
        }
        return out
    }

    /// What opens the assistant's turn: the text a prompt ends with before generation.
    public static let generationPrompt = messageStart + "assistant\n"
}

/// A Jinja template reduced to a form that ignores layout: whitespace outside string literals
/// is dropped, and every literal is rewritten in single quotes with its escapes resolved.
enum JinjaCanonicalForm {
    static let plainChatML = make(
        "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
    )!

    /// The canonical SmolLM2 template around its default system message.
    static let withDefaultSystem: (prefix: String, suffix: String) = (
        make("{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\n", endInsideLiteral: true)!,
        make("<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}", startInsideLiteral: true)!
    )

    /// Qwen2.5-Instruct's template (ChatML; a tool-calling branch SwarmTune's conversations
    /// never take) around the two copies of its default system message: the canonical text
    /// before the first, between the two, and after the second.
    static let qwen2_5: [String] = [
        make(#"""
{%- if tools %}
    {{- '<|im_start|>system\n' }}
    {%- if messages[0]['role'] == 'system' %}
        {{- messages[0]['content'] }}
    {%- else %}
        {{- '
"""#, endInsideLiteral: true)!,
        make(#"""
' }}
    {%- endif %}
    {{- "\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\nYou are provided with function signatures within <tools></tools> XML tags:\n<tools>" }}
    {%- for tool in tools %}
        {{- "\n" }}
        {{- tool | tojson }}
    {%- endfor %}
    {{- "\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n" }}
{%- else %}
    {%- if messages[0]['role'] == 'system' %}
        {{- '<|im_start|>system\n' + messages[0]['content'] + '<|im_end|>\n' }}
    {%- else %}
        {{- '<|im_start|>system\n
"""#, startInsideLiteral: true, endInsideLiteral: true)!,
        make(#"""
<|im_end|>\n' }}
    {%- endif %}
{%- endif %}
{%- for message in messages %}
    {%- if (message.role == "user") or (message.role == "system" and not loop.first) or (message.role == "assistant" and not message.tool_calls) %}
        {{- '<|im_start|>' + message.role + '\n' + message.content + '<|im_end|>' + '\n' }}
    {%- elif message.role == "assistant" %}
        {{- '<|im_start|>' + message.role }}
        {%- if message.content %}
            {{- '\n' + message.content }}
        {%- endif %}
        {%- for tool_call in message.tool_calls %}
            {%- if tool_call.function is defined %}
                {%- set tool_call = tool_call.function %}
            {%- endif %}
            {{- '\n<tool_call>\n{"name": "' }}
            {{- tool_call.name }}
            {{- '", "arguments": ' }}
            {{- tool_call.arguments | tojson }}
            {{- '}\n</tool_call>' }}
        {%- endfor %}
        {{- '<|im_end|>\n' }}
    {%- elif message.role == "tool" %}
        {%- if (loop.index0 == 0) or (messages[loop.index0 - 1].role != "tool") %}
            {{- '<|im_start|>user' }}
        {%- endif %}
        {{- '\n<tool_response>\n' }}
        {{- message.content }}
        {{- '\n</tool_response>' }}
        {%- if loop.last or (messages[loop.index0 + 1].role != "tool") %}
            {{- '<|im_end|>\n' }}
        {%- endif %}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\n' }}
{%- endif %}

"""#, startInsideLiteral: true)!,
    ]

    /// The default system message of a Qwen2.5 template (canonical form), nil for any other.
    static func qwen2_5DefaultSystemMessage(_ canonical: String) -> String? {
        let (head, middle, tail) = (qwen2_5[0], qwen2_5[1], qwen2_5[2])
        guard canonical.hasPrefix(head), canonical.hasSuffix(tail),
              canonical.count >= head.count + middle.count + tail.count else { return nil }
        // What is left is message + middle + message.
        let rest = canonical.dropFirst(head.count).dropLast(tail.count)
        guard (rest.count - middle.count) % 2 == 0 else { return nil }
        let length = (rest.count - middle.count) / 2
        let first = rest.prefix(length), second = rest.suffix(length)
        guard first == second, rest.dropFirst(length).dropLast(length) == middle[...] else { return nil }
        return unescapeLiteral(first)
    }

    /// Nil when a string literal is not closed. The two flags canonicalize fragments that
    /// begin or end inside a single-quoted literal.
    static func make(_ source: String, startInsideLiteral: Bool = false, endInsideLiteral: Bool = false) -> String? {
        var out = ""
        var quote: Character? = startInsideLiteral ? "'" : nil
        var iterator = source.makeIterator()
        while let character = iterator.next() {
            if let open = quote {
                if character == open {
                    out.append("'")
                    quote = nil
                } else if character == "\\" {
                    guard let escaped = iterator.next() else { return nil }
                    switch escaped {
                    case "n": appendLiteral("\n", to: &out)
                    case "t": appendLiteral("\t", to: &out)
                    case "r": appendLiteral("\r", to: &out)
                    default: appendLiteral(escaped, to: &out)
                    }
                } else {
                    appendLiteral(character, to: &out)
                }
            } else if character == "'" || character == "\"" {
                out.append("'")
                quote = character
            } else if !character.isWhitespace {
                out.append(character)
            }
        }
        if (quote != nil) != endInsideLiteral { return nil }
        return out
    }

    /// Literal text in the canonical form: quotes and backslashes escaped, so a literal's end
    /// is always an unescaped `'`.
    private static func appendLiteral(_ character: Character, to out: inout String) {
        if character == "'" || character == "\\" { out.append("\\") }
        out.append(character)
    }

    /// The text of a canonical literal's content, or nil if the content ends the literal.
    static func unescapeLiteral(_ canonical: Substring) -> String? {
        var text = ""
        var escaping = false
        for character in canonical {
            if escaping {
                text.append(character)
                escaping = false
            } else if character == "\\" {
                escaping = true
            } else if character == "'" {
                return nil
            } else {
                text.append(character)
            }
        }
        return escaping ? nil : text
    }
}
