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
