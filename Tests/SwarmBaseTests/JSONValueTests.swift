import Testing
import SwarmBase

@Suite("Strict JSON")
struct JSONValueTests {
    @Test("integers, fractions, booleans and null are kept apart")
    func typesStayApart() throws {
        let v = try JSONValue.parse(#"{"i": 2, "f": 2.0, "e": 1e2, "b": true, "n": null, "s": "x"}"#)
        #expect(v["i"] == .integer(2))
        #expect(v["f"] == .number(2.0))
        #expect(v["e"] == .number(100))
        #expect(v["b"] == .bool(true))
        #expect(v["b"]?.intValue == nil)
        #expect(v["n"]?.isNull == true)
        #expect(v["s"]?.stringValue == "x")
    }

    @Test("a duplicate key is refused with its line and column")
    func duplicateKeyRefused() {
        #expect(throws: JSONError.self) { try JSONValue.parse("{\"a\": 1,\n \"a\": 2}") }
        do {
            _ = try JSONValue.parse("{\"a\": 1,\n \"a\": 2}")
        } catch {
            #expect(error.line == 2)
            #expect(error.column == 2)
            #expect(error.message.contains("duplicate key \"a\""))
        }
    }

    @Test("malformed documents are refused, never trapped on",
          arguments: ["", "{", "[1,]", "{\"a\" 1}", "01", "-", "1.", "1e", "\"\\x\"", "\"\\ud800\"", "tru",
                      "[1] 2", "\"a\u{01}\"", "{\"a\":}", "1e999", String(repeating: "[", count: 200)])
    func malformedRefused(text: String) {
        #expect(throws: JSONError.self) { try JSONValue.parse(text) }
    }

    @Test("escapes and surrogate pairs decode to the right scalars")
    func escapesDecode() throws {
        let v = try JSONValue.parse(#"["\u00e9\n\t\"\\\/", "\ud83d\ude00"]"#)
        #expect(v.arrayValue?[0] == .string("é\n\t\"\\/"))
        #expect(v.arrayValue?[1] == .string("😀"))
    }

    @Test("serialize then parse gives the same value (round trip)")
    func roundTrip() throws {
        var rng = SeededRandom(seed: 7)
        for _ in 0..<200 {
            let value = randomValue(&rng, depth: 0)
            for pretty in [false, true] {
                let again = try JSONValue.parse(value.serialized(pretty: pretty))
                #expect(again == value)
            }
        }
    }

    @Test("serialization sorts keys, so equal values give equal bytes")
    func deterministicBytes() throws {
        let a = try JSONValue.parse(#"{"b": 1, "a": [true, null]}"#)
        #expect(a.text() == #"{"a":[true,null],"b":1}"#)
        #expect(a.text(pretty: true) == "{\n  \"a\": [\n    true,\n    null\n  ],\n  \"b\": 1\n}")
    }

    private func randomValue(_ rng: inout SeededRandom, depth: Int) -> JSONValue {
        switch rng.below(depth > 3 ? 5 : 7) {
        case 0: return .null
        case 1: return .bool(rng.below(2) == 0)
        case 2: return .integer(Int(truncatingIfNeeded: rng.next()) >> rng.below(60))
        case 3: return .number(Double(rng.nextSignedUnit()) * 1e3 + 0.5)
        case 4: return .string(String((0..<rng.below(8)).map { _ in "aé\"\\\n😀 z".randomElement(using: &rng)! }))
        case 5: return .array((0..<rng.below(4)).map { _ in randomValue(&rng, depth: depth + 1) })
        default:
            var o: [String: JSONValue] = [:]
            for i in 0..<rng.below(4) { o["k\(i)\(rng.below(9))"] = randomValue(&rng, depth: depth + 1) }
            return .object(o)
        }
    }
}
