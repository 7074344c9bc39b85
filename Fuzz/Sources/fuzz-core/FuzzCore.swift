import FuzzSupport
import Glibc
import LM
import ModelIO
import Quant
import TestSupport
import Tokenizer

// The whole core load from GGUF bytes: header and tensor directory, the tensor views and their
// dequantization, the model config, the tokenizer (encode/decode) and the chat template.

/// The header, metadata and tensor directory (the bytes before the tensor data) of the last input
/// that reached the config and tokenizer. They, encode/decode and the template depend on the
/// metadata alone (deterministically), so an input whose bytes before the data equal the last
/// one's (most mutations land in the tensor data, which is most of a seed) would run the same code
/// on the same values: it stops after the tensors. Kept as bytes, not as the parsed metadata: the
/// leak checker cannot follow Swift's tagged string pointers, and would report a cached
/// GGUFMetadata's strings as leaked. libFuzzer runs one input at a time on one thread.
nonisolated(unsafe) private var lastHead: [UInt8] = []

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Fuzz.input(data, size)
    guard let gguf = try? GGUFFile.parse(bytes) else { return 0 }
    for info in gguf.tensors {
        // The same view GGUFModelFile.data(of:) hands out; parse promised it lies inside the file.
        let start = gguf.dataOffset + info.offset
        let view = UnsafeRawBufferPointer(rebasing: bytes[start..<(start + info.byteCount)])
        if info.elementCount <= 1 << 14 {
            _ = try? Dequantize.row(info.type, Array(view), elements: info.elementCount)
        }
    }
    let head = UnsafeRawBufferPointer(rebasing: bytes[0..<min(gguf.dataOffset, bytes.count)])
    let same = head.count == lastHead.count && lastHead.withUnsafeBytes { last in
        guard let a = last.baseAddress, let b = head.baseAddress else { return last.isEmpty }
        return memcmp(a, b, head.count) == 0
    }
    if same { return 0 }
    lastHead = Array(head)
    let path = "fuzz.gguf"
    _ = try? LlamaConfig(metadata: gguf.metadata, path: path)
    guard let core = try? CoreTokenizer(metadata: gguf.metadata, path: path) else { return 0 }
    let text = "<|im_start|>user\nthe cat in a hat, héllo 😀 1234<|im_end|>\n"
    let ids = core.tokenizer.encode(text)
    _ = core.tokenizer.decode(ids)
    _ = core.tokenizer.decode(ids, skipSpecial: true)
    if let template = core.chatTemplate {
        let messages = [ChatMessage(role: "system", content: "be brief"), ChatMessage(role: "user", content: "hi"),
                        ChatMessage(role: "assistant", content: "hello")]
        _ = template.render(messages, addGenerationPrompt: true)
        _ = template.pieces(messages)
    }
    return 0
}

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> CInt {
    Fuzz.writeSeedsIfRequested {
        // The tests' tiny model, shrunk so the seed stays a few KB.
        var model = TinyModel()
        (model.dim, model.hiddenDim, model.layers, model.heads, model.kvHeads) = (8, 16, 1, 2, 1)
        var seeds: [(name: String, bytes: [UInt8])] = []
        for (name, type) in [("tiny-f32.seed", GGMLType.f32), ("tiny-f16.seed", .f16)] {
            model.matrixType = type
            let path = "/tmp/swarmtune-fuzz-seed-\(getpid()).gguf"
            _ = try model.write(to: path)
            defer { unlink(path) }
            let file = try GGUFModelFile(path: path)
            seeds.append((name, Array(file.file.bytes)))
        }
        return seeds
    }
    return 0
}
