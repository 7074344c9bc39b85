import Testing
@testable import Quant

@Suite struct GGMLTypeTests {
    @Test func byteCountRejectsPartialBlocks() {
        #expect(GGMLType.q4_1.byteCount(elements: 33) == nil)
        #expect(GGMLType.q4_1.byteCount(elements: 64) == 40)
        #expect(GGMLType.f32.byteCount(elements: 3) == 12)
    }

    @Test func byteCountRejectsOverflow() {
        #expect(GGMLType.f32.byteCount(elements: Int.max / 2) == nil)
    }
}

@Suite struct GGMLTypeLayoutTests {
    /// Every block format's size is blocks x typeSize; NF4 adds its group table.
    @Test(arguments: GGMLType.allCases)
    func byteCountOfWholeBlocks(type: GGMLType) throws {
        let blocks = 300
        let bytes = try #require(type.byteCount(elements: blocks * type.blockSize))
        if type.isTensorLevelLayout {
            #expect(bytes == 300 * 33 + 8 * 2)          // 300 absmax bytes happen to need no padding
        } else {
            #expect(bytes == blocks * type.typeSize)
        }
        #expect(type.byteCount(elements: 0) == 0)
        #expect(type.byteCount(elements: -type.blockSize) == nil)
    }

    @Test func rawValuesAreGGUFs() {
        #expect(GGMLType(rawValue: 2) == .q4_0 && GGMLType(rawValue: 12) == .q4_K && GGMLType(rawValue: 30) == .bf16)
        #expect(GGMLType(rawValue: 6) == .q5_0 && GGMLType(rawValue: 7) == .q5_1 && GGMLType(rawValue: 10) == .q2_K
                && GGMLType(rawValue: 11) == .q3_K && GGMLType(rawValue: 13) == .q5_K)
    }

    /// Block sizes as gguf-py's GGML_QUANT_SIZES and ggml-common.h's block structs state them.
    @Test func blockAndTypeSizesAreGGMLs() {
        let ggml: [GGMLType: (Int, Int)] = [
            .q4_0: (32, 18), .q4_1: (32, 20), .q5_0: (32, 22), .q5_1: (32, 24), .q8_0: (32, 34),
            .q2_K: (256, 84), .q3_K: (256, 110), .q4_K: (256, 144), .q5_K: (256, 176), .q6_K: (256, 210),
        ]
        for (type, (block, size)) in ggml {
            #expect(type.blockSize == block && type.typeSize == size, "\(type)")
        }
    }
}
