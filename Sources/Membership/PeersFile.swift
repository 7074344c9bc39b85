/// Parser for `peers/NAME.txt`: the seed addresses a node joins through.
///
/// One `host:port` (IPv4, DNS name) or `[v6]:port` per line; `#` starts a comment (whole line or
/// trailing); blank lines are ignored; surrounding whitespace is trimmed. Repeated addresses are kept once,
/// in first-seen order. Every bad line is reported at once, with its line number.
public enum PeersFile {
    /// Parses the file's text; `file` names it in errors.
    public static func parse(_ text: String, file: String) throws(PeersFileError) -> [PeerAddress] {
        var addresses: [PeerAddress] = []
        var seen: Set<PeerAddress> = []
        var bad: [PeersFileError.BadLine] = []
        var lineNumber = 0
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            lineNumber += 1
            var line = rawLine
            if let hash = line.firstIndex(of: "#") { line = line[..<hash] }
            let trimmed = line.trimmingWhitespace()
            if trimmed.isEmpty { continue }
            if trimmed.contains(where: { $0 == " " || $0 == "\t" }) {
                bad.append(.init(line: lineNumber, text: String(rawLine), reason: "one address per line: found spaces inside '\(trimmed)'"))
                continue
            }
            do {
                let address = try PeerAddress(parsing: String(trimmed))
                if seen.insert(address).inserted { addresses.append(address) }
            } catch {
                bad.append(.init(line: lineNumber, text: String(rawLine), reason: error.description))
            }
        }
        guard bad.isEmpty else { throw .badLines(file: file, lines: bad) }
        return addresses
    }
}

/// Why a peers file was rejected.
public enum PeersFileError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Every line that is neither blank, a comment, nor a valid address.
    case badLines(file: String, lines: [BadLine])

    public struct BadLine: Equatable, Sendable {
        /// 1-based line number.
        public var line: Int
        public var text: String
        public var reason: String
    }

    public var description: String {
        switch self {
        case let .badLines(file, lines):
            let details = lines.map { "  \(file):\($0.line): \($0.reason)" }.joined(separator: "\n")
            return "\(file) has \(lines.count) bad line\(lines.count == 1 ? "" : "s") (expected host:port or [v6]:port per line):\n\(details)"
        }
    }
}

extension Substring {
    /// The substring without leading and trailing spaces, tabs and carriage returns.
    func trimmingWhitespace() -> Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return self[first...last]
    }
}
