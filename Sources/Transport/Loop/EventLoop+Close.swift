import SwarmBase

extension EventLoop {
    /// Ends a connection: reports it once, then either releases it at once or (graceful, TLS up)
    /// sends `send` (by default the rejection reason) and close_notify, and lingers for the peer.
    func close(_ connection: Connection, _ reason: CloseReason, send: Frame? = nil, graceful: Bool = true) {
        switch connection.machine.close(reason, send: send, graceful: graceful, now: now, linger: configuration.closeLinger) {
        case .alreadyEnding:
            if !graceful { finalize(connection) }
        case .linger(let last):
            report(connection, reason)
            connection.output.dropUnstarted()
            if let last { connection.output.pushControl(encode(last)) }
            flush(connection)
            finishClosing(connection)
        case .release:
            report(connection, reason)
            finalize(connection)
        }
    }

    /// Tells the layer above (disconnected or refused), forgets the established peer, and
    /// schedules the redial of a dialed connection.
    func report(_ connection: Connection, _ reason: CloseReason) {
        if let peer = connection.machine.peer {
            if established[peer.nodeID] == connection.id {
                established[peer.nodeID] = nil
                core.state.withLock { state in
                    if state.peers[peer.nodeID]?.info.connectionID == connection.id { state.peers[peer.nodeID] = nil }
                }
                core.spaceGate.advance()  // senders waiting on this peer learn it is gone
            }
            statistics.disconnected += 1
            emitLifecycle(.disconnected(peer, reason))
        } else {
            statistics.refused += 1
            emitLifecycle(.refused(connection.attempt, reason))
        }
        if let target = connection.dialTargetID { scheduleRedial(target, succeeded: connection.machine.peer != nil) }
    }

    /// Removes and releases a connection (reporting it as stopped if it had not ended yet).
    func finalize(_ connection: Connection) {
        guard connections.removeValue(forKey: connection.id) != nil else { return }
        if connection.machine.released() { report(connection, .stopped) }
        connection.release()
    }

    /// Connection lifecycle events publish the counters first, so a handler (or a thread it wakes)
    /// reading `statistics` sees them up to date. Frame events skip this: they are the hot path.
    func emitLifecycle(_ event: TransportEvent) {
        publishStatistics()
        handler(event)
    }

    func publishStatistics() {
        var snapshot = statistics
        snapshot.openConnections = connections.count
        snapshot.openHandshakes = handshakeCount
        core.state.withLock { state in
            snapshot.queuedBytes = state.peers.values.reduce(0) { $0 + $1.outbox.queuedBytes }
            state.statistics = snapshot
        }
    }
}
