import Foundation
import ModelIO
import TestSupport

/// The tokenizer metadata of the real SmolLM2 core, read from the GGUF file the second test
/// tier uses (models/, or SWARMTUNE_MODEL). When the core is absent the real-vocabulary tests
/// are skipped; a core that is present but does not load fails them (the error is thrown).
struct RealVocabulary {
    var tokens: [String]
    var tokenTypes: [Int32]
    var merges: [String]
    var bosID: Int32?
    var eosID: Int32?
    var unknownID: Int32?
    var padID: Int32?
    var preTokenizer: String
    var addBOS: Bool
    var chatTemplate: String?

    static let skipMessage = "real core absent: run scripts/fetch-model (or set SWARMTUNE_MODEL)"

    /// The vocabulary, nil when no core is present; throws when the core is present but broken.
    static func load() throws -> RealVocabulary? {
        guard let path = RealCore.path else { return nil }
        let file = try GGUFModelFile(path: path)
        let m = file.metadata
        func id(_ key: String) -> Int32? { m[key]?.intValue.flatMap { Int32(exactly: $0) } }
        let tokens = try m.stringArray("tokenizer.ggml.tokens")
        let types = try m.int32Array("tokenizer.ggml.token_type")
        let merges = try m.stringArray("tokenizer.ggml.merges")
        return RealVocabulary(
            tokens: tokens, tokenTypes: types, merges: merges,
            bosID: id("tokenizer.ggml.bos_token_id"), eosID: id("tokenizer.ggml.eos_token_id"),
            unknownID: id("tokenizer.ggml.unknown_token_id"), padID: id("tokenizer.ggml.padding_token_id"),
            preTokenizer: m["tokenizer.ggml.pre"]?.stringValue ?? "gpt2",
            addBOS: m["tokenizer.ggml.add_bos_token"]?.boolValue ?? false,
            chatTemplate: m["tokenizer.chat_template"]?.stringValue)
    }
}
