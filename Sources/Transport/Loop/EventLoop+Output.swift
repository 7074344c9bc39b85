import SwarmBase
import Glibc

extension EventLoop {
    func encode(_ frame: Frame) -> [UInt8] {
        // Transport-made frames are built from validated values; an encoding failure is a bug,
        // reported to the peer as an empty bye rather than a crash.
        (try? frame.encoded()) ?? [1, 0, 0, 0, FrameKind.bye.rawValue]
    }

    /// Marks the connections whose peer's outbox gained frames since the last turn.
    func pullDirtyOutboxes() {
        let dirty: Set<NodeID> = core.state.withLock { state in
            let taken = state.dirty
            state.dirty.removeAll(keepingCapacity: true)
            return taken
        }
        for peer in dirty {
            if let id = established[peer], let connection = connections[id] { connection.outboxMayHaveMore = true }
        }
    }

    /// Refills the current output buffer from control frames, then from the peer's outbox
    /// (small frames coalesced up to `coalesceBudget`). With link emulation, the outbox's frames
    /// first go through the emulator (held until their time, or dropped) and only those due now
    /// are written. False when there is nothing to write now.
    func refill(_ connection: Connection) -> Bool {
        if connection.output.takeControl() { return true }
        guard case .established(let peer) = connection.machine.state else { return false }
        var frames: [OutgoingFrame] = []
        if connection.outboxMayHaveMore {
            // One critical section reads a changed link emulation and pops the frames, so every
            // frame sent after `setLinkEmulation` returned is emulated with it. The closure only
            // reads this loop's fields; the change is adopted after the lock is released.
            let known = shaperVersion, shaping = shaper != nil, budget = coalesceBudget, id = connection.id
            let popped = core.state.withLock { state -> (frames: [OutgoingFrame], wake: Bool, change: (LinkEmulation?, Int)?) in
                let change = state.linkEmulationVersion != known ? (state.linkEmulation, state.linkEmulationVersion) : nil
                guard state.peers[peer.nodeID]?.info.connectionID == id else { return ([], false, change) }
                let emulated = shaping || change?.0 != nil
                let frames = state.peers[peer.nodeID]?.outbox.pop(budget: emulated ? Int.max : budget) ?? []
                return (frames, state.waitingSenders > 0 && !frames.isEmpty, change)
            }
            if let change = popped.change { adopt(change.0, version: change.1) }
            frames = popped.frames
            if popped.wake { core.spaceGate.advance() }
            if frames.isEmpty || shaper != nil { connection.outboxMayHaveMore = false }
        }
        if shaper != nil {
            for frame in frames {
                if let at = shaper!.release(frame.count, to: peer, now: now) {
                    connection.held.push(frame, releaseAt: at)
                } else {
                    statistics.linkDropped += 1
                }
            }
            frames = connection.held.pop(budget: coalesceBudget, now: now)
        }
        guard !frames.isEmpty else { return false }
        statistics.framesSent += frames.count
        connection.output.setCurrent(frames)
        return true
    }

    /// Encrypts and writes queued output until TLS or the socket would block.
    func flush(_ connection: Connection) {
        guard let tls = connection.tls, connection.machine.canSendFrames else { return }
        while connections[connection.id] != nil {
            if connection.output.currentIsDone {
                guard refill(connection) else {
                    switch tls.flushOutput() {
                    case .done:
                        connection.machine.outputDrained()
                        if connection.byeWhenFlushed && connection.held.isEmpty {
                            // Stopping: every frame `send` accepted is out; now the bye.
                            close(connection, .stopped, send: .bye)
                        }
                    case .failed(let detail):
                        if connection.machine.closeReason != nil { finalize(connection) } else { close(connection, .ioError(detail), graceful: false) }
                    default:
                        break
                    }
                    return
                }
                connection.machine.outputPending(now: now)
            }
            let status = connection.output.withUnwrittenBytes { tls.write($0) }
            switch status {
            case .done(let count):
                if let tap = configuration.plaintextTap {
                    let bytes = connection.output.withUnwrittenBytes { Array($0.prefix(count)) }
                    tap(PlaintextWrite(connection: connection.id, peer: connection.machine.certifiedID, bytes: bytes))
                }
                connection.output.advance(by: count)
                connection.machine.wrote(now: now)
                statistics.bytesSent += count
            case .wantWrite, .wantRead:
                return
            case .closed:
                if connection.machine.closeReason != nil { finalize(connection) } else { close(connection, .peerClosed, graceful: false) }
                return
            case .failed(let detail):
                if connection.machine.closeReason != nil { finalize(connection) } else { close(connection, .ioError(detail), graceful: false) }
                return
            }
        }
    }

    /// While closing: once the last frame is encrypted, queue close_notify; once all of it is on
    /// the socket, half-close it so the peer sees EOF.
    func finishClosing(_ connection: Connection) {
        guard connection.machine.isClosing, connections[connection.id] != nil, let tls = connection.tls else { return }
        if connection.machine.closeNotifyDue(hasFrameOutput: connection.output.hasFrames) {
            tls.shutdown()
        }
        if connection.machine.writeShutdownDue(tlsHasPendingOutput: tls.hasPendingOutput) {
            Glibc.shutdown(connection.fd, Int32(SHUT_WR))
        }
    }
}
