import SwarmBase
import COpenSSL
import Foundation
import Glibc
import Testing
@testable import Transport

/// Every way a connection must be refused, with the reason visible on both sides.
@Suite("Refusals", .serialized)
struct RefusalTests {
    enum BadCertificate: String, CaseIterable, CustomTestStringConvertible {
        case otherCA, expired, notYetValid, selfSigned
        var testDescription: String { rawValue }
    }

    /// An identity with the given defect that still trusts the swarm CA (so its own checks pass).
    static func badIdentity(_ kind: BadCertificate, swarm: TestSwarm) throws -> TLSIdentity {
        let now = Int64(time(nil))
        let key = try PrivateKey.generate()
        let certificate: Certificate
        switch kind {
        case .otherCA:
            let other = try SwarmCA.ephemeral(commonName: "Some other CA")
            certificate = try Certificate.create(.valid(commonName: "mallory", hosts: ["127.0.0.1"], days: 30),
                                                 for: key, issuer: (other.certificate, other.key))
        case .expired:
            certificate = try Certificate.create(
                CertificateSpec(commonName: "expired", hosts: ["127.0.0.1"], notBefore: now - 10 * 86_400, notAfter: now - 86_400),
                for: key, issuer: (swarm.ca.certificate, swarm.ca.key))
        case .notYetValid:
            certificate = try Certificate.create(
                CertificateSpec(commonName: "future", hosts: ["127.0.0.1"], notBefore: now + 86_400, notAfter: now + 10 * 86_400),
                for: key, issuer: (swarm.ca.certificate, swarm.ca.key))
        case .selfSigned:
            certificate = try Certificate.create(.valid(commonName: "selfie", hosts: ["127.0.0.1"], days: 30), for: key)
        }
        return try TLSIdentity(trustedCA: swarm.ca.certificate, certificate: certificate, key: key)
    }

    /// What OpenSSL says about each defect on the verifying side.
    static func verifierText(_ kind: BadCertificate) -> String {
        switch kind {
        case .otherCA: return "unable to get local issuer certificate"
        case .expired: return "certificate has expired"
        case .notYetValid: return "certificate is not yet valid"
        case .selfSigned: return "self-signed certificate"
        }
    }

    static func tlsFailure(_ reason: CloseReason?) -> String? {
        if case .tlsFailure(let text)? = reason { return text }
        return nil
    }

    @Test("a bad client certificate is refused; both sides see why", arguments: BadCertificate.allCases)
    func badClientCertificate(_ kind: BadCertificate) throws {
        let swarm = try TestSwarm()
        let (good, goodEvents, address) = try swarm.node("good")
        let (bad, badEvents, _) = try swarm.node("bad", identity: Self.badIdentity(kind, swarm: swarm))
        defer { good.stop(); bad.stop() }
        try bad.dial(address, reconnect: false)

        let serverSide = try #require(Self.tlsFailure(goodEvents.waitFailure()))
        #expect(serverSide.contains(Self.verifierText(kind)), "server saw: \(serverSide)")
        let clientSide = try #require(Self.tlsFailure(badEvents.waitFailure()))
        #expect(clientSide.contains("alert"), "client saw: \(clientSide)")
        #expect(goodEvents.connectedCount == 0 && badEvents.connectedCount == 0)
    }

    @Test("a bad server certificate is refused by the dialer; both sides see why", arguments: BadCertificate.allCases)
    func badServerCertificate(_ kind: BadCertificate) throws {
        let swarm = try TestSwarm()
        let (bad, badEvents, address) = try swarm.node("bad", identity: Self.badIdentity(kind, swarm: swarm))
        let (good, goodEvents, _) = try swarm.node("good")
        defer { good.stop(); bad.stop() }
        try good.dial(address, reconnect: false)

        let clientSide = try #require(Self.tlsFailure(goodEvents.waitFailure()))
        #expect(clientSide.contains(Self.verifierText(kind)), "dialer saw: \(clientSide)")
        let serverSide = try #require(Self.tlsFailure(badEvents.waitFailure()))
        #expect(serverSide.contains("alert"), "listener saw: \(serverSide)")
    }

