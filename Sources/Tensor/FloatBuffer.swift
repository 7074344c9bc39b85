#if canImport(Glibc)
import Glibc
#endif

/// A zero-initialised, 64-byte aligned block of Floats, owned by this object and freed with it.
///
/// Activations, KV caches and scratch space are FloatBuffers sized once up front, so the hot
/// loops never allocate. A large buffer is its own anonymous mapping: the kernel hands out zeroed
/// pages on first touch, so an allocated but unused buffer costs no resident memory, and
/// `discardContents()` gives its pages back (an idle trainer of a 64-node simulation keeps only its
/// adapter and optimizer state resident).
public final class FloatBuffer: @unchecked Sendable {
    public let count: Int
    public let pointer: UnsafeMutablePointer<Float>
    /// Bytes of the mapping when the buffer is mapped (large), nil when it came from the heap.
    private let mappedBytes: Int?

    /// Buffers of at least this many bytes are mapped (page-aligned, lazily zeroed by the kernel).
    public static let mappingThreshold = 64 * 1024

    /// Allocates `count` zeroed Floats. Throws instead of stopping the program when the size
    /// does not fit in memory or overflows, because sizes come from flags and files (a batch
    /// times a sequence length squared, a context length): the caller adds which input asked.
    public init(count: Int) throws(AllocationError) {
        let (floatBytes, overflow) = count.multipliedReportingOverflow(by: 4)
        guard count >= 0, !overflow, floatBytes <= Int.max - 4096 else {
            throw AllocationError(count: count, bytes: nil, reason: count < 0 ? "a negative count" : "more bytes than an address holds")
        }
        self.count = count
        let bytes = max(64, (floatBytes + 63) / 64 * 64)
        if bytes >= Self.mappingThreshold {
            let page = Int(sysconf(Int32(_SC_PAGESIZE)))
            let length = (bytes + page - 1) / page * page
            guard let raw = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
                  raw != MAP_FAILED else {
                throw AllocationError(count: count, bytes: length, reason: String(cString: strerror(errno)))
            }
            mappedBytes = length
            pointer = raw.bindMemory(to: Float.self, capacity: count)
        } else {
            var raw: UnsafeMutableRawPointer?
            let status = posix_memalign(&raw, 64, bytes)
            guard status == 0, let raw else {
                throw AllocationError(count: count, bytes: bytes, reason: String(cString: strerror(status)))
            }
            memset(raw, 0, bytes)
            mappedBytes = nil
            pointer = raw.bindMemory(to: Float.self, capacity: max(count, 16))
        }
    }

    /// Scratch whose size is bounded by something already in memory (a weight's row length, an
    /// adapter's shape, a decode panel): like Swift's own arrays, it stops the program if even
    /// that cannot be had. Sizes that come from a flag or a file use the throwing `init(count:)`.
    public convenience init(scratch count: Int) {
        do { try self.init(count: count) } catch { fatalError("\(error) for scratch space") }
    }

    deinit {
        if let mappedBytes { munmap(pointer, mappedBytes) } else { free(pointer) }
    }

    /// Sets every value to zero and, for a mapped buffer, returns its pages to the kernel (they
    /// are zero-filled again when next touched): the buffer is as freshly allocated.
    public func discardContents() {
        if let mappedBytes {
            if madvise(pointer, mappedBytes, MADV_DONTNEED) != 0 { zero() }
        } else {
            zero()
        }
    }

    public var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: pointer, count: count) }

    public subscript(i: Int) -> Float {
        get { pointer[i] }
        set { pointer[i] = newValue }
    }

    /// The machine's physical memory in bytes (what a workspace larger than this cannot have).
    public static var physicalMemoryBytes: Int {
        Int(sysconf(Int32(_SC_PHYS_PAGES))) * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    public func zero() { memset(pointer, 0, count * 4) }

    public var array: [Float] { Array(buffer) }
}
