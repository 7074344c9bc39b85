import FuzzSupport
import Membership
import SwarmBase

// SWIM membership messages as they arrive in a payload frame; every accepted envelope must
// encode back to bytes that decode to the same envelope.

let sender = NodeID(digest: Digest32(bytes: [UInt8](repeating: 7, count: 32))!)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(Fuzz.input(data, size))
    guard let envelope = try? SWIMCodec.decode(bytes, sender: sender) else { return 0 }
    Fuzz.checkRoundTrip(envelope, "envelope") { try SWIMCodec.decode(try SWIMCodec.encode($0), sender: sender) }
    return 0
}

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> CInt {
    Fuzz.writeSeedsIfRequested {
        let other = NodeID(digest: Digest32(bytes: (0..<32).map { UInt8($0) })!)
        let here = try PeerAddress(host: "10.0.0.1", port: 7000)
        let there = try PeerAddress(parsing: "[::1]:7001")
        let metadata = MemberMetadata(coreHash: "ab12", adapterSchemaHash: "cd34", capabilities: ["role": "trainer"])
        let gossip = [MembershipUpdate(id: other, address: there, incarnation: 3, status: .alive, metadata: metadata),
                      MembershipUpdate(id: other, address: there, incarnation: 4, status: .suspect, suspector: sender)]
        let messages: [(String, SWIMMessage, [MembershipUpdate])] = [
            ("ping", .ping(sequence: 1, target: other), gossip),
            ("ack", .ack(sequence: 1), []),
            ("ping-request", .pingRequest(sequence: 2, target: other, targetAddress: there), gossip),
            ("nack", .nack(sequence: 2), []),
            ("push-pull", .pushPull(.init(isResponse: false, join: true, members: gossip)), []),
            ("leave", .leave(incarnation: 5), []),
        ]
        return try messages.map {
            ($0.0, try SWIMCodec.encode(SWIMEnvelope(sender: sender, senderAddress: here, message: $0.1, gossip: $0.2)))
        }
    }
    return 0
}
