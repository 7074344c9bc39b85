import FuzzSupport
import Gossip
import SwarmBase

// Dec-LoRA factor messages (the body of a factors payload); every accepted message must encode
// back to bytes that decode to the same message.

let sender = NodeID(digest: Digest32(bytes: [UInt8](repeating: 5, count: 32))!)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(Fuzz.input(data, size))
    guard let message = try? FactorsMessage.decode(bytes, sender: sender) else { return 0 }
    Fuzz.checkRoundTrip(message, "factors message") { try FactorsMessage.decode(try $0.encoded(), sender: sender) }
    return 0
}

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> CInt {
    Fuzz.writeSeedsIfRequested {
        let schema = Digest32(bytes: (0..<32).map { UInt8($0 * 3) })!
        let a = try FactorTensor(name: "layers.0.q_proj.lora_A", shape: [2, 3], floats: [1, 2, 3, 4, 5, 6])
        let b = try FactorTensor(name: "layers.0.q_proj.lora_B", dtype: .f16, shape: [4], data: [0, 60, 0, 60, 0, 0, 0, 188])
        return [("two-tensors", try FactorsMessage(round: 3, sender: sender, schemaHash: schema, tensors: [a, b]).encoded()),
                ("empty", try FactorsMessage(round: 0, sender: sender, schemaHash: .zero, tensors: []).encoded())]
    }
    return 0
}
