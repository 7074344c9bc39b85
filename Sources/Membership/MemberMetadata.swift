/// What a member advertises about itself besides liveness: enough for peers to decide whether they can
/// exchange LoRA factors with it before opening a connection.
///
/// Limits (enforced by the codec): hashes up to `maxHashLength` bytes, up to `maxCapabilities` entries,
/// keys up to `maxKeyLength` bytes, values up to `maxValueLength` bytes.
public struct MemberMetadata: Hashable, Sendable {
    public static let maxHashLength = 128
    public static let maxCapabilities = 32
    public static let maxKeyLength = 64
    public static let maxValueLength = 255

    /// Hash of the frozen base model ("core") the member trains on, e.g. hex SHA-256.
    public var coreHash: String
    /// Hash of the adapter schema (rank, alpha, targets, shapes); only members with equal hashes mix factors.
    public var adapterSchemaHash: String
    /// Free-form capabilities, e.g. `["modes": "factors,frozen-a", "role": "trainer"]`.
    public var capabilities: [String: String]

    public init(coreHash: String = "", adapterSchemaHash: String = "", capabilities: [String: String] = [:]) {
        self.coreHash = coreHash
        self.adapterSchemaHash = adapterSchemaHash
        self.capabilities = capabilities
    }
}
