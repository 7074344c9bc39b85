import LM
import Scenario
import ScenarioRun
import TestSupport

/// Scenarios on the tiny generated core (Tests/TestSupport TinyModel): small data, short sequences,
/// one thread per trainer, so a run takes seconds and its figures are exact to compare.
struct InprocHarness {
    let model: LlamaModel
    let core: CoreTokenizer
    let directory: TemporaryDirectory

    init() throws {
        (model, core, directory) = try TinyModel.loaded()
    }

    var corePath: String { directory.file("tiny.gguf") }

    /// A scenario from JSON text (the core is the tiny one unless the text names another).
    func scenario(_ body: String, file: String = "test.json") throws -> Scenario {
        try Scenario.parse(bytes: Array(body.utf8), source: file)
    }

    /// `nodes` nodes on a ring, one domain each, `rounds` rounds of 2 local steps; `extra` adds
    /// top-level fields (events, network, ...).
    func ring(nodes: Int = 4, rounds: Int = 4, lr: Double = 0.01, baselines: Bool = false, extra: String = "") throws -> Scenario {
        try scenario("""
            {"name": "t", "seed": 5, "core": "\(corePath)", "nodes": \(nodes), "topology": "ring",
             "data": {"partition": "one-domain-per-node", "examples-per-node": 8, "test-examples": 4},
             "lora": {"rank": 2, "alpha": 4, "targets": ["q", "v"]},
             "training": {"rounds": \(rounds), "lr": \(lr), "batch": 2, "seq-len": 160},
             "gossip": {"local-steps": 2, "deadline-ms": 5000},
             "baselines": {"local-only": \(baselines), "centralized": \(baselines)}\(extra.isEmpty ? "" : ", " + extra)}
            """)
    }

    func options(trace: Bool = false) -> InprocOptions {
        var o = InprocOptions()
        o.threads = 2
        o.keepTrace = trace
        return o
    }

    func run(_ s: Scenario, trace: Bool = false) throws -> InprocResult {
        try InprocBackend.run(s, file: "test.json", model: model, core: core, options: options(trace: trace))
    }
}

/// ‖a − b‖².
func squaredDistance(_ a: [Float], _ b: [Float]) -> Double {
    zip(a, b).reduce(0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
}

/// The mean of vectors.
func mean(_ vectors: [[Float]]) -> [Float] {
    (0..<vectors[0].count).map { k in vectors.reduce(Float(0)) { $0 + $1[k] } / Float(vectors.count) }
}
