import FuzzSupport
import Gossip
import SwarmBase
import Transport

// The transport's streaming frame decoder (hello, reason, payload, bye). The first input byte
// sets the chunk size the rest is fed in, so frames split across reads are covered; every frame
// the decoder accepts must encode back to bytes that decode to the same frame.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = Fuzz.input(data, size)
    guard let first = input.first else { return 0 }
    let chunk = Int(first) + 1
    let stream = UnsafeRawBufferPointer(rebasing: input.dropFirst())
    var decoder = FrameDecoder(maxFrameLength: 1 << 20)
    var offset = 0
    while offset < stream.count {
        let end = min(stream.count, offset + chunk)
        decoder.feed(UnsafeRawBufferPointer(rebasing: stream[offset..<end]))
        offset = end
        while true {
            let frame: Frame?
            do { frame = try decoder.nextFrame() } catch { return 0 }
            guard let frame else { break }
            roundTrip(frame)
        }
    }
    return 0
}

private func roundTrip(_ frame: Frame) {
    Fuzz.checkRoundTrip(Optional(frame), "frame") { frame in
        var again = FrameDecoder(maxFrameLength: 1 << 20)
        again.feed(try frame!.encoded())
        return try again.nextFrame()
    }
}

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> CInt {
    Fuzz.writeSeedsIfRequested {
        let node = NodeID(digest: Digest32(bytes: [UInt8](repeating: 9, count: 32))!)
        let tensor = try FactorTensor(name: "a", shape: [2, 3], floats: [1, 2, 3, 4, 5, 6])
        let frames: [(String, Frame)] = [
            ("hello", .hello(Hello(nodeID: node, swarmID: "swarm", listenAddress: "127.0.0.1:7000", coreHash: .zero, schemaHash: .zero))),
            ("reason", .reason(Reason(.coreHashMismatch, "core differs"))),
            ("payload-membership", .payload(Payload(kind: .membership, sender: node, body: [1, 2, 3, 4, 5, 6, 7, 8]))),
            ("payload-factors", .payload(Payload(kind: .factors, sender: node,
                                                 body: try FactorsMessage(round: 3, sender: node, schemaHash: .zero, tensors: [tensor]).encoded()))),
            ("bye", .bye),
        ]
        // Chunk byte 255 feeds each frame whole; the conversation seed feeds 7 bytes at a time.
        var seeds = try frames.map { ($0.0, [255] + (try $0.1.encoded())) }
        seeds.append(("conversation", [6] + seeds.flatMap { $0.1.dropFirst() }))
        return seeds
    }
    return 0
}
