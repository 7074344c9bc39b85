import SwarmBase

/// The state files of a node, through `FileIO`, with failures reported as `NodeError`.
enum StateFile {
    /// Largest state file read.
    static let sizeLimit = 16 << 20

    /// The file's bytes, or nil when it does not exist.
    static func read(_ path: String, limit: Int = sizeLimit) throws(NodeError) -> [UInt8]? {
        do { return try FileIO.readIfPresent(path, limit: limit) } catch { throw .stateFile(error) }
    }

    /// Replaces the file atomically and durably.
    static func write(_ bytes: [UInt8], to path: String) throws(NodeError) {
        do { try FileIO.writeAtomically(bytes, to: path) } catch { throw .stateFile(error) }
    }

    /// Creates the state directory (and its parents) when missing.
    static func makeDirectory(_ path: String) throws(NodeError) {
        do { try FileIO.makeDirectories(path) } catch { throw .stateFile(error) }
    }
}
