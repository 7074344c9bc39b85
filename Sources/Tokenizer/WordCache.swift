import Synchronization

/// Remembers the token ids of recently encoded pieces, shared by all copies of a tokenizer
/// and safe to use from several threads.
///
/// Natural text repeats its words, so most pieces hit. Bounded: only short pieces are kept,
/// and the cache is emptied when it reaches its entry limit.
final class WordCache: Sendable {
    /// Pieces longer than this (in bytes) are not cached.
    static let maximumPieceLength = 64

    private let capacity: Int
    private let entries = Mutex<[[UInt8]: [Int32]]>([:])

    init(capacity: Int) {
        self.capacity = capacity
    }

    func lookup(_ piece: [UInt8]) -> [Int32]? {
        entries.withLock { $0[piece] }
    }

    func store(_ piece: [UInt8], _ ids: [Int32]) {
        entries.withLock { entries in
            if entries.count >= capacity {
                entries.removeAll(keepingCapacity: true)
            }
            entries[piece] = ids
        }
    }
}
