import Foundation
import Tokenizer
@testable import TrainData

/// A stand-in tokenizer: `<|im_start|>` -> 1, `<|im_end|>` -> 2, every other Unicode scalar ->
/// its value + 10. Enough to check which characters end up labelled.
func toyEncode(_ text: String) -> [Int32] {
    var ids: [Int32] = []
    var rest = Substring(text)
    while let scalar = rest.unicodeScalars.first {
        if rest.hasPrefix(ChatTemplate.messageStart) {
            ids.append(1)
            rest = rest.dropFirst(ChatTemplate.messageStart.count)
        } else if rest.hasPrefix(ChatTemplate.messageEnd) {
            ids.append(2)
            rest = rest.dropFirst(ChatTemplate.messageEnd.count)
        } else {
            ids.append(Int32(scalar.value) + 10)
            rest = Substring(rest.unicodeScalars.dropFirst())
        }
    }
    return ids
}

/// The inverse of `toyEncode`.
func toyDecode(_ ids: [Int32]) -> String {
    ids.map { id -> String in
        switch id {
        case 1: return ChatTemplate.messageStart
        case 2: return ChatTemplate.messageEnd
        default: return String(UnicodeScalar(UInt32(id - 10)).map(Character.init) ?? "?")
        }
    }.joined()
}

func jsonl(_ lines: [String]) -> [UInt8] {
    Array(lines.joined(separator: "\n").utf8)
}

/// The issues of a dataset that fails to load, or nil if it loads.
func issues(_ lines: [String], limits: DatasetLimits = DatasetLimits()) -> (issues: [RecordIssue], total: Int)? {
    do {
        _ = try Dataset(jsonl: jsonl(lines), path: "data.jsonl", limits: limits)
        return nil
    } catch {
        guard case let .invalidRecords(_, issues, total) = error else { return ([RecordIssue(line: 0, message: "\(error)")], -1) }
        return (issues, total)
    }
}
