import Membership
import Testing

@Suite("Peers file and addresses")
struct PeersFileTests {
    @Test("IPv4, hostnames and bracketed IPv6 parse, with comments and blank lines skipped")
    func parsesValidFile() throws {
        let text = """
        # seeds for the lab swarm
        10.0.0.7:7946

          node-3.lab.example:8000   # trailing comment
        [fe80::1]:7946\r
        [2001:db8::192.0.2.1]:1
        [::]:65535
        10.0.0.7:7946
        """
        let peers = try PeersFile.parse(text, file: "peers/lab.txt")
        #expect(peers.map(\.description) == [
            "10.0.0.7:7946", "node-3.lab.example:8000", "[fe80::1]:7946", "[2001:db8::192.0.2.1]:1", "[::]:65535",
        ])
        #expect(peers[2].host == "fe80::1")
        #expect(peers[1].port == 8000)
    }

    @Test("every bad line is reported with its line number")
    func reportsEveryBadLine() {
        let text = """
        10.0.0.1:7946
        10.0.0.256:7946
        # fine
        host-only
        fe80::1:7946
        [fe80::1:7946
        good.example:0
        good.example:70000
        -bad-.example:1
        1.2.3.4:80 5.6.7.8:80
        [1:2:3:4:5:6:7:8:9]:1
        [::1]:x
        ok.example:22
        """
        do {
            _ = try PeersFile.parse(text, file: "peers/x.txt")
            Issue.record("expected an error")
        } catch {
            guard case let .badLines(file, lines) = error else { return }
            #expect(file == "peers/x.txt")
            #expect(lines.map(\.line) == [2, 4, 5, 6, 7, 8, 9, 10, 11, 12])
            #expect(error.description.contains("peers/x.txt:4:"))
        }
    }

    @Test("an empty or comment-only file gives no peers")
    func emptyFile() throws {
        #expect(try PeersFile.parse("", file: "p").isEmpty)
        #expect(try PeersFile.parse("# nobody yet\n\n   \n", file: "p").isEmpty)
    }

    @Test("address descriptions parse back to the same address")
    func addressRoundTrip() throws {
        var generator = EnvelopeGenerator(seed: 11)
        for _ in 0..<2_000 {
            let address = try generator.address()
            #expect(try PeerAddress(parsing: address.description) == address)
        }
    }

    @Test("hosts are validated: IPv6 forms, IPv4 ranges, DNS labels")
    func hostValidation() {
        let good = ["::1", "::", "1::", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7::", "::ffff:10.0.0.1", "FE80::ab:CD"]
        for host in good { #expect((try? PeerAddress(host: host, port: 1)) != nil, "\(host)") }
        let bad = ["", ":::", "1::2::3", "1:2:3:4:5:6:7:8:9", "12345::", "10.0.0.1::", "01.2.3.4", "1.2.3",
                   "a..b", "-a", "a_b", "999.1.1.1", String(repeating: "a", count: 64) + ".com", "fe80::1%eth0"]
        for host in bad { #expect((try? PeerAddress(host: host, port: 1)) == nil, "\(host)") }
    }
}
