import Testing
import Tensor

@Suite("FloatBuffer")
struct FloatBufferTests {
    @Test("a buffer starts zeroed and reads zero again after its contents are discarded, mapped or not",
          arguments: [100, FloatBuffer.mappingThreshold / 4 + 1, 3 * FloatBuffer.mappingThreshold])
    func discardedContentsReadAsZero(count: Int) throws {
        let b = try FloatBuffer(count: count)
        #expect(b.buffer.allSatisfy { $0 == 0 })
        for i in 0..<count { b[i] = Float(i % 97) + 1 }
        b.discardContents()
        #expect(b.buffer.allSatisfy { $0 == 0 })
        b[count - 1] = 7  // still usable afterwards
        #expect(b[count - 1] == 7)
    }

    /// Issue 12: sizes come from flags and files; one the machine cannot hold, or one whose byte
    /// count overflows, throws an error saying how much was asked instead of stopping the program.
    @Test("a size the machine cannot hold, or that overflows, throws naming the size", arguments: [1 << 50, Int.max / 2, -1])
    func impossibleSizesThrow(count: Int) {
        #expect(throws: AllocationError.self) { _ = try FloatBuffer(count: count) }
        do { _ = try FloatBuffer(count: count) } catch {
            #expect(error.description.contains("\(count) floats"), "\(error)")
            #expect(error.count == count)
        }
    }
}
