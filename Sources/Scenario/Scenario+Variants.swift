import Gossip

/// Variants of a scenario that `swarmtune simulate` derives from the file, so a comparison runs
/// the same swarm on the same data without editing (or copying) the file.
extension Scenario {
    /// The same swarm without its faults: kills, restarts, pauses, partitions, heals and hostile
    /// turns are dropped; joins stay (a join adds a node and its data, not a fault), so every node
    /// holds the same data and the test set is the same. Named NAME-without-faults (its run
    /// directory and report title). What a faulty run's exact match is read against.
    public func withoutFaults() -> Scenario {
        var s = self
        s.name = Self.variantName(name, suffix: "-without-faults")
        s.events = events.filter(\.kind.isJoin)
        return s
    }

    /// The same run without the local-only and centralized baselines (their training is as long
    /// as the swarm's again; a second run of the same data and seed would only repeat them).
    public func withoutBaselines() -> Scenario {
        var s = self
        s.baselines = Baselines(localOnly: false, centralized: false)
        return s
    }

    /// The same swarm averaging by `mode` (factors, frozen-a, product), named NAME-MODE: the
    /// averaging modes compared on the same data and seed. The file's own mode keeps its name.
    public func averaging(_ mode: AveragingMode) -> Scenario {
        guard mode != gossip.mode else { return self }
        var s = self
        s.name = Self.variantName(name, suffix: "-" + mode.name)
        s.gossip.mode = mode
        return s
    }

    /// `base` + `suffix`, with `base` cut so the result stays a valid name (at most
    /// `maxNameBytes`; names are ASCII, so bytes are characters). Found by fuzzing: a 100-byte
    /// name's twin was a name no scenario file may carry, so it did not read back.
    static func variantName(_ base: String, suffix: String) -> String {
        String(base.prefix(max(1, maxNameBytes - suffix.utf8.count))) + suffix
    }

    /// Whether the scenario has an event `withoutFaults` would drop.
    public var hasFaults: Bool { events.contains { !$0.kind.isJoin } }
}
