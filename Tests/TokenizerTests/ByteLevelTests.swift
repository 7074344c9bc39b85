import SwarmBase
import Testing
import Tokenizer

@Suite("Byte-level alphabet")
struct ByteLevelTests {
    @Test func everyByteHasItsOwnStandIn() {
        let scalars = ByteLevel.scalarForByte
        #expect(scalars.count == 256)
        #expect(Set(scalars).count == 256)
        for (byte, scalar) in scalars.enumerated() {
            #expect(ByteLevel.byte(for: scalar) == UInt8(byte))
            #expect(scalar.properties.isWhitespace == false, "stand-ins are visible characters")
        }
    }

    @Test func knownSpellings() {
        #expect(ByteLevel.encode(Array(" ".utf8)) == "Ġ")
        #expect(ByteLevel.encode(Array("\n".utf8)) == "Ċ")
        #expect(ByteLevel.encode(Array("\t".utf8)) == "ĉ")
        #expect(ByteLevel.encode(Array("hi!".utf8)) == "hi!")
        #expect(ByteLevel.encode(Array("é".utf8)) == "Ã©")
        #expect(ByteLevel.encode([0xAD]) == "Ń")
        #expect(ByteLevel.encode([0x7F, 0x80]) == "ġĢ")
    }

    @Test func bytesRoundTripThroughTheAlphabet() {
        var rng = SeededRandom(seed: 11)
        for _ in 0..<200 {
            let bytes = (0..<Int.random(in: 0...64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let spelled = ByteLevel.encode(bytes)
            #expect(ByteLevel.isSpelledInAlphabet(spelled))
            #expect(ByteLevel.decode(spelled) == bytes)
        }
    }

    @Test func scalarsOutsideTheAlphabetKeepTheirUTF8() {
        #expect(ByteLevel.byte(for: "\u{0144}") == nil)  // one past the last stand-in
        #expect(ByteLevel.byte(for: " ") == nil)
        #expect(!ByteLevel.isSpelledInAlphabet("a b"))
        #expect(ByteLevel.decode("Ġ€") == [0x20, 0xE2, 0x82, 0xAC])
    }
}
