/// The BPE merge rules: for a pair of adjacent token ids, the rule's rank (lower merges first)
/// and the id of the merged token.
///
/// An open-addressing hash table over packed `(left, right)` keys: lookups sit in the inner
/// loop of encoding, where a general-purpose dictionary costs several times more.
struct MergeTable: Sendable {
    private var keys: [UInt64]
    private var values: [UInt64]
    private let mask: Int
    private(set) var count = 0

    private static let emptyKey = UInt64.max

    init(minimumCapacity: Int) {
        var capacity = 16
        while capacity < minimumCapacity * 2 { capacity <<= 1 }
        keys = [UInt64](repeating: Self.emptyKey, count: capacity)
        values = [UInt64](repeating: 0, count: capacity)
        mask = capacity - 1
    }

    /// Adds a rule, replacing an earlier rule for the same pair (as Hugging Face does).
    /// The table is sized for its rules up front, so it never fills.
    mutating func insert(left: Int32, right: Int32, rank: Int32, merged: Int32) {
        let key = Self.key(left, right)
        var slot = Self.slot(key, mask)
        while keys[slot] != Self.emptyKey && keys[slot] != key {
            slot = (slot + 1) & mask
        }
        if keys[slot] == Self.emptyKey { count += 1 }
        keys[slot] = key
        values[slot] = UInt64(UInt32(bitPattern: rank)) << 32 | UInt64(UInt32(bitPattern: merged))
    }

    /// The rank and merged id for the pair, or nil when the pair never merges.
    @inline(__always)
    func lookup(left: Int32, right: Int32) -> (rank: Int32, merged: Int32)? {
        let key = Self.key(left, right)
        var slot = Self.slot(key, mask)
        while true {
            let found = keys[slot]
            if found == key {
                let value = values[slot]
                return (Int32(truncatingIfNeeded: value >> 32), Int32(truncatingIfNeeded: value))
            }
            if found == Self.emptyKey { return nil }
            slot = (slot + 1) & mask
        }
    }

    @inline(__always)
    private static func key(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }

    @inline(__always)
    private static func slot(_ key: UInt64, _ mask: Int) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
    }
}
