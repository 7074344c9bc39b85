#if canImport(Glibc)
import Glibc
#endif
import SwarmBase

/// Bounds the loader enforces on untrusted dataset files.
public struct DatasetLimits: Sendable, Hashable {
    /// Lines longer than this (in bytes) are refused without being parsed.
    public var maxLineBytes: Int
    /// The largest file accepted; the file is read into memory whole.
    public var maxFileBytes: Int
    /// How many bad lines an error lists (all are counted).
    public var maxReportedIssues: Int

    public init(maxLineBytes: Int = 1 << 20, maxFileBytes: Int = 1 << 30, maxReportedIssues: Int = 50) {
        self.maxLineBytes = maxLineBytes
        self.maxFileBytes = maxFileBytes
        self.maxReportedIssues = maxReportedIssues
    }
}

/// A validated JSONL dataset: every record has the same shape and is well-formed.
public struct Dataset: Sendable, Hashable {
    /// The file the records came from (or a label for in-memory input).
    public let path: String
    public let shape: RecordShape
    /// Records in file order.
    public let examples: [DatasetExample]

    init(path: String, shape: RecordShape, examples: [DatasetExample]) {
        self.path = path
        self.shape = shape
        self.examples = examples
    }

    /// Reads and validates a JSONL file.
    public static func load(path: String, limits: DatasetLimits = DatasetLimits()) throws(TrainDataError) -> Dataset {
        try Dataset(jsonl: try readFile(path, limit: limits.maxFileBytes), path: path, limits: limits)
    }

    /// Validates JSONL text: one JSON object per line; blank lines are skipped; a UTF-8 byte
    /// order mark and CRLF line ends are tolerated. All bad lines are collected into a single
    /// `.invalidRecords` error.
    public init(jsonl bytes: [UInt8], path: String, limits: DatasetLimits = DatasetLimits()) throws(TrainDataError) {
        guard bytes.count <= limits.maxFileBytes else {
            throw .fileTooLarge(path: path, size: bytes.count, limit: limits.maxFileBytes)
        }
        // JSON text never holds a NUL byte (inside strings it must be escaped): a file with one is
        // binary (a model, an archive), refused as a whole rather than as thousands of bad lines.
        if let nul = bytes.firstIndex(of: 0) {
            throw .unreadable(path: path, reason: "a binary file (a NUL byte at offset \(nul)), not JSONL text")
        }
        var issues: [RecordIssue] = []
        var totalIssues = 0
        func report(_ line: Int, _ message: String) {
            totalIssues += 1
            if issues.count < limits.maxReportedIssues { issues.append(RecordIssue(line: line, message: message)) }
        }
        var examples: [DatasetExample] = []
        var fileShape: (shape: RecordShape, line: Int)?
        var start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        var lineNumber = 0
        while start < bytes.count {
            lineNumber += 1
            let newline = bytes[start...].firstIndex(of: 0x0A) ?? bytes.count
            var end = newline
            if end > start && bytes[end - 1] == 0x0D { end -= 1 }
            defer { start = newline + 1 }
            let line = bytes[start..<end]
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            guard line.count <= limits.maxLineBytes else {
                report(lineNumber, "line is \(line.count) bytes, over the limit of \(limits.maxLineBytes) bytes")
                continue
            }
            switch RecordParser.parse(line) {
            case .failure(let message):
                report(lineNumber, message.text)
            case .success(let record):
                if let fileShape, fileShape.shape != record.shape {
                    report(lineNumber, "is \(Self.article(record.shape)) record but line \(fileShape.line) is \(Self.article(fileShape.shape)) record; a file holds one shape")
                    continue
                }
                if fileShape == nil { fileShape = (record.shape, lineNumber) }
                examples.append(DatasetExample(line: lineNumber, record: record))
            }
        }
        if totalIssues > 0 { throw .invalidRecords(path: path, issues: issues, totalIssues: totalIssues) }
        guard let fileShape else { throw .noRecords(path: path) }
        self.path = path
        self.shape = fileShape.shape
        self.examples = examples
    }

    private static func article(_ shape: RecordShape) -> String {
        shape == .instruction ? "an instruction" : (shape == .chat ? "a chat" : "a text")
    }

