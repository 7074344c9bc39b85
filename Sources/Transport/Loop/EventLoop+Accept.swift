import SwarmBase
import Glibc

extension EventLoop {
    /// Accepts what the listener holds (up to 256 per turn), shedding connections over the limits
    /// at once so the backlog stays drained under a connection flood.
    func acceptPending() {
        guard let listener else { return }
        for _ in 0..<256 {
            let fd = accept(listener, nil, nil)
            if fd < 0 {
                // Out of descriptors: the listener stays readable, so stop polling it for a moment
                // instead of spinning. (EAGAIN: nothing left to accept.)
                if errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM {
                    acceptPausedUntil = now + 100_000_000
                }
                return
            }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            statistics.accepted += 1
            let remote = SocketAddress(peerOf: fd)?.description ?? "unknown"
            let handshaking = handshakeCount
            var refusal: String?
            if connections.count >= configuration.maxConnections {
                refusal = "\(connections.count) connections open (limit \(configuration.maxConnections))"
            } else if handshaking >= configuration.maxConcurrentHandshakes {
                refusal = "\(handshaking) handshakes in progress (limit \(configuration.maxConcurrentHandshakes))"
            }
            if let refusal {
                Glibc.close(fd)
                statistics.shed += 1
                statistics.refused += 1
                emitLifecycle(.refused(ConnectionAttempt(remoteAddress: remote, direction: .inbound, connectionID: 0, certifiedID: nil),
                                       .overloaded(refusal)))
                continue
            }
            Socket.setNoDelay(fd)
            let machine = ConnectionStateMachine(direction: .inbound, remoteAddress: remote, connecting: false,
                                                 expectedPeer: nil, now: now)
            let connection = Connection(id: makeID(), fd: fd, machine: machine, dialTargetID: nil,
                                        maxFrameLength: configuration.maxFrameLength)
            do throws(TransportError) {
                connection.tls = try TLSSession(context: context, fd: fd, isServer: true)
            } catch {
                Glibc.close(fd)
                emitLifecycle(.refused(connection.attempt, .tlsFailure(error.description)))
                continue
            }
            register(connection)
        }
    }

    /// Connections still in TCP connect, TLS or hello.
    var handshakeCount: Int {
        connections.values.reduce(0) { $0 + ($1.machine.isHandshaking ? 1 : 0) }
    }

    func register(_ connection: Connection) {
        connections[connection.id] = connection
        statistics.peakConnections = max(statistics.peakConnections, connections.count)
        statistics.peakHandshakes = max(statistics.peakHandshakes, handshakeCount)
    }
}
