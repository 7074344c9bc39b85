import Gossip
import SwarmBase
import SwarmNode
import Testing

/// The fault injection a real node carries out for a scenario's `hostile` event.
@Suite struct HostileSenderTests {
    static let me = NodeID(digest: Digest32(unchecked: [UInt8](repeating: 7, count: 32)))
    static let peer = NodeID(digest: Digest32(unchecked: [UInt8](repeating: 9, count: 32)))

    static func body(round: UInt64, values: [Float]) throws -> [UInt8] {
        try FactorsMessage(round: round, sender: me, schemaHash: .zero, degree: 2,
                           tensors: [try FactorTensor(name: "a", shape: [2, values.count / 2], floats: values)]).encoded()
    }

    static func floats(_ body: [UInt8]) throws -> [Float] {
        let message = try FactorsMessage.decode(body, sender: me)
        return try #require(message.tensors.first?.floats)
    }

    @Test func anHonestSenderSendsItsFramesUnchanged() throws {
        let sender = HostileSender(node: Self.me)
        let out = OutgoingFactors(round: 1, peer: Self.peer, body: try Self.body(round: 1, values: [1, 2, 3, 4]))
        #expect(sender.rewrite(out) == [out])
    }

    @Test func nanAndHugeNormRewriteEveryValueAndKeepTheFrameDecodable() throws {
        let sender = HostileSender(node: Self.me)
        let out = OutgoingFactors(round: 1, peer: Self.peer, body: try Self.body(round: 1, values: [1, -2, 3, 0.5]))
        sender.behaviour = .nan
        let nan = try #require(sender.rewrite(out).first)
        #expect(try Self.floats(nan.body).allSatisfy(\.isNaN))
        sender.behaviour = .hugeNorm
        let huge = try #require(sender.rewrite(out).first)
        #expect(try Self.floats(huge.body) == [1e6 + 1, -2e6 + 1, 3e6 + 1, 0.5e6 + 1])
    }

    @Test func aTurnTimedToARoundLeavesEarlierRoundsHonest() throws {
        let sender = HostileSender(node: Self.me)
        sender.turn(.nan, fromRound: 3)
        let late = OutgoingFactors(round: 2, peer: Self.peer, body: try Self.body(round: 2, values: [1, 2, 3, 4]))
        #expect(sender.rewrite(late) == [late], "a node still sending round 2 sends it honest")
        let due = OutgoingFactors(round: 3, peer: Self.peer, body: try Self.body(round: 3, values: [1, 2, 3, 4]))
        #expect(try Self.floats(try #require(sender.rewrite(due).first).body).allSatisfy(\.isNaN))
        sender.turn(nil)
        #expect(sender.rewrite(due) == [due])
    }

    @Test func wrongShapeSendsATensorOneValueShort() throws {
        let sender = HostileSender(node: Self.me)
        sender.behaviour = .wrongShape
        let out = OutgoingFactors(round: 1, peer: Self.peer, body: try Self.body(round: 1, values: [1, 2, 3, 4]))
        let frame = try #require(sender.rewrite(out).first)
        let tensor = try #require(try FactorsMessage.decode(frame.body, sender: Self.me).tensors.first)
        #expect(tensor.elementCount == 3 && tensor.shape == [3])
    }

    @Test func forgedSenderClaimsAnIdThatIsNotTheNodes() throws {
        let sender = HostileSender(node: Self.me)
        sender.behaviour = .forgedSender
        let out = OutgoingFactors(round: 1, peer: Self.peer, body: try Self.body(round: 1, values: [1, 2, 3, 4]))
        let frame = try #require(sender.rewrite(out).first)
        #expect(frame.body == out.body)
        #expect(frame.claimedSender != nil && frame.claimedSender != Self.me)
    }

    @Test func replaySendsEachNeighbourThePreviousRoundsGenuineFrame() throws {
        let sender = HostileSender(node: Self.me)
        let first = OutgoingFactors(round: 1, peer: Self.peer, body: try Self.body(round: 1, values: [1, 2, 3, 4]))
        _ = sender.rewrite(first)  // honest in round 1; remembered
        sender.behaviour = .replay
        let second = OutgoingFactors(round: 2, peer: Self.peer, body: try Self.body(round: 2, values: [5, 6, 7, 8]))
        #expect(sender.rewrite(second).first?.body == first.body)
        let third = OutgoingFactors(round: 3, peer: Self.peer, body: try Self.body(round: 3, values: [9, 9, 9, 9]))
        #expect(sender.rewrite(third).first?.body == second.body)
        // A re-send of the same round on a new connection replays the same earlier frame.
        #expect(sender.rewrite(third).first?.body == second.body)
    }
}
