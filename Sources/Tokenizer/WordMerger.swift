/// Applies BPE merges to one pre-tokenized piece, the way Hugging Face's BPE model does:
/// start from one token per byte, then repeatedly merge the adjacent pair with the lowest
/// rank, the leftmost one on ties, until no adjacent pair has a rule.
///
/// Holds its scratch buffers so that encoding many pieces allocates nothing per piece;
/// one merger serves one encode call.
struct WordMerger {
    private var ids: [Int32] = []
    private var previous: [Int] = []
    private var next: [Int] = []
    private var removed: [Bool] = []
    /// A binary min-heap of candidate merges packed as `rank << 32 | position`, so that
    /// comparing keys orders by rank and then by position. (A piece longer than 4 GiB would
    /// wrap positions; the stale-entry check then skips them, so it cannot trap.)
    private var heap: [UInt64] = []

    /// Appends the token ids of `bytes` to `output`. A byte without a token (`byteTokens`
    /// holds -1) is left out, and its neighbours become adjacent, as in Hugging Face's BPE
    /// without an unknown token.
    mutating func merge(
        _ bytes: UnsafeBufferPointer<UInt8>, byteTokens: [Int32], merges: MergeTable,
        into output: inout [Int32]
    ) {
        ids.removeAll(keepingCapacity: true)
        for byte in bytes {
            let id = byteTokens[Int(byte)]
            if id >= 0 { ids.append(id) }
        }
        let count = ids.count
        if count <= 1 {
            output.append(contentsOf: ids)
            return
        }
        previous.removeAll(keepingCapacity: true)
        next.removeAll(keepingCapacity: true)
        removed.removeAll(keepingCapacity: true)
        heap.removeAll(keepingCapacity: true)
        for index in 0..<count {
            previous.append(index - 1)
            next.append(index + 1 < count ? index + 1 : -1)
            removed.append(false)
        }
        for position in 0..<(count - 1) {
            if let rule = merges.lookup(left: ids[position], right: ids[position + 1]) {
                push(rank: rule.rank, position: position)
            }
        }
        while let top = pop() {
            let rank = Int32(truncatingIfNeeded: top >> 32)
            let position = Int(truncatingIfNeeded: top & 0xFFFF_FFFF)
            if removed[position] { continue }
            let right = next[position]
            if right < 0 { continue }
            // The entry is stale if either side has changed since it was pushed.
            guard let rule = merges.lookup(left: ids[position], right: ids[right]), rule.rank == rank
            else { continue }
            ids[position] = rule.merged
            removed[right] = true
            let afterRight = next[right]
            next[position] = afterRight
            if afterRight >= 0 { previous[afterRight] = position }
            let before = previous[position]
            if before >= 0, let left = merges.lookup(left: ids[before], right: ids[position]) {
                push(rank: left.rank, position: before)
            }
            if afterRight >= 0, let following = merges.lookup(left: ids[position], right: ids[afterRight]) {
                push(rank: following.rank, position: position)
            }
        }
        // The first symbol only ever grows (merges remove the right-hand symbol).
        var position = 0
        while position >= 0 {
            output.append(ids[position])
            position = next[position]
        }
    }

    private mutating func push(rank: Int32, position: Int) {
        heap.append(UInt64(UInt32(bitPattern: rank)) << 32 | UInt64(position))
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            if heap[parent] <= heap[child] { break }
            heap.swapAt(parent, child)
            child = parent
        }
    }

    private mutating func pop() -> UInt64? {
        guard let last = heap.popLast() else { return nil }
        if heap.isEmpty { return last }
        let top = heap[0]
        heap[0] = last
        var parent = 0
        let count = heap.count
        while true {
            let left = 2 * parent + 1
            if left >= count { break }
            var smallest = left
            if left + 1 < count && heap[left + 1] < heap[left] { smallest = left + 1 }
            if heap[parent] <= heap[smallest] { break }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
        return top
    }
}
