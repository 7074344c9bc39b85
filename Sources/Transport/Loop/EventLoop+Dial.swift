import SwarmBase
import Glibc

extension EventLoop {
    /// Starts the dials whose time has come (not while stopping, not to a peer already connected).
    func startDueDials() {
        guard stopDeadline == nil else { return }
        for (id, target) in targets where target.connectionID == nil && now >= target.nextAttempt {
            if let known = target.knownPeer, established[known] != nil {
                // Already connected to that peer (perhaps it dialed us): check again later.
                targets[id]?.nextAttempt = now + configuration.reconnect.initial.nanoseconds * 5
                continue
            }
            if connections.count >= configuration.maxConnections {
                targets[id]?.nextAttempt = now + configuration.reconnect.initial.nanoseconds
                continue
            }
            statistics.dialed += 1
            let connectionID = makeID()
            do throws(TransportError) {
                let (fd, connected) = try Socket.connect(to: target.request.resolved)
                let machine = ConnectionStateMachine(direction: .outbound, remoteAddress: target.request.address,
                                                     connecting: !connected, expectedPeer: target.request.expected, now: now)
                let connection = Connection(id: connectionID, fd: fd, machine: machine, dialTargetID: id,
                                            maxFrameLength: configuration.maxFrameLength)
                do throws(TransportError) {
                    connection.tls = try TLSSession(context: context, fd: fd, isServer: false)
                } catch {
                    Glibc.close(fd)
                    throw error
                }
                targets[id]?.connectionID = connectionID
                register(connection)
                if connected { drive(connection, revents: Int16(POLLOUT)) }
            } catch {
                statistics.refused += 1
                emitLifecycle(.refused(ConnectionAttempt(remoteAddress: target.request.address, direction: .outbound,
                                                         connectionID: connectionID, certifiedID: nil),
                                       .connectFailed(error.description)))
                scheduleRedial(id, succeeded: false)
            }
        }
    }

    /// After a dialed connection ended: the next attempt with backoff (reset when it had been
    /// established), or forgetting a one-shot dial.
    func scheduleRedial(_ targetID: UInt64, succeeded: Bool) {
        guard var target = targets[targetID] else { return }
        target.connectionID = nil
        if !target.request.reconnect {
            targets[targetID] = nil
            return
        }
        if succeeded { target.backoff.reset() }
        target.nextAttempt = now + target.backoff.nextDelay(using: &random).nanoseconds
        targets[targetID] = target
    }
}
