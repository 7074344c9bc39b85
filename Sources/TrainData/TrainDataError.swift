/// One bad line of a dataset file.
public struct RecordIssue: Sendable, Hashable, CustomStringConvertible {
    /// 1-based line number in the file.
    public var line: Int
    public var message: String

    public init(line: Int, message: String) {
        self.line = line
        self.message = message
    }

    public var description: String { "line \(line): \(message)" }
}

/// Why a dataset could not be loaded or prepared. Dataset problems are reported all at once
/// (every bad line, up to a cap) so a user can fix a file in one pass.
public enum TrainDataError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file could not be opened or read.
    case unreadable(path: String, reason: String)
    /// The file is larger than the loader's limit.
    case fileTooLarge(path: String, size: Int, limit: Int)
    /// Some lines are not valid records. `issues` holds the first ones (up to the loader's cap)
    /// in line order; `totalIssues` counts them all.
    case invalidRecords(path: String, issues: [RecordIssue], totalIssues: Int)
    /// The file holds no record (only blank lines, or nothing).
    case noRecords(path: String)
    /// A parameter of splitting, tokenizing or batching is out of range.
    case invalidParameter(name: String, reason: String)
    /// A tokenized example does not fit the batch geometry (longer than the sequence, or ids and
    /// labels of different lengths).
    case invalidExample(index: Int, reason: String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason):
            return "\(path): cannot read dataset: \(reason)"
        case let .fileTooLarge(path, size, limit):
            return "\(path): dataset is \(size) bytes, over the limit of \(limit) bytes"
        case let .invalidRecords(path, issues, total):
            var text = "\(path): \(total) invalid record\(total == 1 ? "" : "s")"
            for issue in issues { text += "\n  \(path):\(issue.line): \(issue.message)" }
            if total > issues.count { text += "\n  ... and \(total - issues.count) more" }
            return text
        case let .noRecords(path):
            return "\(path): the dataset holds no records"
        case let .invalidParameter(name, reason):
            return "invalid \(name): \(reason)"
        case let .invalidExample(index, reason):
            return "example \(index): \(reason)"
        }
    }
}
