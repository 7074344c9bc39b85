import Testing
import SwarmBase

@Suite("Byte reader and writer")
struct ByteCodecTests {
    @Test("every field written is read back the same (round trip)")
    func roundTrip() throws {
        var w = ByteWriter()
        w.u8(0xAB); w.u16(0xBEEF); w.u32(0xDEAD_BEEF); w.u64(0x0123_4567_89AB_CDEF)
        w.float32(-1.5); w.float64(.pi)
        w.string("héllo", length: UInt16.self)
        w.raw(Digest32.zero.bytes)
        let bytes = w.finish()
        var r = ByteReader(bytes)
        #expect(try r.u8("a") == 0xAB)
        #expect(try r.u16("b") == 0xBEEF)
        #expect(try r.u32("c") == 0xDEAD_BEEF)
        #expect(try r.u64("d") == 0x0123_4567_89AB_CDEF)
        #expect(try r.float32("e") == -1.5)
        #expect(try r.float64("f") == .pi)
        #expect(try r.string("g", length: UInt16.self, limit: 64) == "héllo")
        #expect(try r.digest("h") == .zero)
        try r.expectEnd()
    }

    @Test("a truncated field names the field, offset and sizes")
    func truncatedNamesField() {
        var r = ByteReader([UInt8]([1, 2, 3]))
        #expect(throws: ByteReadError.truncated(field: "length", offset: 0, needed: 4, available: 3)) {
            try r.u32("length")
        }
    }

    @Test("a count the remaining bytes cannot hold is refused before any allocation")
    func hostileCountRefused() {
        var w = ByteWriter()
        w.u32(1_000_000)
        var r = ByteReader(w.finish())
        #expect(throws: ByteReadError.self) { try r.count("items", as: UInt32.self, limit: 10_000_000, minimumSize: 8) }
        var r2 = ByteReader([UInt8]([0xFF, 0xFF, 0, 0]))
        #expect(throws: ByteReadError.limitExceeded(field: "items", offset: 0, value: 65535, limit: 100)) {
            try r2.count("items", as: UInt32.self, limit: 100, minimumSize: 1)
        }
    }

    @Test("strict strings refuse invalid UTF-8; repairing ones substitute")
    func utf8Policies() throws {
        let bytes: [UInt8] = [2, 0xC3, 0x28]
        var strict = ByteReader(bytes)
        #expect(throws: ByteReadError.invalidUTF8(field: "s", offset: 1)) {
            try strict.string("s", length: UInt8.self, limit: 10)
        }
        var repairing = ByteReader(bytes)
        #expect(try repairing.string("s", length: UInt8.self, limit: 10, utf8: .repairing) == "\u{FFFD}(")
    }

    @Test("a reader over a slice counts offsets from the slice start")
    func sliceOffsets() throws {
        let whole: [UInt8] = [9, 9, 1, 0, 2]
        var r = ByteReader(whole[2...])
        #expect(try r.u16("x") == 1)
        #expect(r.offset == 2)
        #expect(throws: ByteReadError.trailingBytes(offset: 2, count: 1)) { try r.expectEnd() }
    }

    @Test("random bytes never trap any read")
    func randomBytesNeverTrap() {
        var rng = SeededRandom(seed: 11)
        for _ in 0..<2_000 {
            let bytes = (0..<rng.below(24)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            var r = ByteReader(bytes)
            var failures = 0
            while r.remaining > 0 && failures < 3 {
                do {
                    switch rng.below(4) {
                    case 0: _ = try r.u32("a")
                    case 1: _ = try r.string("b", length: UInt8.self, limit: 8)
                    case 2: _ = try r.count("c", as: UInt16.self, limit: 1000, minimumSize: 4)
                    default: _ = try r.bytes(rng.below(8), "d")
                    }
                } catch {
                    failures += 1
                }
            }
            #expect(r.offset <= bytes.count)
        }
    }
}
