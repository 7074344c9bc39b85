/// A peer's listen address: a host (IPv4 literal, IPv6 literal or DNS name) and a TCP port.
///
/// Written `host:port`, or `[v6]:port` for IPv6, both in peers files and in `description`.
public struct PeerAddress: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The host without brackets: `10.0.0.7`, `node-3.lan` or `fe80::1`.
    public let host: String
    /// The TCP port, 1...65535.
    public let port: UInt16

    /// Creates an address after validating the host and port.
    public init(host: String, port: UInt16) throws(PeerAddressError) {
        guard port != 0 else { throw .invalidPort("0") }
        guard HostSyntax.isIPv4(host[...]) || HostSyntax.isIPv6(host[...]) || HostSyntax.isHostname(host[...]) else {
            throw .invalidHost(host)
        }
        self.host = host
        self.port = port
    }

    /// Parses `host:port` or `[v6]:port`.
    public init(parsing text: String) throws(PeerAddressError) {
        let hostPart: Substring
        let portPart: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw .missingBracket(text) }
            hostPart = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { throw .missingPort(text) }
            portPart = rest.dropFirst()
            guard HostSyntax.isIPv6(hostPart) else { throw .invalidHost(String(hostPart)) }
        } else {
            guard let colon = text.lastIndex(of: ":") else { throw .missingPort(text) }
            hostPart = text[..<colon]
            portPart = text[text.index(after: colon)...]
            if hostPart.contains(":") { throw .unbracketedIPv6(text) }
        }
        guard !portPart.isEmpty, portPart.utf8.count <= 5, portPart.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              let port = UInt16(portPart), port != 0 else { throw .invalidPort(String(portPart)) }
        try self.init(host: String(hostPart), port: port)
    }

    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    public static func < (lhs: PeerAddress, rhs: PeerAddress) -> Bool {
        (lhs.host, lhs.port) < (rhs.host, rhs.port)
    }
}

/// Why a peer address was rejected.
public enum PeerAddressError: Error, Equatable, Sendable, CustomStringConvertible {
    case missingPort(String)
    case invalidPort(String)
    case invalidHost(String)
    case missingBracket(String)
    case unbracketedIPv6(String)

    public var description: String {
        switch self {
        case .missingPort(let text): "'\(text)' has no port: write host:port, e.g. 10.0.0.7:7946"
        case .invalidPort(let port): "port '\(port)' is not a number in 1...65535"
        case .invalidHost(let host): "host '\(host)' is not an IPv4 address, an IPv6 address or a DNS name"
        case .missingBracket(let text): "'\(text)' opens '[' without the closing ']': write [v6]:port"
        case .unbracketedIPv6(let text): "'\(text)' looks like IPv6 without brackets: write [v6]:port"
        }
    }
}

/// Syntax checks for host literals and names (no resolution).
enum HostSyntax {
    /// Dotted quad, each part 0...255 without leading zeros.
    static func isIPv4(_ text: Substring) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return false }
        for part in parts {
            guard (1...3).contains(part.utf8.count), part.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                  let value = Int(part), value <= 255 else { return false }
            if part.utf8.count > 1 && part.utf8.first == 0x30 { return false }
        }
        return true
    }

    /// RFC 4291 text form: up to eight groups of 1...4 hex digits, at most one `::`, optional trailing IPv4.
    /// Zone identifiers (`%eth0`) are not accepted.
    static func isIPv6(_ text: Substring) -> Bool {
        guard text.utf8.count >= 2, text.utf8.count <= 45 else { return false }
        let string = String(text)
        let halves = string.components(separatedBy: "::")
        guard halves.count <= 2 else { return false }
        func groups(_ part: String) -> [Substring] {
            part.isEmpty ? [] : part.split(separator: ":", omittingEmptySubsequences: false)
        }
        var all = groups(halves[0]) + (halves.count == 2 ? groups(halves[1]) : [])
        var width = 0
        if let last = all.last, last.contains("."), !string.hasSuffix(":") {
            guard isIPv4(last) else { return false }
            all.removeLast()
            width += 2
        }
        for group in all {
            guard (1...4).contains(group.utf8.count), group.utf8.allSatisfy(isHexDigit) else { return false }
        }
        width += all.count
        return halves.count == 2 ? width <= 7 : width == 8
    }

    /// DNS name: labels of letters, digits and hyphens (not at either end), 1...63 bytes each, 253 in all,
    /// and not all-numeric (so a mistyped IPv4 address is not taken for a name).
    static func isHostname(_ text: Substring) -> Bool {
        guard (1...253).contains(text.utf8.count) else { return false }
        let labels = text.split(separator: ".", omittingEmptySubsequences: false)
        var allNumeric = true
        for label in labels {
            let bytes = label.utf8
            guard (1...63).contains(bytes.count), bytes.first != 0x2D, bytes.last != 0x2D,
                  bytes.allSatisfy({ isAlphanumeric($0) || $0 == 0x2D }) else { return false }
            if !bytes.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) { allNumeric = false }
        }
        return !allNumeric
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x46).contains(byte) || (0x61...0x66).contains(byte)
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
    }
}
