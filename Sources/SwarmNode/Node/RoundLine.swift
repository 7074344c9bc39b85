import Exchange
import Foundation
import SwarmBase

/// What a node prints (and stores) for each completed round.
public struct RoundLine: Sendable, Equatable, Codable {
    public var round: UInt64
    /// Mean training loss over the round's local steps (nil when it ran none).
    public var loss: Double?
    public var mixed: Int
    public var neighbours: Int
    public var late: Int
    public var refused: Int
    public var bytesSent: Int
    public var bytesReceived: Int
    /// Mean ‖θ_j − θ_i‖² over the neighbours mixed with, before mixing: this node's estimate of
    /// how far the swarm is from agreement (in `product` mode between the updates B·A,
    /// `ExchangedFactors.squaredDistance`).
    public var consensusEstimate: Double?
    /// ‖mean of the products mixed − product of the mixed factors‖ / ‖mean of the products‖ over
    /// every slot (`ProductGap.relative`), nil when no neighbour was mixed.
    public var productGap: Double?
    public var seconds: Double
    /// Time the node thread spent on the exchange itself: encoding and queueing its factors,
    /// decoding and checking the neighbours', and the mix (not the wait for them).
    public var exchangeSeconds: Double = 0
    /// Wall time from sending this round's factors to the mix (waiting for the neighbours included).
    public var waitSeconds: Double = 0

    /// `round 3  loss 1.234  mixed 2/2  late 0  refused 0  sent 1.2 MB  received 1.2 MB  consensus 1.2e-3  gap 4.0e-2  4.1 s  (exchange 0.05 s)`
    public var text: String {
        let mb = Self.byteSize
        let lossText = loss.map { String(format3($0)) } ?? "-"
        let consensus = consensusEstimate.map(Self.scientific) ?? "-"
        let gap = productGap.map(Self.scientific) ?? "-"
        return "round \(round)  loss \(lossText)  mixed \(mixed)/\(neighbours)  late \(late)  refused \(refused)  "
            + "sent \(mb(bytesSent))  received \(mb(bytesReceived))  consensus \(consensus)  gap \(gap)  \(format1(seconds)) s"
            + "  (exchange \(format2(exchangeSeconds)) s)"
    }

    /// Bytes as the node prints them: MB (2^20) with one decimal, else whole KB (2^10).
    public static func byteSize(_ b: Int) -> String {
        b >= 1 << 20 ? "\(Double(b * 10 / (1 << 20)) / 10) MB" : "\(b / 1024) KB"
    }

    /// A positive figure as `m.me±e` with one decimal (`7.2e-1`).
    public static func scientific(_ x: Double) -> String {
        guard x > 0, x.isFinite else { return x == 0 ? "0" : "\(x)" }
        let e = Int(floor(log10(x)))
        let m = x / pow(10, Double(e))
        return "\(format1(m))e\(e)"
    }
}

private func format3(_ x: Double) -> String { String(Double(Int((x * 1000).rounded())) / 1000) }
private func format1(_ x: Double) -> String { String(Double(Int((x * 10).rounded())) / 10) }
private func format2(_ x: Double) -> String { String(format: "%.2f", x) }
