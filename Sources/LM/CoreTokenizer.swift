import ModelIO
import Tokenizer

/// The tokenizer and chat template a core carries in its GGUF metadata.
public struct CoreTokenizer: Sendable {
    public let tokenizer: BPETokenizer
    /// nil when the core carries no template or one SwarmTune cannot render.
    public let chatTemplate: ChatTemplate?
    public let chatTemplateError: String?

    public init(metadata m: GGUFMetadata, path: String) throws(LMError) {
        let model = m["tokenizer.ggml.model"]?.stringValue ?? ""
        guard model == "gpt2" else {
            throw .badHyperParameter(key: "tokenizer.ggml.model", value: model,
                                     reason: "\(path): only byte-level BPE ('gpt2') tokenizers are supported")
        }
        func id(_ key: String) -> Int32? { m[key]?.intValue.flatMap { Int32(exactly: $0) } }
        do {
            tokenizer = try BPETokenizer(
                tokens: try m.stringArray("tokenizer.ggml.tokens"),
                tokenTypes: try m.int32Array("tokenizer.ggml.token_type"),
                merges: try m.stringArray("tokenizer.ggml.merges"),
                bosID: id("tokenizer.ggml.bos_token_id"), eosID: id("tokenizer.ggml.eos_token_id"),
                unknownID: id("tokenizer.ggml.unknown_token_id"), padID: id("tokenizer.ggml.padding_token_id"),
                preTokenizer: m["tokenizer.ggml.pre"]?.stringValue ?? "gpt2",
                addBOS: m["tokenizer.ggml.add_bos_token"]?.boolValue ?? false)
        } catch let e as GGUFError {
            throw .file(.inFile(path: path, e))
        } catch {
            throw .badHyperParameter(key: "tokenizer.ggml.*", value: "", reason: "\(path): \(error)")
        }
        if let text = m["tokenizer.chat_template"]?.stringValue {
            do {
                chatTemplate = try ChatTemplate(jinja: text)
                chatTemplateError = nil
            } catch {
                chatTemplate = nil
                chatTemplateError = "\(error)"
            }
        } else {
            chatTemplate = nil
            chatTemplateError = "the core carries no chat template"
        }
    }
}
