import FuzzSupport
import Membership

// peers/NAME.txt files: every address the parser accepts must print as text that parses back
// to the same address.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = String(decoding: Fuzz.input(data, size), as: UTF8.self)
    guard let addresses = try? PeersFile.parse(text, file: "peers/fuzz.txt") else { return 0 }
    Fuzz.check(Set(addresses).count == addresses.count, "repeated addresses were kept")
    for address in addresses {
        Fuzz.checkRoundTrip(address, "address") { try PeerAddress(parsing: $0.description) }
    }
    return 0
}

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> CInt {
    Fuzz.writeSeedsIfRequested {
        let seeds = [
            ("seeds.txt", "# swarm seeds\n127.0.0.1:7000\nnode-b.example.org:7001   # trailing comment\n\n[::1]:7002\r\n  [fe80::1]:65535\t\n"),
            ("repeats.txt", "10.0.0.1:1\n10.0.0.1:1\nlocalhost:8080"),
        ]
        return seeds.map { ($0.0, Array($0.1.utf8)) }
    }
    return 0
}
