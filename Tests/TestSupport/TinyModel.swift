import ModelIO
import Quant
import SwarmBase

/// Writes small random Llama-family GGUF files for unit tests, so `swift test` needs no download.
///
/// The vocabulary is byte-level GPT-2 style: three ChatML specials, the 256 byte symbols, and a
/// few merges, so tokenizer code paths run too.
public struct TinyModel {
    public var dim = 64
    public var hiddenDim = 128
    public var layers = 2
    public var heads = 4
    public var kvHeads = 2
    public var contextLength = 128
    public var ropeBase: Float = 10000
    public var matrixType: GGMLType = .f32
    public var embeddingType: GGMLType = .f32
    public var seed: UInt64 = 1
    /// `general.architecture`, also the prefix of the hyper-parameter keys.
    public var architecture = "llama"
    public var tiedEmbeddings = true
    /// Per-tensor types by GGUF name, over `matrixType` / `embeddingType` (a llama.cpp-style mix).
    public var typeOverrides: [String: GGMLType] = [:]
    /// Per-tensor fp32 values by GGUF name, instead of the generated ones (e.g. another file's
    /// dequantized weights, to write its f32 twin).
    public var valueOverrides: [String: [Float]] = [:]

    public init() {}

    public static let specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    public static let merges = ["Ġ t", "h e", "Ġt he", "i n", "Ġ a"]

    /// GPT-2's byte-to-symbol table: printable bytes map to themselves, the rest to U+0100 upwards.
    public static func byteSymbols() -> [String] {
        var printable = Array(33...126) + Array(161...172) + Array(174...255)
        var table = [String](repeating: "", count: 256)
        var extra = 0
        for b in 0..<256 {
            if printable.contains(b) {
                table[b] = String(UnicodeScalar(UInt8(b)))
            } else {
                table[b] = String(Character(UnicodeScalar(256 + extra)!))
                extra += 1
            }
        }
        printable.removeAll()
        return table
    }

    public static var tokens: [String] {
        specials + byteSymbols() + merges.map { $0.replacingOccurrences(of: " ", with: "") }
    }

    /// Rows of the embedding and `llama.vocab_size`; a smaller value than the tokenizer's
    /// token count makes a core only the model loader accepts (no tokenizer can be built).
    public var vocabSize = TinyModel.tokens.count

    /// The fp32 values of every tensor (before quantization), by GGUF name.
    public func values() -> [(name: String, shape: [Int], values: [Float], isMatrix: Bool)] {
        var rng = SeededRandom(seed: seed)
        let headDim = dim / heads, kvDim = kvHeads * headDim
        func m(_ name: String, _ rows: Int, _ cols: Int) -> (String, [Int], [Float], Bool) {
            let s = 1 / Float(cols).squareRoot()
            return (name, [cols, rows], (0..<(rows * cols)).map { _ in rng.nextSignedUnit() * s * 1.7 }, true)
        }
        func v(_ name: String, _ n: Int) -> (String, [Int], [Float], Bool) {
            (name, [n], (0..<n).map { _ in 1 + 0.2 * rng.nextSignedUnit() }, false)
        }
        var out: [(String, [Int], [Float], Bool)] = []
        var embd = m("token_embd.weight", vocabSize, dim)
        embd.2 = embd.2.map { $0 * 8 }  // unit-ish embeddings, as trained models have
        out.append(embd)
        for l in 0..<layers {
            let p = "blk.\(l)."
            out.append(v(p + "attn_norm.weight", dim))
            out.append(m(p + "attn_q.weight", dim, dim))
            out.append(m(p + "attn_k.weight", kvDim, dim))
            out.append(m(p + "attn_v.weight", kvDim, dim))
            out.append(m(p + "attn_output.weight", dim, dim))
            out.append(v(p + "ffn_norm.weight", dim))
            out.append(m(p + "ffn_gate.weight", hiddenDim, dim))
            out.append(m(p + "ffn_up.weight", hiddenDim, dim))
            out.append(m(p + "ffn_down.weight", dim, hiddenDim))
        }
        out.append(v("output_norm.weight", dim))
        if !tiedEmbeddings { out.append(m("output.weight", vocabSize, dim)) }
        return out.map { (name: $0.0, shape: $0.1, values: $0.2, isMatrix: $0.3) }
    }

