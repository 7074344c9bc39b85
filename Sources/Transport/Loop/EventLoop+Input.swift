import SwarmBase
import Glibc

extension EventLoop {
    /// One connection's turn: finish its connect or TLS handshake, read and dispatch what arrived,
    /// write what is queued, and move a closing connection along.
    func drive(_ connection: Connection, revents: Int16) {
        if connection.machine.isConnecting {
            guard revents & Int16(POLLOUT | POLLERR | POLLHUP) != 0 else { return }
            let error = Socket.pendingError(connection.fd)
            if error != 0 {
                close(connection, .connectFailed(String(cString: strerror(error))), graceful: false)
                return
            }
            connection.machine.connectCompleted()
        }
        if connection.machine.isInTLSHandshake {
            advanceHandshake(connection)
            guard !connection.machine.isInTLSHandshake,
                  connection.machine.closeReason == nil || connection.machine.isClosing else { return }
        }
        if !connection.readPaused(by: draining) { readAvailable(connection) }
        guard connections[connection.id] != nil else { return }
        flush(connection)
        finishClosing(connection)
    }

    func advanceHandshake(_ connection: Connection) {
        guard let tls = connection.tls else { return }
        switch tls.handshake() {
        case .done:
            do {
                let peerID = try tls.verifiedPeerID()
                if let target = connection.dialTargetID { targets[target]?.knownPeer = peerID }
                switch connection.machine.handshakeCompleted(peerID: peerID) {
                case .sendHello:
                    connection.output.pushControl(encode(.hello(localHello)))
                case .reject(let reason):
                    close(connection, .rejectedByUs(reason))
                }
            } catch {
                close(connection, .tlsFailure(error.description), graceful: false)
            }
        case .wantRead, .wantWrite:
            break
        case .closed:
            close(connection, .tlsFailure("TLS handshake: connection closed by peer"), graceful: false)
        case .failed(let detail):
            close(connection, .tlsFailure(detail), graceful: false)
        }
    }

    /// Decrypts what TLS has (up to `readBudget` per turn) straight into the frame decoder.
    func readAvailable(_ connection: Connection) {
        guard let tls = connection.tls else { return }
        connection.readPending = false
        connection.readWantsWrite = false
        var total = 0
        while connections[connection.id] != nil {
            if total >= readBudget {
                connection.readPending = true
                return
            }
            var status = TLSStatus.wantRead
            _ = connection.decoder.fill(upTo: configuration.receiveChunk) { room in
                status = tls.read(into: room)
                if case .done(let count) = status { return count }
                return 0
            }
            switch status {
            case .done(let count):
                total += count
                connection.machine.readProgress(now: now)
                statistics.bytesReceived += count
                processFrames(connection)
            case .wantRead:
                return
            case .wantWrite:
                connection.readWantsWrite = true
                return
            case .closed:
                if connection.machine.closeReason != nil { finalize(connection) } else { close(connection, .peerClosed, graceful: false) }
                return
            case .failed(let detail):
                if connection.machine.closeReason != nil { finalize(connection) } else { close(connection, .tlsFailure(detail), graceful: false) }
                return
            }
        }
    }

    /// Takes every complete frame out of the decoder and does what the state machine says.
    func processFrames(_ connection: Connection) {
        while connections[connection.id] != nil {
            let raw: RawFrame
            do {
                guard let next = try connection.decoder.nextRawFrame() else { return }
                raw = next
            } catch {
                protocolViolation(connection, error)
                return
            }
            statistics.framesReceived += 1
            do {
                let frame = try raw.decode()
                perform(connection.machine.received(frame, local: localHello), on: connection)
            } catch {
                perform(connection.machine.undecodable(raw, error, local: localHello), on: connection)
                return
            }
        }
    }

    func perform(_ action: ConnectionStateMachine.FrameAction, on connection: Connection) {
        switch action {
        case .ignore:
            break
        case let .establish(hello, peerID):
            establish(connection, hello: hello, peerID: peerID)
        case let .deliver(payload, peer):
            handler(.received(payload, from: peer))
        case .reject(let reason):
            close(connection, .rejectedByUs(reason))
        case .forged(let reason):
            statistics.forgedSender += 1
            close(connection, .rejectedByUs(reason))
        case .closedByPeer(let reason):
            close(connection, .rejectedByPeer(reason), send: nil)
        case .bye:
            close(connection, .bye, send: nil)
        case .violation(let error):
            protocolViolation(connection, error)
        }
    }

    func protocolViolation(_ connection: Connection, _ error: FrameError) {
        guard connection.machine.closeReason == nil else {
            finalize(connection)
            return
        }
        close(connection, .protocolError(error), send: .reason(Reason(.protocolError, error.description)))
    }

    func establish(_ connection: Connection, hello: Hello, peerID: NodeID) {
        let info = PeerInfo(nodeID: peerID, hello: hello, remoteAddress: connection.machine.remoteAddress,
                            direction: connection.machine.direction, connectionID: connection.id)
        if let otherID = established[peerID], otherID != connection.id, let other = connections[otherID] {
            // Two connections to one peer (both dialed at once, or a reconnect racing the old one).
            // Both sides keep the one opened by the smaller node id; for equal openers, the newer.
            let local = localHello.nodeID
            let newOpener = connection.machine.direction == .outbound ? local : peerID
            let oldOpener = other.machine.direction == .outbound ? local : peerID
            let keepNew = newOpener == oldOpener || newOpener == min(local, peerID)
            let duplicate = Reason(.duplicateConnection, "already connected to \(peerID.short)")
            if keepNew {
                close(other, .rejectedByUs(duplicate))
            } else {
                // The peer may have established this one on its side and written to it already.
                close(connection, .rejectedByUs(duplicate), drainFrom: info)
                return
            }
        }
        connection.machine.established(info)
        connection.decoder.maxFrameLength = configuration.maxFrameLength
        established[peerID] = connection.id
        core.state.withLock { state in
            // A replaced connection's frames not yet written go out on this one (those already
            // written to it are delivered by its drain): a frame `send` accepted is not lost to a
            // dial race.
            let carried = state.peers[peerID]?.outbox ?? state.orphans.removeValue(forKey: peerID)?.outbox ?? Outbox()
            state.peers[peerID] = SharedState.PeerEntry(info: info, outbox: carried)
            if carried.count > 0 { state.dirty.insert(peerID) }
        }
        statistics.established += 1
        if let target = connection.dialTargetID { targets[target]?.backoff.reset() }
        emitLifecycle(.connected(info))
    }
}
