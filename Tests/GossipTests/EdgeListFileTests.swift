import Gossip
import SwarmBase
import Testing

/// `swarmtune node --edges FILE`: the explicit graph every node of a swarm reads.
@Suite struct EdgeListFileTests {
    static func id(_ k: UInt8) -> NodeID { NodeID(digest: Digest32(unchecked: [UInt8](repeating: k, count: 32))) }

    @Test("a rendered graph parses back to the same edges")
    func renderParsesBack() throws {
        let edges = Set([(1, 2), (2, 3), (3, 1), (4, 1)].compactMap { NeighbourEdge(Self.id($0.0), Self.id($0.1)) })
        #expect(try EdgeListFile.parse(EdgeListFile.render(edges), file: "e.txt") == edges)
    }

    @Test("comments, blank lines, tabs and CRLF are ignored; an edge given twice or reversed counts once")
    func layoutIsFree() throws {
        let (a, b, c) = (Self.id(1).hex, Self.id(2).hex, Self.id(3).hex)
        let text = "# the lab's graph\r\n\n\(a) \(b)\r\n\(b)\t\(a)  # the same edge\n  \(b)   \(c)\n"
        let edges = try EdgeListFile.parse(text, file: "e.txt")
        #expect(edges == [NeighbourEdge(Self.id(1), Self.id(2))!, NeighbourEdge(Self.id(2), Self.id(3))!])
    }

    @Test("every bad line is reported at once with its line number and what is wrong")
    func badLinesAreLocated() {
        let a = Self.id(1).hex
        let text = "\(a)\n\(a) \(a)\n\(a) xyz\n\(a) \(Self.id(2).hex) \(Self.id(3).hex)\n\(a) \(Self.id(2).hex)\n"
        #expect {
            try EdgeListFile.parse(text, file: "lab/edges.txt")
        } throws: { error in
            guard let e = error as? EdgeListError, case let .badLines(file, lines) = e else { return false }
            return file == "lab/edges.txt" && lines.map(\.line) == [1, 2, 3, 4]
                && lines[0].reason == "expected two node ids, found 1 word"
                && lines[1].reason == "an edge from a node to itself"
                && lines[2].reason == "'xyz' is not a node id (64 hex digits)"
                && lines[3].reason == "expected two node ids, found 3 words"
                && e.description.hasPrefix("lab/edges.txt has 4 bad lines (expected two node ids per line):\n  lab/edges.txt:1: ")
        }
    }

    @Test("a file with no edge is refused: no node would have a neighbour")
    func emptyIsRefused() {
        #expect(throws: EdgeListError.empty(file: "e.txt")) { try EdgeListFile.parse("# nothing\n\n", file: "e.txt") }
    }

    @Test("arbitrary bytes never crash the parser")
    func arbitraryTextNeverCrashes() {
        var rng = SeededRandom(seed: 9)
        let alphabet = Array("0123456789abcdefABCDEF #\t\r\nxyz".utf8)
        var refused = 0
        for _ in 0..<2_000 {
            let bytes = (0..<Int(rng.next() % 300)).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }
            do { _ = try EdgeListFile.parse(String(decoding: bytes, as: UTF8.self), file: "f") } catch { refused += 1 }
        }
        #expect(refused == 2_000, "random text is never a valid graph of 64-digit ids")
    }
}
