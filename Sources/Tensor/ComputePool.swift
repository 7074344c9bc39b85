import CKernels

/// The persistent worker threads that run the kernels, and the instruction set chosen for them.
///
/// One pool per engine; its `run` is not reentrant, so a pool is owned by one inference or
/// training session at a time.
public final class ComputePool: @unchecked Sendable {
    public let threads: Int
    public let isa: Int32
    /// The C pool, for calling the kernels directly.
    public let raw: OpaquePointer

    /// `threads` defaults to the number of online CPUs.
    public init(threads: Int? = nil) {
        let n = threads ?? max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        raw = st_pool_create(Int32(n))!
        self.threads = Int(st_pool_size(raw))
        isa = st_cpu_isa()
    }

    deinit { st_pool_destroy(raw) }

    public var isaName: String { String(cString: st_isa_name(isa)) }

    /// Runs `body(worker, workers)` on every worker thread and waits for all of them.
    public func run(_ body: (Int, Int) -> Void) {
        withoutActuallyEscaping(body) { escapable in
            let box = Box(escapable)
            let ctx = Unmanaged.passUnretained(box).toOpaque()
            st_pool_run(raw, { ctx, ith, nth in
                let box = Unmanaged<Box>.fromOpaque(ctx!).takeUnretainedValue()
                box.body(Int(ith), Int(nth))
            }, ctx)
        }
    }

    /// Splits `0..<count` into contiguous ranges, one per worker.
    public func parallelFor(_ count: Int, _ body: (Range<Int>) -> Void) {
        if count <= 1 || threads == 1 {
            body(0..<count)
            return
        }
        run { ith, nth in
            let lo = count * ith / nth, hi = count * (ith + 1) / nth
            if lo < hi { body(lo..<hi) }
        }
    }

    private final class Box {
        let body: (Int, Int) -> Void
        init(_ body: @escaping (Int, Int) -> Void) { self.body = body }
    }
}

#if canImport(Glibc)
import Glibc
#endif
