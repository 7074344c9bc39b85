import Testing
@testable import Transport

/// The per-peer send queue and a connection's output buffer: frames keep their order and their
/// byte count through every way they leave and come back.
struct OutboxTests {
    static func frame(_ n: UInt8, _ size: Int = 10) -> OutgoingFrame { OutgoingFrame(head: [UInt8](repeating: n, count: size)) }

    @Test("frames put back at the head come out first, in their order, and the byte count follows")
    func pushFrontKeepsOrder() {
        var outbox = Outbox()
        for n: UInt8 in 1...5 { outbox.push(Self.frame(n)) }
        let taken = outbox.pop(budget: 25)  // 1, 2 (a third would pass the budget)
        #expect(taken == [Self.frame(1), Self.frame(2)] && outbox.queuedBytes == 30)
        outbox.pushFront(taken)
        #expect(outbox.count == 5 && outbox.queuedBytes == 50)
        let all = outbox.pop(budget: .max)
        #expect(all == (1...5).map { Self.frame(UInt8($0)) })
        #expect(outbox.count == 0 && outbox.queuedBytes == 0)
        outbox.pushFront([])
        #expect(outbox.count == 0)
    }

    @Test("a buffer not yet started is handed back whole; a half-written one is finished, a control frame is dropped")
    func dropUnstartedReturnsOutboxFrames() {
        var output = OutputQueue()
        output.setCurrent([Self.frame(1), Self.frame(2, 4)])
        #expect(output.current == Self.frame(1).bytes + Self.frame(2, 4).bytes)
        let unsent = output.dropUnstarted()
        #expect(unsent == [Self.frame(1), Self.frame(2, 4)] && !output.hasFrames)

        output.setCurrent([Self.frame(3)])
        output.advance(by: 4)
        let halfWritten = output.dropUnstarted()
        #expect(halfWritten.isEmpty && output.hasFrames, "a frame half on the wire must finish")

        var control = OutputQueue()
        control.pushControl(Self.frame(9).head)
        let took = control.takeControl()
        #expect(took)
        let dropped = control.dropUnstarted()
        #expect(dropped.isEmpty && !control.hasFrames, "transport-made frames are not the peer's outbox")
    }

    @Test("a buffer of small frames and large bodies is written as one stream, in order, through partial writes")
    func segmentsWriteInOrder() {
        let frames = [Self.frame(1), OutgoingFrame(head: [2, 2], body: [UInt8](repeating: 20, count: 50)), Self.frame(3),
                      Self.frame(4, 3), OutgoingFrame(head: [5], body: [UInt8](repeating: 50, count: 7))]
        var output = OutputQueue()
        output.setCurrent(frames)
        // Small frames share arrays with the heads after them; each body is its own segment.
        #expect(output.segments.count == 4)
        var written: [UInt8] = []
        var step = 1
        while !output.currentIsDone {
            let chunk = output.withUnwrittenBytes { Array($0.prefix(step)) }
            #expect(!chunk.isEmpty)
            written += chunk
            output.advance(by: chunk.count)
            step = step % 9 + 2
            #expect(output.dropUnstarted().isEmpty || written.isEmpty)
        }
        #expect(written == frames.flatMap(\.bytes))
        #expect(!output.hasFrames)
    }

    @Test("held frames all come back, due or not, oldest first")
    func heldFramesRemoveAll() {
        var held = HeldFrames()
        held.push(Self.frame(1), releaseAt: 10)
        held.push(Self.frame(2), releaseAt: 20)
        held.push(Self.frame(3), releaseAt: 30)
        let due = held.pop(budget: .max, now: 10)
        #expect(due == [Self.frame(1)])
        let rest = held.removeAll()
        #expect(rest == [Self.frame(2), Self.frame(3)] && held.isEmpty && held.nextRelease == nil)
    }
}