    /// Writes the model; returns the dequantized values each tensor holds in the file (what an
    /// exact engine must compute with).
    @discardableResult
    public func write(to path: String) throws -> [String: [Float]] {
        var w = GGUFWriter()
        let meta: [(String, GGUFValue)] = [
            ("general.architecture", .string(architecture)),
            ("general.name", .string("tiny test model")),
            ("\(architecture).block_count", .uint32(UInt32(layers))),
            ("\(architecture).context_length", .uint32(UInt32(contextLength))),
            ("\(architecture).embedding_length", .uint32(UInt32(dim))),
            ("\(architecture).feed_forward_length", .uint32(UInt32(hiddenDim))),
            ("\(architecture).attention.head_count", .uint32(UInt32(heads))),
            ("\(architecture).attention.head_count_kv", .uint32(UInt32(kvHeads))),
            ("\(architecture).rope.freq_base", .float32(ropeBase)),
            ("\(architecture).attention.layer_norm_rms_epsilon", .float32(1e-5)),
            ("\(architecture).vocab_size", .uint32(UInt32(vocabSize))),
            ("\(architecture).rope.dimension_count", .uint32(UInt32(dim / heads))),
            ("tokenizer.ggml.model", .string("gpt2")),
            ("tokenizer.ggml.pre", .string("smollm")),
            ("tokenizer.ggml.tokens", .array(.string, Self.tokens.map { .string($0) })),
            ("tokenizer.ggml.token_type", .array(.int32, Self.tokens.indices.map { .int32($0 < Self.specials.count ? 3 : 1) })),
            ("tokenizer.ggml.merges", .array(.string, Self.merges.map { .string($0) })),
            ("tokenizer.ggml.bos_token_id", .uint32(1)),
            ("tokenizer.ggml.eos_token_id", .uint32(2)),
            ("tokenizer.ggml.padding_token_id", .uint32(2)),
            ("tokenizer.ggml.add_bos_token", .bool(false)),
            ("tokenizer.chat_template", .string(Self.chatTemplate)),
        ]
        for (k, v) in meta { w.metadata.set(k, v) }
        var stored: [String: [Float]] = [:]
        for t in values() {
            let type = typeOverrides[t.name]
                ?? (!t.isMatrix ? GGMLType.f32 : (t.name == "token_embd.weight" ? embeddingType : matrixType))
            let values = valueOverrides[t.name] ?? t.values
            let bytes: [UInt8]
            if type == .nf4 {
                bytes = try values.withUnsafeBufferPointer { try NF4.quantize($0) }
                stored[t.name] = try NF4.dequantize(bytes, elementCount: values.count)
            } else {
                bytes = try Quantize.row(type, values)
                stored[t.name] = try Dequantize.row(type, bytes, elements: values.count)
            }
            try w.addTensor(name: t.name, shape: t.shape, type: type, data: bytes)
        }
        try w.write(to: path)
        return stored
    }

    /// SmolLM2's ChatML template text (as the real core carries it).
    public static let chatTemplate = "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
}

extension TinyModel {
    /// The types of a llama.cpp K-quant mix, one per tensor kind (256-wide rows so K types fit): every
    /// ggml block type the quantizer's presets write except Q4_0/Q4_1/Q8_0.
    public static let llamaCppMix: [String: GGMLType] = [
        "token_embd.weight": .q6_K, "attn_q.weight": .q5_0, "attn_k.weight": .q5_1, "attn_v.weight": .q3_K,
        "attn_output.weight": .q2_K, "ffn_gate.weight": .q5_K, "ffn_up.weight": .q4_K, "ffn_down.weight": .q6_K,
    ]

    /// Writes a tiny model in the `llamaCppMix` types and its F32 twin (the mix's dequantized
    /// weights); returns both paths.
    public static func mixedAndTwin(in dir: TemporaryDirectory) throws -> (mixed: String, twin: String) {
        var tiny = TinyModel()
        tiny.dim = 256
        tiny.hiddenDim = 512
        for t in tiny.values() {
            let kind = t.name.split(separator: ".").suffix(2).joined(separator: ".")
            if let type = llamaCppMix[kind] { tiny.typeOverrides[t.name] = type }
        }
        let stored = try tiny.write(to: dir.file("mixed.gguf"))
        var twin = TinyModel()
        twin.dim = 256
        twin.hiddenDim = 512
        twin.valueOverrides = stored
        try twin.write(to: dir.file("twin.gguf"))
        return (dir.file("mixed.gguf"), dir.file("twin.gguf"))
    }
}
