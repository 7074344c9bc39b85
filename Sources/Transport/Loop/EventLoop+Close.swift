import SwarmBase

extension EventLoop {
    /// Ends a connection: reports it once, then either releases it at once or (graceful, TLS up)
    /// sends `send` (by default the rejection reason) and close_notify, and lingers for the peer.
    ///
    /// A connection ending as a duplicate loses nothing: its frames not yet written go back to the
    /// head of the peer's outbox (which waits for the kept connection), and it keeps delivering
    /// what the peer wrote to it (from `drainFrom`, or its established peer) until the peer's close,
    /// while the kept connection to that peer is not read, so frames arrive in the order sent.
    func close(_ connection: Connection, _ reason: CloseReason, send: Frame? = nil, graceful: Bool = true,
               drainFrom: PeerInfo? = nil) {
        switch connection.machine.close(reason, send: send, graceful: graceful, now: now, linger: configuration.closeLinger,
                                        drainFrom: drainFrom) {
        case .alreadyEnding:
            if !graceful { finalize(connection) }
        case .linger(let last):
            let unsent = connection.output.dropUnstarted() + connection.held.removeAll()
            if reason.isDuplicate, !unsent.isEmpty, let peer = connection.machine.peer?.nodeID {
                let id = connection.id
                core.state.withLock { state in
                    if state.peers[peer]?.info.connectionID == id { state.peers[peer]?.outbox.pushFront(unsent) }
                }
            }
            report(connection, reason)
            if let peer = connection.machine.drainingPeer {
                connection.drainsFor = peer
                draining[peer, default: 0] += 1
            }
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
                let (id, now, duplicate) = (connection.id, now, reason.isDuplicate)
                core.state.withLock { state in
                    guard let entry = state.peers[peer.nodeID], entry.info.connectionID == id else { return }
                    state.peers[peer.nodeID] = nil
                    // The peer stays connected over the kept connection: its queued frames wait for it.
                    if duplicate && entry.outbox.count > 0 { state.orphans[peer.nodeID] = (entry.outbox, now) }
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
        if let peer = connection.drainsFor {
            connection.drainsFor = nil
            let left = (draining[peer] ?? 1) - 1
            draining[peer] = left > 0 ? left : nil
            // The kept connection is read again (poll did not ask for its input meanwhile).
            if left <= 0, let kept = established[peer], let other = connections[kept] { other.readPending = true }
        }
    }

    /// Outboxes set aside by a duplicate's close whose kept connection never came are dropped
    /// once a handshake would have timed out.
    func expireOrphans() {
        let limit = configuration.handshakeTimeout.nanoseconds + configuration.closeLinger.nanoseconds
        let now = now
        core.state.withLock { state in
            guard !state.orphans.isEmpty else { return }
            state.orphans = state.orphans.filter { now &- $0.value.since < limit }
        }
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
