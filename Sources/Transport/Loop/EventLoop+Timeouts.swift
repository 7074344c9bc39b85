import SwarmBase

extension EventLoop {
    /// Closes connections whose deadlines passed (each connection's state machine says which).
    /// O(connections), so it runs only when the earliest known deadline is due, and at least every
    /// `scanInterval` (which bounds how late a timeout fires).
    func scanTimeoutsIfDue() {
        guard now >= nextScan else { return }
        expireOrphans()
        var earliest = now + scanInterval
        var expired = [(Connection, ConnectionStateMachine.Expiry)]()
        for connection in connections.values {
            let (expiry, next) = connection.machine.expiry(at: now, timeouts, midFrame: connection.decoder.isMidFrame,
                                                           hasOutput: connection.hasOutput)
            if let expiry { expired.append((connection, expiry)) }
            if let next { earliest = min(earliest, next) }
        }
        for (connection, expiry) in expired where connections[connection.id] != nil {
            switch expiry {
            case .linger:
                finalize(connection)
            case .handshake(let graceful):
                close(connection, .timeout(.handshake),
                      send: graceful ? .reason(Reason(.timeout, "no hello within \(configuration.handshakeTimeout)")) : nil,
                      graceful: graceful)
            case .idle:
                close(connection, .timeout(.idle), send: .reason(Reason(.timeout, "idle for \(configuration.idleTimeout)")))
            case .read:
                close(connection, .timeout(.read), send: .reason(Reason(.timeout, "frame incomplete for \(configuration.readTimeout)")))
            case .write:
                close(connection, .timeout(.write), graceful: false)
            }
        }
        nextScan = max(earliest, now + 5_000_000)
    }

    /// Milliseconds poll may sleep: until the next timeout scan, redial, stop deadline or frame the
    /// link emulator releases.
    func pollTimeout() -> Int32 {
        var next = nextScan
        if shaper != nil {
            for connection in connections.values { if let at = connection.held.nextRelease { next = min(next, at) } }
        }
        for target in targets.values where target.connectionID == nil {
            next = min(next, target.nextAttempt)
        }
        if let stopDeadline { next = min(next, stopDeadline) }
        if acceptPausedUntil > now { next = min(next, acceptPausedUntil) }
        let waitNanos = next > now ? next - now : 0
        return Int32(min(1000, (waitNanos + 999_999) / 1_000_000))
    }
}
