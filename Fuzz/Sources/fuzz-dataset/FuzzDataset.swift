import FuzzSupport
import SwarmBase
import TrainData

// A private dataset file (JSONL, any of the accepted record shapes) through the loader.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(Fuzz.input(data, size))
    let limits = DatasetLimits(maxLineBytes: 1 << 16, maxFileBytes: 1 << 20, maxReportedIssues: 8)
    guard let dataset = try? Dataset(jsonl: bytes, path: "data.jsonl", limits: limits) else { return 0 }
    Fuzz.check(!dataset.examples.isEmpty, "a dataset was accepted with no examples")
    for example in dataset.examples {
        Fuzz.check(example.record.shape == dataset.shape, "line \(example.line) is \(example.record.shape), the file \(dataset.shape)")
    }
    return 0
}

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> CInt {
    Fuzz.writeSeedsIfRequested {
        let seeds = [
            ("messages.jsonl", #"""
            {"messages":[{"role":"system","content":"be brief"},{"role":"user","content":"2+2?"},{"role":"assistant","content":"4"}]}
            {"messages":[{"role":"user","content":"héllo \u00e9 \ud83d\ude00"},{"role":"assistant","content":"hi\n"}]}

            """#),
            ("instruction.jsonl", #"""
            {"instruction":"Translate to French","input":"cat","output":"chat"}
            {"instruction":"Say hi","output":"hi"}

            """#),
            ("text.jsonl", "{\"text\":\"plain text record\"}\r\n{\"text\":\"second\"}"),
        ]
        return seeds.map { ($0.0, Array($0.1.utf8)) }
    }
    return 0
}
