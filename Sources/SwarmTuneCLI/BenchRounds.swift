/// The rounds of a benchmark that alternates swarmtune with reference engines (`--rounds`):
/// which rows to compare, and the median of the ratios.
enum BenchRounds {
    /// Each row of `engine` with swarmtune's row of the same round (one round without numbers
    /// pairs the roundless rows).
    static func paired<Row>(_ rows: [Row], engine: String, name: (Row) -> String,
                            round: (Row) -> Int?) -> [(ours: Row, theirs: Row)] {
        rows.filter { name($0) == engine }.compactMap { theirs in
            rows.first { name($0) == "swarmtune" && round($0) == round(theirs) }.map { (ours: $0, theirs: theirs) }
        }
    }

    /// The engines other than swarmtune, in the order they first appear.
    static func references<Row>(_ rows: [Row], name: (Row) -> String) -> [String] {
        var engines: [String] = []
        for r in rows where name(r) != "swarmtune" && !engines.contains(name(r)) { engines.append(name(r)) }
        return engines
    }

    /// The middle value (the mean of the two middle ones for an even count); 0 for none.
    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        let mid = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    }
}
