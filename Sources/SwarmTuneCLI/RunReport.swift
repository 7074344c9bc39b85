import Foundation

/// One evaluation of held-out examples during a run (train's `eval` curve, the demo's `curve`).
struct EvalPoint: Codable, Equatable {
    var step: Int
    /// Seconds since training started; absent for the evaluation before the first step.
    var elapsedSeconds: Double?
    var loss: Double
    var exactMatch: Double
    var correct: Int
    var total: Int
}

/// One gossip round of a simulated swarm (simulate's and the swarm demo's `rounds`).
struct RoundFigures: Codable, Equatable {
    var round: Int
    var meanLoss: Double
    var consensusBefore: Double
    var consensusAfter: Double
    var seconds: Double
}

/// One private training example as the JSONL files beside a node's adapter hold it.
struct InstructionRecord: Codable, Equatable {
    var instruction: String
    var output: String
}

/// What `inspect` (and the swarm demo) read back from a run directory's report.json: the learning
/// curve of a single run, or the rounds of a swarm. Missing or unreadable reports read as empty.
struct RunReportFigures: Decodable {
    var curve: [EvalPoint]?
    var rounds: [RoundFigures]?

    static func read(directory: String) -> RunReportFigures {
        guard let data = FileManager.default.contents(atPath: directory + "/report.json"),
              let figures = try? JSONDecoder().decode(RunReportFigures.self, from: data) else {
            return RunReportFigures()
        }
        return figures
    }

    init() {}
}
