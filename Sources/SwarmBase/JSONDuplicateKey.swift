/// A key that appears twice in one JSON object, and how deep that object is (1 for the
/// top-level object), so a format can name the duplicate in its own terms (a safetensors header
/// with a tensor name twice) rather than as a generic syntax error.
public struct JSONDuplicateKey: Equatable, Sendable {
    /// The key, with escapes resolved ("\u0077" and "w" are the same key).
    public let key: String
    /// Nesting depth of the object holding it: 1 for the document's top-level object.
    public let depth: Int

    public init(key: String, depth: Int) {
        self.key = key
        self.depth = depth
    }
}
