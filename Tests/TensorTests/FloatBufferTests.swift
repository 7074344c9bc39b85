import Testing
import Tensor

@Suite("FloatBuffer")
struct FloatBufferTests {
    @Test("a buffer starts zeroed and reads zero again after its contents are discarded, mapped or not",
          arguments: [100, FloatBuffer.mappingThreshold / 4 + 1, 3 * FloatBuffer.mappingThreshold])
    func discardedContentsReadAsZero(count: Int) {
        let b = FloatBuffer(count: count)
        #expect(b.buffer.allSatisfy { $0 == 0 })
        for i in 0..<count { b[i] = Float(i % 97) + 1 }
        b.discardContents()
        #expect(b.buffer.allSatisfy { $0 == 0 })
        b[count - 1] = 7  // still usable afterwards
        #expect(b[count - 1] == 7)
    }
}
