import SwarmBase

/// Parser for an explicit gossip graph (`swarmtune node --edges FILE`): the edges every node of a
/// swarm reads, so all agree on who neighbours whom and with which Metropolis weights.
///
/// One edge per line: two node ids (64 hex digits each, as `swarmtune members` and `certs` print
/// them) separated by spaces or tabs; `#` starts a comment (whole line or trailing); blank lines
/// are ignored. An edge listed twice, in either direction, counts once. Every bad line is
/// reported at once, with its line number.
public enum EdgeListFile {
    /// Parses the file's text; `file` names it in errors.
    public static func parse(_ text: String, file: String) throws(EdgeListError) -> Set<NeighbourEdge> {
        var edges: Set<NeighbourEdge> = []
        var bad: [EdgeListError.BadLine] = []
        var lineNumber = 0
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            lineNumber += 1
            var line = rawLine
            if let hash = line.firstIndex(of: "#") { line = line[..<hash] }
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            if words.isEmpty { continue }
            guard words.count == 2 else {
                bad.append(.init(line: lineNumber, reason: "expected two node ids, found \(words.count) word\(words.count == 1 ? "" : "s")"))
                continue
            }
            let ids = words.map { NodeID(hex: String($0)) }
            if let i = ids.firstIndex(where: { $0 == nil }) {
                bad.append(.init(line: lineNumber, reason: "'\(words[i].prefix(80))' is not a node id (64 hex digits)"))
                continue
            }
            guard let edge = NeighbourEdge(ids[0]!, ids[1]!) else {
                bad.append(.init(line: lineNumber, reason: "an edge from a node to itself"))
                continue
            }
            edges.insert(edge)
        }
        guard bad.isEmpty else { throw .badLines(file: file, lines: bad) }
        guard !edges.isEmpty else { throw .empty(file: file) }
        return edges
    }

    /// The text `parse` reads back as `edges`, one line per edge in id order.
    public static func render(_ edges: Set<NeighbourEdge>) -> String {
        edges.sorted { ($0.low, $0.high) < ($1.low, $1.high) }.map { "\($0.low.hex) \($0.high.hex)\n" }.joined()
    }
}

/// Why an edge list file was rejected.
public enum EdgeListError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Every line that is neither blank, a comment, nor an edge.
    case badLines(file: String, lines: [BadLine])
    /// No edge at all: a node would never have a neighbour.
    case empty(file: String)

    public struct BadLine: Equatable, Sendable {
        /// 1-based line number.
        public var line: Int
        public var reason: String
    }

    public var description: String {
        switch self {
        case let .badLines(file, lines):
            let details = lines.prefix(20).map { "  \(file):\($0.line): \($0.reason)" }.joined(separator: "\n")
            let more = lines.count > 20 ? "\n  ... and \(lines.count - 20) more" : ""
            return "\(file) has \(lines.count) bad line\(lines.count == 1 ? "" : "s") (expected two node ids per line):\n\(details)\(more)"
        case let .empty(file):
            return "\(file) lists no edge (expected two node ids per line)"
        }
    }
}
