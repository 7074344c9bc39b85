import LM

extension TinyModel {
    /// The tiny model written to a fresh temporary directory and loaded with its tokenizer; the
    /// directory (returned so the caller keeps it alive) is deleted when released.
    public static func loaded() throws -> (LlamaModel, CoreTokenizer, TemporaryDirectory) {
        let dir = TemporaryDirectory()
        try TinyModel().write(to: dir.file("tiny.gguf"))
        let model = try LlamaModel(path: dir.file("tiny.gguf"))
        return (model, try CoreTokenizer(metadata: model.file.metadata, path: dir.file("tiny.gguf")), dir)
    }
}