    @Test("a plaintext client is refused and disconnected")
    func plaintextClient() throws {
        let swarm = try TestSwarm()
        let (node, events, address) = try swarm.node("node")
        defer { node.stop() }
        let client = try RawSocket(connectingTo: address)
        client.send(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        let (bytes, closed) = client.readUntilClosed()
        #expect(closed, "the node must close a plaintext connection")
        // If anything came back, it is a TLS alert record (content type 21), never application data.
        #expect(bytes.isEmpty || bytes[0] == 21)
        let reason = try #require(Self.tlsFailure(events.waitFailure()))
        #expect(reason.contains("http request") || reason.contains("wrong version number"), "node saw: \(reason)")
    }

    @Test("a TLS 1.2-only client is refused; both sides see a protocol version error")
    func tls12Client() throws {
        let swarm = try TestSwarm()
        let (node, events, address) = try swarm.node("node")
        defer { node.stop() }
        let client = try RawTLSClient(connectingTo: address, identity: swarm.ca.makeIdentity(name: "old"), maxVersion: TLS1_2_VERSION)
        let clientError = try #require(client.handshakeError)
        #expect(clientError.contains("protocol version"), "client saw: \(clientError)")
        let reason = try #require(Self.tlsFailure(events.waitFailure()))
        #expect(reason.contains("unsupported protocol"), "node saw: \(reason)")
    }

    enum HelloDefect: String, CaseIterable, CustomTestStringConvertible {
        case swarmID, coreHash, schemaHash
        var testDescription: String { rawValue }
        var code: ReasonCode {
            switch self {
            case .swarmID: return .swarmMismatch
            case .coreHash: return .coreHashMismatch
            case .schemaHash: return .schemaMismatch
            }
        }
    }

    static func rejectionCode(_ reason: CloseReason?) -> ReasonCode? {
        switch reason {
        case .rejectedByUs(let why)?: return why.code
        case .rejectedByPeer(let why)?: return why.code
        default: return nil
        }
    }

    @Test("a hello mismatch is refused with a reason frame; both sides see the code", arguments: HelloDefect.allCases)
    func helloMismatch(_ defect: HelloDefect) throws {
        let swarm = try TestSwarm()
        let other = Digest32(bytes: [UInt8](repeating: 0xEE, count: 32))!
        let (good, goodEvents, address) = try swarm.node("good")
        let (odd, oddEvents, _) = try swarm.node(
            "odd", swarmID: defect == .swarmID ? "another-swarm" : nil,
            core: defect == .coreHash ? other : nil, schema: defect == .schemaHash ? other : nil)
        defer { good.stop(); odd.stop() }
        try odd.dial(address, reconnect: false)
        #expect(Self.rejectionCode(goodEvents.waitFailure()) == defect.code)
        #expect(Self.rejectionCode(oddEvents.waitFailure()) == defect.code)
        #expect(goodEvents.connectedCount == 0 && oddEvents.connectedCount == 0)
    }

    @Test("a hello claiming another node's id is refused with node-id-mismatch")
    func helloWithStolenNodeID() throws {
        let swarm = try TestSwarm()
        let (node, events, address) = try swarm.node("node")
        defer { node.stop() }
        let identity = try swarm.ca.makeIdentity(name: "liar")
        let client = try RawTLSClient(connectingTo: address, identity: identity)
        #expect(client.handshakeError == nil)
        let stolen = Hello(nodeID: node.nodeID == identity.nodeID ? NodeID(digest: .zero) : try swarm.ca.makeIdentity(name: "victim").nodeID,
                           swarmID: swarm.swarmID, listenAddress: "", coreHash: swarm.core, schemaHash: swarm.schema)
        client.write(try Frame.hello(stolen).encoded())
        let (bytes, closed, _) = client.readAll()
        #expect(closed)
        #expect(reasonCode(in: bytes) == .nodeIDMismatch)
        #expect(Self.rejectionCode(events.waitFailure()) == .nodeIDMismatch)
    }

    @Test("dialing with an expected node id refuses a different peer")
    func unexpectedPeer() throws {
        let swarm = try TestSwarm()
        let (server, _, address) = try swarm.node("server")
        let (client, clientEvents, _) = try swarm.node("client")
        defer { server.stop(); client.stop() }
        let someoneElse = try swarm.ca.makeIdentity(name: "someone-else").nodeID
        try client.dial(address, expecting: someoneElse, reconnect: false)
        #expect(Self.rejectionCode(clientEvents.waitFailure()) == .unexpectedPeer)
    }
}
