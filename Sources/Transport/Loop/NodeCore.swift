import SwarmBase

/// What the API threads and the loop thread share.
final class NodeCore: Sendable {
    let state = LockedValue(SharedState())
    let spaceGate = Gate()
    let finishGate = Gate()
    let wake: WakeSignal

    init() throws(TransportError) {
        wake = try WakeSignal()
    }
}
