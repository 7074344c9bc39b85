import SwarmBase

extension TrainingRecord {
    /// The record as one line of a JSONL dataset, in the shape `Dataset` reads back to this
    /// record (an empty `input` is left out, as the loader reads a missing one as empty).
    public var jsonLine: String {
        let value: JSONValue
        switch self {
        case let .instruction(instruction, input, output):
            var object: [String: JSONValue] = ["instruction": .string(instruction), "output": .string(output)]
            if !input.isEmpty { object["input"] = .string(input) }
            value = .object(object)
        case .chat(let turns):
            value = .object(["messages": .array(turns.map { .object(["role": .string($0.role.rawValue), "content": .string($0.content)]) })])
        case .text(let text):
            value = .object(["text": .string(text)])
        }
        return value.text()
    }
}
