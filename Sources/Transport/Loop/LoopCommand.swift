import SwarmBase
/// A request from an API thread to the event loop.
enum LoopCommand: Sendable {
    case dial(target: DialRequest)
    case disconnect(NodeID)
    case cancelDial(address: String)
}

struct DialRequest: Sendable {
    let address: String
    let resolved: SocketAddress
    let expected: NodeID?
    let reconnect: Bool
}
