import Glibc

/// Wall-clock milliseconds since the Unix epoch (for files people read).
enum WallClock {
    static func milliseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}
