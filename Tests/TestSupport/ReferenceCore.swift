import Foundation
import ModelIO
import Quant

/// The tiny Llama 3 and Qwen2 cores of scripts/reference/arch_fixtures.py, written by the tests
/// themselves: the fixture (Tests/LMTests/Fixtures/tiny-<arch>.json) holds the spec and the
/// figures transformers and PEFT computed, no model file. Every weight comes from a counter hash
/// the script uses too (so both sides hold the same values bit for bit): splitmix64 of
/// (tensor index << 32) + element index, its top 12 bits as k in [-2048, 2047], then k·2^-14 for
/// matrices, 1 + k·2^-13 for norms and k·2^-12 for biases (exact in f16 and f32).
public enum ReferenceCore {
    /// The names the fixtures are filed under: "llama3" (a `llama` file) and "qwen2".
    public static let names = ["llama3", "qwen2"]

    public struct Spec: Decodable {
        public struct Tensor: Decodable {
            public var name: String
            /// ggml order (columns first).
            public var shape: [Int]
            /// "f16" or "f32".
            public var type: String
            /// "matrix", "norm", "bias", or "values" (given in `values`).
            public var fill: String
            public var values: [Float]?
        }
        public var architecture: String
        public var name: String
        public var preTokenizer: String
        /// `<architecture>.` hyper-parameters: integers, or floats for the rope base and epsilon.
        public var metadata: [String: Double]
        public var tokens: [String]
        public var tokenTypes: [Int32]
        public var merges: [String]
        public var eosID: UInt32
        public var tensors: [Tensor]
    }

    /// The fixture file of `name`.
    public static func fixturePath(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../LMTests/Fixtures/tiny-\(name).json").standardizedFileURL.path
    }

    /// The fixture's spec.
    public static func spec(_ name: String) throws -> Spec {
        struct File: Decodable { var spec: Spec }
        return try JSONDecoder().decode(File.self, from: Data(contentsOf: URL(fileURLWithPath: fixturePath(name)))).spec
    }

    /// splitmix64's output function of `x` (the counter hash of the reference scripts).
    public static func splitmix64(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Element `index` of tensor number `tensor` filled as `fill`.
    static func value(tensor: Int, index: Int, fill: String) -> Float {
        let k = Float(Int(splitmix64(UInt64(tensor) << 32 &+ UInt64(index)) >> 52) - 2048)
        switch fill {
        case "norm": return 1 + k * 0x1p-13
        case "bias": return k * 0x1p-12
        default: return k * 0x1p-14
        }
    }

    /// Writes core `name` ("llama3" or "qwen2") as a GGUF file at `path`.
    public static func write(_ name: String, to path: String) throws {
        let s = try spec(name)
        var w = GGUFWriter()
        w.metadata.set("general.architecture", .string(s.architecture))
        w.metadata.set("general.name", .string(s.name))
        for (key, value) in s.metadata.sorted(by: { $0.key < $1.key }) {
            let isFloat = key == "rope.freq_base" || key == "attention.layer_norm_rms_epsilon"
            w.metadata.set(s.architecture + "." + key, isFloat ? .float32(Float(value)) : .uint32(UInt32(value)))
        }
        w.metadata.set("tokenizer.ggml.model", .string("gpt2"))
        w.metadata.set("tokenizer.ggml.pre", .string(s.preTokenizer))
        w.metadata.set("tokenizer.ggml.tokens", .array(.string, s.tokens.map { .string($0) }))
        w.metadata.set("tokenizer.ggml.token_type", .array(.int32, s.tokenTypes.map { .int32($0) }))
        w.metadata.set("tokenizer.ggml.merges", .array(.string, s.merges.map { .string($0) }))
        w.metadata.set("tokenizer.ggml.bos_token_id", .uint32(s.eosID))
        w.metadata.set("tokenizer.ggml.eos_token_id", .uint32(s.eosID))
        w.metadata.set("tokenizer.ggml.add_bos_token", .bool(false))
        for (index, t) in s.tensors.enumerated() {
            let count = t.shape.reduce(1, *)
            let values = t.values ?? (0..<count).map { value(tensor: index, index: $0, fill: t.fill) }
            let type: GGMLType = t.type == "f16" ? .f16 : .f32
            try w.addTensor(name: t.name, shape: t.shape, type: type, data: try Quantize.row(type, values))
        }
        try w.write(to: path)
    }

    /// Core `name` written into `directory` (a test's temporary directory); returns its path.
    public static func file(_ name: String, in directory: String) throws -> String {
        let path = directory + "/tiny-\(name).gguf"
        try write(name, to: path)
        return path
    }
}
