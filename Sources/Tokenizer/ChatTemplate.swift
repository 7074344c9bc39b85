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

/// Renders conversations in ChatML, the format SmolLM2 was instruction-tuned on:
///
///     <|im_start|>system
///     You are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>
///     <|im_start|>user
///     Hello!<|im_end|>
///     <|im_start|>assistant
///
/// A model's template comes as Jinja source (GGUF `tokenizer.chat_template`). Rather than run
/// Jinja, this recognizes the known ChatML templates and renders them natively, so anything
/// else fails loudly instead of rendering a prompt the model was not trained on.
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
        if !source.contains(Self.messageStart) {
            throw .unsupportedTemplate(reason: "not a ChatML template (no <|im_start|>)", excerpt: excerpt)
        }
        throw .unsupportedTemplate(
            reason: "ChatML with logic beyond the SmolLM2 template (tools, conditions or trimming)",
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
