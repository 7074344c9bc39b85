/// What the supervisor reads in a node's log: the lines `swarmtune node` prints, each stamped
/// `[seconds.millis] `.
public enum ProcessSwarmLog {
    /// The round a node's round line reports (`[1733.123] round 3  loss ...`), or nil.
    public static func completedRound(_ line: String) -> Int? {
        guard let at = line.range(of: "] round ") else { return nil }
        let digits = line[at.upperBound...].prefix { $0.isNumber }
        return Int(digits)
    }

    /// The text of a warning line (`[1733.123] warning: ...`), or nil.
    public static func warning(_ line: String) -> String? {
        line.range(of: "] warning: ").map { String(line[$0.upperBound...]) }
    }
}
