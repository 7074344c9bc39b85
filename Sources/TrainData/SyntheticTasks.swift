import SwarmBase

/// Small instruction tasks whose answers are checkable by exact match, generated from a seed:
/// the bundled sample data for the demo, the learning test and swarm scenarios (each node can
/// draw a different mix of domains, which makes the data non-IID).
public enum SyntheticTasks {
    public struct Example: Sendable, Equatable {
        public var domain: String
        public var instruction: String
        public var output: String

        /// The example as a dataset record (an instruction without input).
        public var record: TrainingRecord { .instruction(instruction: instruction, input: "", output: output) }
    }

    public static let domains = ["dates", "units", "sort", "extract"]

    /// `count` examples drawn from `domains` (round robin), deterministic for a seed.
    public static func generate(count: Int, domains: [String] = domains, seed: UInt64) -> [Example] {
        var rng = SeededRandom(seed: seed)
        return (0..<count).map { i in example(domain: domains[i % domains.count], rng: &rng) }
    }

    static func pick<T>(_ xs: [T], _ rng: inout SeededRandom) -> T { xs[Int(rng.next() % UInt64(xs.count))] }
    static func int(_ lo: Int, _ hi: Int, _ rng: inout SeededRandom) -> Int { lo + Int(rng.next() % UInt64(hi - lo + 1)) }

    static let words = ["apple", "river", "mango", "cloud", "tiger", "piano", "lemon", "orbit", "candle", "zebra",
                        "maple", "violet", "harbor", "pepper", "quartz", "falcon", "garden", "island", "jacket", "kettle"]
    static let names = ["Alice", "Bruno", "Chen", "Dana", "Emeka", "Farah", "Goran", "Hana", "Ivan", "Jun"]
    static let hosts = ["example.org", "mail.net", "post.io", "inbox.dev", "corp.com"]

    public static func example(domain: String, rng: inout SeededRandom) -> Example {
        switch domain {
        case "dates":
            let y = int(1990, 2030, &rng), m = int(1, 12, &rng), d = int(1, 28, &rng)
            func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
            return Example(domain: domain, instruction: "Rewrite the date \(y)-\(two(m))-\(two(d)) as DD/MM/YYYY.",
                           output: "\(two(d))/\(two(m))/\(y)")
        case "units":
            let kinds: [(String, String, Int)] = [("km", "m", 1000), ("kg", "g", 1000), ("m", "cm", 100), ("h", "min", 60)]
            let (from, to, factor) = pick(kinds, &rng)
            let v = int(2, 90, &rng)
            return Example(domain: domain, instruction: "Convert \(v) \(from) to \(to). Answer with the number and unit only.",
                           output: "\(v * factor) \(to)")
        case "sort":
            var chosen: [String] = []
            while chosen.count < 4 {
                let w = pick(words, &rng)
                if !chosen.contains(w) { chosen.append(w) }
            }
            return Example(domain: domain, instruction: "Sort alphabetically, comma-separated: \(chosen.joined(separator: ", "))",
                           output: chosen.sorted().joined(separator: ", "))
        default:  // extract
            let name = pick(names, &rng), host = pick(hosts, &rng)
            let email = "\(name.lowercased())\(int(1, 99, &rng))@\(host)"
            let templates = ["Please write to \(email) before Friday.", "\(name) can be reached at \(email) for details.",
                             "Send the report to \(email), thanks."]
            return Example(domain: "extract", instruction: "Extract the email address: \(pick(templates, &rng))", output: email)
        }
    }
}