    private static func readFile(_ path: String, limit: Int) throws(TrainDataError) -> [UInt8] {
        // The size is checked here first so an oversized file is refused with its size.
        var info = stat()
        if stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, Int(info.st_size) > limit {
            throw .fileTooLarge(path: path, size: Int(info.st_size), limit: limit)
        }
        do {
            return try FileIO.readAll(path, limit: limit)
        } catch {
            throw .unreadable(path: path, reason: error.reason)
        }
    }
}

/// Turns one JSONL line into a record, or says precisely what is wrong with it.
enum RecordParser {
    struct Message: Error {
        let text: String
        init(_ text: String) { self.text = text }
    }

    static func parse(_ line: ArraySlice<UInt8>) -> Result<TrainingRecord, Message> {
        let value: JSONValue
        do {
            value = try JSONValue.parse(line)
        } catch {
            return .failure(Message("not valid JSON: column \(error.column): \(error.message)"))
        }
        guard let object = value.objectValue else {
            return .failure(Message("must be a JSON object, found \(value.typeName)"))
        }
        let isChat = object["messages"] != nil
        let isInstruction = object["instruction"] != nil || object["output"] != nil
        let isText = object["text"] != nil
        switch (isInstruction, isChat, isText) {
        case (true, false, false): return instruction(object)
        case (false, true, false): return chat(object)
        case (false, false, true): return text(object)
        case (false, false, false):
            return .failure(Message("has none of the fields 'instruction'/'output', 'messages' or 'text'"))
        default:
            return .failure(Message("mixes fields of different record shapes ('instruction'/'output', 'messages', 'text')"))
        }
    }

    private static func requiredString(_ object: [String: JSONValue], _ key: String) -> Result<String, Message> {
        guard let value = object[key] else { return .failure(Message("missing field '\(key)'")) }
        guard let string = value.stringValue else {
            return .failure(Message("field '\(key)' must be a string, found \(value.typeName)"))
        }
        guard !isBlank(string) else { return .failure(Message("field '\(key)' is empty")) }
        return .success(string)
    }

    private static func instruction(_ object: [String: JSONValue]) -> Result<TrainingRecord, Message> {
        let instruction: String, output: String
        switch requiredString(object, "instruction") {
        case .success(let s): instruction = s
        case .failure(let m): return .failure(m)
        }
        var input = ""
        if let value = object["input"], !value.isNull {
            guard let string = value.stringValue else {
                return .failure(Message("field 'input' must be a string or null, found \(value.typeName)"))
            }
            input = string
        }
        switch requiredString(object, "output") {
        case .success(let s): output = s
        case .failure(let m): return .failure(m)
        }
        return .success(.instruction(instruction: instruction, input: input, output: output))
    }

    private static func chat(_ object: [String: JSONValue]) -> Result<TrainingRecord, Message> {
        guard let list = object["messages"]?.arrayValue else {
            return .failure(Message("field 'messages' must be an array, found \(object["messages"]?.typeName ?? "nothing")"))
        }
        guard !list.isEmpty else { return .failure(Message("field 'messages' is empty")) }
        var turns: [ChatTurn] = []
        for (i, item) in list.enumerated() {
            let at = "messages[\(i)]"
            guard let message = item.objectValue else {
                return .failure(Message("\(at) must be an object, found \(item.typeName)"))
            }
            guard let roleValue = message["role"] else { return .failure(Message("\(at) is missing 'role'")) }
            guard let roleName = roleValue.stringValue else {
                return .failure(Message("\(at).role must be a string, found \(roleValue.typeName)"))
            }
            guard let role = ChatRole(rawValue: roleName) else {
                return .failure(Message("\(at).role \"\(roleName.prefix(40))\" is not one of system, user, assistant"))
            }
            guard let contentValue = message["content"] else { return .failure(Message("\(at) is missing 'content'")) }
            guard let content = contentValue.stringValue else {
                return .failure(Message("\(at).content must be a string, found \(contentValue.typeName)"))
            }
            if role == .assistant && isBlank(content) {
                return .failure(Message("\(at) is an assistant message with empty content"))
            }
            turns.append(ChatTurn(role: role, content: content))
        }
        guard turns.contains(where: { $0.role == .assistant }) else {
            return .failure(Message("'messages' has no assistant message, so nothing to train on"))
        }
        return .success(.chat(turns))
    }

    private static func text(_ object: [String: JSONValue]) -> Result<TrainingRecord, Message> {
        requiredString(object, "text").map { .text($0) }
    }

    private static func isBlank(_ s: String) -> Bool {
        s.unicodeScalars.allSatisfy { $0.properties.isWhitespace }
    }
}
