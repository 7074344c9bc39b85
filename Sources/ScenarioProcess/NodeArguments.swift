import Consensus
import Scenario
import SwarmBase

/// The `swarmtune node` command line of a scenario's node: the scenario's LoRA, training and
/// gossip settings as flags, the seeds that make it the inproc backend's node `index` (the swarm
/// seed for the initial adapter, `seed + index + 1` for its data order, the schedule of
/// `rounds × local steps`), and every round's checkpoint kept so the run's per-round figures can
/// be read back from the store.
enum NodeArguments {
    /// Why a scenario's settings cannot be given to a node process (nil: they can).
    static func problem(_ scenario: Scenario) -> (field: String, reason: String)? {
        if scenario.seed > UInt64(Int.max) - UInt64(scenario.totalNodes + 1) {
            return ("seed", "\(scenario.seed) is too large for a node's --swarm-seed (at most \(Int.max - scenario.totalNodes - 1))")
        }
        if scenario.training.rounds > 1000 {
            return ("training.rounds", "the process backend keeps every round's checkpoint (at most 1000)")
        }
        return nil
    }

    /// Node `index`'s arguments. `joinThrough`: addresses of running members (none for the node that
    /// starts the swarm); `waitFor`: members to see before the first round.
    static func make(_ scenario: Scenario, workspace: SwarmWorkspace, index: Int, joinThrough: [String], waitFor: Int,
                     options: ProcessOptions) -> [String] {
        let neighbours: [String]
        switch scenario.topology {
        case .rule(.ring): neighbours = ["--topology", "ring"]
        case .rule(.full): neighbours = ["--topology", "full"]
        case let .rule(.regular(k)): neighbours = ["--topology", "regular-\(k)"]
        case .edges: neighbours = ["--edges", workspace.edgesPath]
        }
        let threads = scenario.training.threads ?? options.threadsPerNode
        var arguments = [
            "node", "--certs", workspace.certificates, "--name", workspace.name(index),
            "--listen", workspace.address(index), "--state", workspace.stateDirectory(index),
            "--swarm-id", scenario.name, "--core", scenario.core, "--data", workspace.dataPath(index),
            "--rounds", String(scenario.training.rounds), "--local-steps", String(scenario.gossip.localSteps),
            "--lr", "\(scenario.training.learningRate)", "--batch", String(scenario.training.batch),
            "--seq-len", String(scenario.training.seqLen),
            "--rank", String(scenario.lora.rank), "--alpha", "\(scenario.lora.alpha)",
            "--targets", scenario.lora.targets.joined(separator: ","),
            "--mode", scenario.gossip.mode.name, "--wire-dtype", scenario.gossip.wireDType.description,
            "--deadline-ms", String(scenario.gossip.deadlineMilliseconds),
            "--threads", String(threads), "--swarm-seed", String(scenario.seed),
            "--data-seed", String(scenario.seed + UInt64(index + 1)),
            "--wait-for", String(waitFor), "--probe-period-ms", String(options.probePeriodMilliseconds),
            "--keep-checkpoints", String(max(1, scenario.training.rounds)),
            // A scenario trains in fp32 on every backend (inproc's trainers do), whatever this CPU's
            // `auto` would choose: the backends give the same adapters.
            "--precision", "fp32",
        ]
        arguments += neighbours
        for address in joinThrough { arguments += ["--join", address] }
        arguments += links(scenario.network, from: index, seed: scenario.seed, address: workspace.address)
        if scenario.events.contains(where: \.kind.needsFaultControl) {
            arguments += ["--fault-control", workspace.faultControlPath(index)]
        }
        return arguments
    }

    /// The scenario's network as node `index`'s link emulator flags: every link's conditions, and
    /// `--link ADDRESS=SPEC` for each link from this node that a `links` entry overrides (node
    /// indices mapped to the listen addresses the node sees in its peers' hellos). The draws are
    /// seeded per node from the scenario's seed. None for an ideal network.
    static func links(_ network: NetworkSpec, from index: Int, seed: UInt64, address: (Int) -> String) -> [String] {
        let all = network.all
        let own = network.links.filter { $0.from == index && $0.conditions != all }
        guard all != .ideal || !own.isEmpty else { return [] }
        var arguments: [String] = []
        if all.latencyMilliseconds != 0 { arguments += ["--link-latency-ms", "\(all.latencyMilliseconds)"] }
        if all.jitterMilliseconds != 0 { arguments += ["--link-jitter-ms", "\(all.jitterMilliseconds)"] }
        if all.loss != 0 { arguments += ["--link-loss", "\(all.loss)"] }
        if let mbit = all.bandwidthMegabits { arguments += ["--link-bandwidth-mbit", "\(mbit)"] }
        for link in own { arguments += ["--link", address(link.to) + "=" + link.conditions.spec(over: all)] }
        // Seeds only need to differ between nodes; wrapping keeps any scenario seed valid.
        arguments += ["--link-seed", String((seed &+ UInt64(index) &* 0x9E37_79B9) % UInt64(Int.max))]
        return arguments
    }
}
