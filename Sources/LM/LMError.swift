import ModelIO

/// Why a model could not be loaded or run.
public enum LMError: Error, CustomStringConvertible {
    case unsupportedArchitecture(String, path: String)
    case badHyperParameter(key: String, value: String, reason: String)
    case badTensor(name: String, reason: String)
    case file(GGUFError)
    case contextFull(position: Int, contextLength: Int)
    case tokenOutOfRange(Int32, vocabSize: Int)

    public var description: String {
        switch self {
        case let .unsupportedArchitecture(arch, path):
            return "\(path): general.architecture '\(arch)' is not supported (SwarmTune runs: \(ModelArchitecture.supportedNames))"
        case let .badHyperParameter(key, value, reason):
            return "model hyper-parameter \(key) = \(value) is invalid: \(reason)"
        case let .badTensor(name, reason):
            return "model tensor \(name): \(reason)"
        case let .file(e):
            return e.description
        case let .contextFull(position, contextLength):
            return "the sequence reached position \(position), past the context length \(contextLength) this session was opened with"
        case let .tokenOutOfRange(t, vocab):
            return "token id \(t) is outside the vocabulary (0..<\(vocab))"
        }
    }
}
