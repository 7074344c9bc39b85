import Testing
import Quant
@testable import ModelIO

/// The ggml block types a llama.cpp quantization mix writes (Q5_0, Q5_1, Q2_K, Q3_K, Q5_K beside
/// the older ones): their tensors parse with the right byte counts, and a shape or a data size
/// that does not fit the type is an error naming the tensor and its place in the file.
@Suite struct GGUFBlockTypeTests {
    static let newTypes: [GGMLType] = [.q5_0, .q5_1, .q2_K, .q3_K, .q5_K]

    static func parse(_ b: [UInt8]) throws(GGUFError) -> GGUFFile {
        let result: Result<GGUFFile, GGUFError> = b.withUnsafeBytes { raw in
            do throws(GGUFError) { return .success(try GGUFFile.parse(raw)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// One tensor "t" of `rows` rows of 512 elements of `type`, zero-filled.
    static func file(_ type: GGMLType, rows: Int = 3) throws -> [UInt8] {
        var w = GGUFWriter()
        let bytes = try #require(type.byteCount(elements: 512 * rows))
        try w.addTensor(name: "t", shape: [512, rows], type: type, data: [UInt8](repeating: 0, count: bytes))
        return w.serialize()
    }

    @Test(arguments: newTypes)
    func tensorsOfTheTypeParseWithTheirGGMLByteCount(type: GGMLType) throws {
        let file = try Self.parse(try Self.file(type))
        let t = try #require(file.tensors.first)
        #expect(t.type == type && t.byteCount == 3 * 512 / type.blockSize * type.typeSize)
    }

    /// A row of 576 (SmolLM2's width) is whole Q5_0 blocks but not whole 256-weight K blocks: a file
    /// that claims a K type for it is refused at the tensor's entry.
    @Test(arguments: [GGMLType.q2_K, .q3_K, .q5_K])
    func aRowThatIsNotWholeKBlocksIsALocatedError(type: GGMLType) throws {
        var w = GGUFWriter()
        try w.addTensor(name: "blk.0.attn_q.weight", shape: [576, 2], type: .q5_0,
                        data: [UInt8](repeating: 0, count: 2 * 18 * 22))
        var b = w.serialize()
        // header 24 bytes, no metadata; entry: name (8 + 19), n_dims 4, two dims 16, then the type.
        let typeAt = 24 + 8 + 19 + 4 + 16
        #expect(b[typeAt] == UInt8(GGMLType.q5_0.rawValue))
        b[typeAt] = UInt8(type.rawValue)
        do {
            _ = try Self.parse(b)
            Issue.record("a \(type) tensor with 576-element rows parsed")
        } catch {
            guard case let .badTensorShape(tensor, offset, reason) = error else { Issue.record("unexpected \(error)"); return }
            #expect(tensor == "blk.0.attn_q.weight" && offset == 24 && reason.contains("576") && reason.contains("\(type)"))
        }
    }

    /// Data cut one byte short of the tensor's end: the tensor runs past the end of the file.
    @Test(arguments: newTypes)
    func truncatedDataIsALocatedError(type: GGMLType) throws {
        var b = try Self.file(type)
        let good = try Self.parse(b)
        let t = try #require(good.tensors.first)
        b.removeLast(b.count - (good.dataOffset + t.offset + t.byteCount - 1))
        do {
            _ = try Self.parse(b)
            Issue.record("a truncated \(type) tensor parsed")
        } catch {
            guard case let .badTensorOffset(tensor, _, reason) = error else { Issue.record("unexpected \(error)"); return }
            #expect(tensor == "t" && reason.contains("past the end"))
        }
    }
}
