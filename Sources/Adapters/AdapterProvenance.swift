/// Where an adapter came from, recorded in the safetensors `__metadata__` under `swarmtune.*`
/// keys so that the file stays a plain PEFT adapter for other tools.
public struct AdapterProvenance: Sendable, Hashable {
    /// SHA-256 of the core the adapter was trained on, 64 lowercase hex digits.
    public var coreHash: String
    /// The SwarmTune version that wrote the adapter.
    public var swarmtuneVersion: String
    /// The swarm (or run) seed the adapter's initial A came from.
    public var seed: UInt64
    /// Any further facts (node id, round, dataset hash...), written as `swarmtune.<key>`.
    public var extra: [String: String]

    public static let coreHashKey = "swarmtune.core_sha256"
    public static let versionKey = "swarmtune.version"
    public static let seedKey = "swarmtune.seed"
    static let prefix = "swarmtune."

    public init(coreHash: String, swarmtuneVersion: String, seed: UInt64, extra: [String: String] = [:]) {
        self.coreHash = coreHash
        self.swarmtuneVersion = swarmtuneVersion
        self.seed = seed
        self.extra = extra
    }

    /// The metadata entries for this provenance.
    public var metadata: [String: String] {
        var out: [String: String] = [:]
        for (key, value) in extra { out[Self.prefix + key] = value }
        out[Self.coreHashKey] = coreHash
        out[Self.versionKey] = swarmtuneVersion
        out[Self.seedKey] = String(seed)
        return out
    }

    /// Checks the fields a reader relies on; `path` labels the error.
    func validate(path: String) throws(LoRAAdapterError) {
        guard coreHash.utf8.count == 64, coreHash.utf8.allSatisfy(Self.isLowerHex) else {
            throw .invalidProvenance(path: path, key: Self.coreHashKey, reason: "must be 64 lowercase hex digits, found \"\(coreHash.prefix(80))\"")
        }
        guard !swarmtuneVersion.isEmpty else {
            throw .invalidProvenance(path: path, key: Self.versionKey, reason: "must not be empty")
        }
        for key in extra.keys where key.isEmpty || Self.reserved.contains(Self.prefix + key) {
            throw .invalidProvenance(path: path, key: Self.prefix + key, reason: "is reserved or empty; choose another extra key")
        }
    }

    /// The provenance in `metadata`, nil when there is no `swarmtune.*` key at all.
    init?(metadata: [String: String], path: String) throws(LoRAAdapterError) {
        let own = metadata.filter { $0.key.hasPrefix(Self.prefix) }
        guard !own.isEmpty else { return nil }
        func required(_ key: String) throws(LoRAAdapterError) -> String {
            guard let value = own[key] else { throw .invalidProvenance(path: path, key: key, reason: "is missing (other swarmtune.* keys are present)") }
            return value
        }
        let seedText = try required(Self.seedKey)
        guard let seed = UInt64(seedText) else {
            throw .invalidProvenance(path: path, key: Self.seedKey, reason: "must be a decimal unsigned 64-bit integer, found \"\(seedText.prefix(40))\"")
        }
        var extra: [String: String] = [:]
        for (key, value) in own where !Self.reserved.contains(key) {
            extra[String(key.dropFirst(Self.prefix.count))] = value
        }
        self.init(coreHash: try required(Self.coreHashKey), swarmtuneVersion: try required(Self.versionKey), seed: seed, extra: extra)
        try validate(path: path)
    }

    private static let reserved: Set<String> = [coreHashKey, versionKey, seedKey]

    private static func isLowerHex(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "f"))
    }
}
