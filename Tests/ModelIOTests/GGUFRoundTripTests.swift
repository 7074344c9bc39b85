import Hashing
import Testing
import Quant
@testable import ModelIO
import TestSupport

@Suite struct GGUFRoundTripTests {
    static func sampleWriter() throws -> GGUFWriter {
        var w = GGUFWriter()
        w.metadata.set("general.architecture", .string("llama"))
        w.metadata.set("llama.block_count", .uint32(2))
        w.metadata.set("test.i8", .int8(-5))
        w.metadata.set("test.u16", .uint16(65000))
        w.metadata.set("test.i16", .int16(-300))
        w.metadata.set("test.i64", .int64(-1 << 40))
        w.metadata.set("test.u64", .uint64(1 << 50))
        w.metadata.set("test.f64", .float64(3.25))
        w.metadata.set("test.f32", .float32(-0.5))
        w.metadata.set("test.bool", .bool(true))
        w.metadata.set("test.unicode", .string("héllo 🌍 <|im_start|>"))
        w.metadata.set("test.strings", .array(.string, [.string("a"), .string(""), .string("Ġthe")]))
        w.metadata.set("test.nested", .array(.array, [.array(.int32, [.int32(1), .int32(-2)]), .array(.int32, [])]))
        try w.addTensor(name: "a", shape: [4, 2], floats: [1, 2, 3, 4, 5, 6, 7, 8])
        try w.addTensor(name: "b", shape: [32], type: .q8_0, data: [UInt8](repeating: 7, count: 34))
        try w.addTensor(name: "c", shape: [3], floats: [-1, 0, 1])
        return w
    }

    @Test func writtenFileParsesBackToTheSameMetadataAndTensors() throws {
        let w = try Self.sampleWriter()
        let bytes = w.serialize()
        let file = try bytes.withUnsafeBytes { try GGUFFile.parse($0) }
        #expect(file.version == 3)
        #expect(file.metadata == w.metadata)
        #expect(file.tensors.map(\.name) == ["a", "b", "c"])
        #expect(file.tensors[0].shape == [4, 2])
        #expect(file.tensors[0].rows == 2 && file.tensors[0].columns == 4)
        #expect(file.tensors[1].type == .q8_0 && file.tensors[1].byteCount == 34)
        for t in file.tensors { #expect((file.dataOffset + t.offset) % 32 == 0) }
        let floats: [Float] = bytes.withUnsafeBytes { raw in
            let t = file.tensors[2]
            return (0..<3).map { raw.loadUnaligned(fromByteOffset: file.dataOffset + t.offset + 4 * $0, as: Float.self) }
        }
        #expect(floats == [-1, 0, 1])
    }

    @Test func fileOnDiskIsMappedAndWrittenAtomically() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("m.gguf")
        try Self.sampleWriter().write(to: path)
        let model = try GGUFModelFile(path: path)
        let a = try model.tensor(named: "a")
        let data = model.data(of: a)
        #expect(data.count == 32)
        #expect(data.loadUnaligned(fromByteOffset: 28, as: Float.self) == 8)
        #expect(throws: GGUFError.missingTensor("zz")) { try model.tensor(named: "zz") }
    }

    @Test func writerRefusesMismatchedData() {
        var w = GGUFWriter()
        #expect(throws: GGUFError.self) { try w.addTensor(name: "x", shape: [32], type: .q4_1, data: [0, 1]) }
        #expect(throws: GGUFError.self) { try w.addTensor(name: "x", shape: [31], type: .q4_1, data: [UInt8](repeating: 0, count: 20)) }
    }

    @Test func coreHashIgnoresLayoutButNotContent() throws {
        let dir = TemporaryDirectory()
        var w1 = try Self.sampleWriter()
        w1.metadata.set("general.name", .string("one"))
        try w1.write(to: dir.file("1.gguf"))
        var w2 = try Self.sampleWriter()
        w2.metadata.set("general.name", .string("renamed"))
        try w2.write(to: dir.file("2.gguf"))
        var w3 = try Self.sampleWriter()
        w3.metadata.set("llama.block_count", .uint32(3))
        try w3.write(to: dir.file("3.gguf"))
        let h1 = CoreHash.compute(try GGUFModelFile(path: dir.file("1.gguf")))
        let h2 = CoreHash.compute(try GGUFModelFile(path: dir.file("2.gguf")))
        let h3 = CoreHash.compute(try GGUFModelFile(path: dir.file("3.gguf")))
        #expect(h1.bytes.count == 32)
        #expect(h1 == h2)
        #expect(h1 != h3)
    }

    @Test func sha256MatchesKnownVector() {
        let digest = Array("abc".utf8).withUnsafeBytes { SHA256.hash($0) }
        #expect(digest.hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test(.enabled(if: RealCore.isAvailable, "real core not fetched (scripts/fetch-model)"))
    func realCoreParses() throws {
        let model = try GGUFModelFile(path: RealCore.path!)
        #expect(try model.metadata.string("general.architecture") == "llama")
        #expect(try model.metadata.int("llama.block_count") == 30)
        #expect(model.tensors.count == 272)
        let embd = try model.tensor(named: "token_embd.weight")
        #expect(embd.type == .q8_0 && embd.rows == 49152 && embd.columns == 576)
        #expect(try model.tensor(named: "blk.0.attn_q.weight").type == .q4_1)
        #expect(try model.metadata.stringArray("tokenizer.ggml.tokens").count == 49152)
    }
}
