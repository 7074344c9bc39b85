#if canImport(Glibc)
import Glibc
#endif

/// A zero-initialised, 64-byte aligned block of Floats, owned by this object and freed with it.
///
/// Activations, KV caches and scratch space are FloatBuffers sized once up front, so the hot
/// loops never allocate.
public final class FloatBuffer: @unchecked Sendable {
    public let count: Int
    public let pointer: UnsafeMutablePointer<Float>

    public init(count: Int) {
        precondition(count >= 0, "FloatBuffer count must not be negative")
        self.count = count
        let bytes = max(64, (count * 4 + 63) / 64 * 64)
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, 64, bytes) == 0, let raw else {
            fatalError("out of memory allocating \(bytes) bytes")
        }
        memset(raw, 0, bytes)
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 16))
    }

    deinit { free(pointer) }

    public var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: pointer, count: count) }

    public subscript(i: Int) -> Float {
        get { pointer[i] }
        set { pointer[i] = newValue }
    }

    public func zero() { memset(pointer, 0, count * 4) }

    public var array: [Float] { Array(buffer) }
}
