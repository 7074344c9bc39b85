import FuzzSupport
import SwarmBase

// Scenario and node config files go through JSONDocument and JSONFields: the strict parser
// with positions, then typed field reads. Every accepted value must serialize (compact and
// pretty) to text that parses back to the same value. The serializer writes a whole-valued
// fraction below 1e15 (2.0, -0.0) as an integer by design, so numbers compare by value.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Fuzz.input(data, size)
    guard let document = try? JSONDocument(bytes: bytes, source: "scenario.json") else { return 0 }
    for pretty in [false, true] {
        let text = document.root.serialized(pretty: pretty)
        do {
            let again = try JSONValue.parse(text)
            Fuzz.check(same(again, document.root), "value changed through serialization (pretty: \(pretty))")
        } catch {
            Fuzz.check(false, "serialized value does not parse (pretty: \(pretty)): \(error)")
        }
    }
    guard var fields = try? document.fields() else { return 0 }
    _ = try? fields.string("name")
    _ = try? fields.int("nodes", in: 1...64)
    _ = try? fields.double("learning_rate", in: 0...1)
    _ = try? fields.bool("verbose")
    _ = try? fields.choice("topology", ["ring", "full"])
    _ = try? fields.strings("peers")
    if var nested = try? fields.object("node") {
        _ = try? nested.int("port")
        _ = try? nested.finish()
    }
    if let list = try? fields.objects("rounds") {
        for var item in list { _ = try? item.int("steps"); _ = try? item.finish() }
    }
    _ = try? fields.finish()
    return 0
}

/// Equal, counting `.integer(i)` and `.number(Double(i))` as the same number.
private func same(_ a: JSONValue, _ b: JSONValue) -> Bool {
    switch (a, b) {
    case (.array(let x), .array(let y)):
        return x.count == y.count && zip(x, y).allSatisfy { same($0, $1) }
    case (.object(let x), .object(let y)):
        return x.count == y.count && x.allSatisfy { key, value in y[key].map { same(value, $0) } ?? false }
    case (.integer, .number), (.number, .integer):
        return a.doubleValue == b.doubleValue
    default:
        return a == b
    }
}

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> CInt {
    Fuzz.writeSeedsIfRequested {
        let seeds = [
            ("scenario.json", #"""
            {"name": "ring-4", "nodes": 4, "learning_rate": 2e-4, "verbose": false, "topology": "ring",
             "peers": ["127.0.0.1:7000", "[::1]:7001"], "node": {"port": 7000},
             "rounds": [{"steps": 10}, {"steps": 20}], "extra": null}
            """#),
            ("values.json", #"[0, -1, 9223372036854775807, 1.5e300, -0.0, "\u00e9\ud83d\ude00\n\"", true, {}, [[]]]"#),
        ]
        return seeds.map { ($0.0, Array($0.1.utf8)) }
    }
    return 0
}
