/// Why a vocabulary, its merges or its settings cannot make a tokenizer.
public enum TokenizerError: Error, Equatable, CustomStringConvertible {
    /// The vocabulary has no tokens.
    case emptyVocabulary
    /// More tokens than a 32-bit token id can address.
    case vocabularyTooLarge(count: Int)
    /// `tokenTypes` is neither empty nor one entry per token.
    case tokenTypeCountMismatch(tokens: Int, tokenTypes: Int)
    /// A special token id (bos, eos, unknown, padding) is outside the vocabulary.
    case specialTokenOutOfRange(name: String, id: Int32, vocabularySize: Int)
    /// Merge number `index` is not two tokens separated by one space.
    case malformedMerge(index: Int, merge: String)
    /// Merge number `index` names a token that is not in the vocabulary.
    case mergeTokenNotInVocabulary(index: Int, merge: String, token: String)
    /// Merge number `index` produces a token that is not in the vocabulary.
    case mergeResultNotInVocabulary(index: Int, merge: String, result: String)
    /// The pre-tokenizer named by the model (GGUF `tokenizer.ggml.pre`) is not implemented.
    case unsupportedPreTokenizer(name: String)

    public var description: String {
        switch self {
        case .emptyVocabulary:
            return "tokenizer: the vocabulary is empty; the model file has no tokenizer.ggml.tokens entries"
        case .vocabularyTooLarge(let count):
            return "tokenizer: \(count) tokens exceed the 32-bit token id range"
        case .tokenTypeCountMismatch(let tokens, let tokenTypes):
            return "tokenizer: \(tokenTypes) token types for \(tokens) tokens; the model's tokenizer.ggml.token_type must have one entry per token"
        case .specialTokenOutOfRange(let name, let id, let size):
            return "tokenizer: the \(name) token id \(id) is outside the vocabulary of \(size) tokens"
        case .malformedMerge(let index, let merge):
            return "tokenizer: merge #\(index) \(quoted(merge)) is not two tokens separated by a single space"
        case .mergeTokenNotInVocabulary(let index, let merge, let token):
            return "tokenizer: merge #\(index) \(quoted(merge)) uses \(quoted(token)), which is not in the vocabulary"
        case .mergeResultNotInVocabulary(let index, let merge, let result):
            return "tokenizer: merge #\(index) \(quoted(merge)) produces \(quoted(result)), which is not in the vocabulary"
        case .unsupportedPreTokenizer(let name):
            return "tokenizer: pre-tokenizer \(quoted(name)) is not supported (supported: \(PreTokenizer.supportedNames.joined(separator: ", ")))"
        }
    }
}

/// Why a chat template cannot be used.
public enum ChatTemplateError: Error, Equatable, CustomStringConvertible {
    /// The model's template is not one this module renders; `excerpt` is its beginning.
    case unsupportedTemplate(reason: String, excerpt: String)

    public var description: String {
        switch self {
        case .unsupportedTemplate(let reason, let excerpt):
            return "chat template: unsupported (\(reason)); only ChatML templates are rendered. Template begins: \(quoted(excerpt))"
        }
    }
}

/// `text` in quotes with control characters escaped, shortened when long, for error messages.
func quoted(_ text: String, limit: Int = 80) -> String {
    var out = "\""
    var count = 0
    for scalar in text.unicodeScalars {
        if count == limit {
            out += "..."
            break
        }
        switch scalar {
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        case "\r": out += "\\r"
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        default:
            if scalar.value < 0x20 || scalar.value == 0x7F {
                out += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        count += 1
    }
    return out + "\""
}
