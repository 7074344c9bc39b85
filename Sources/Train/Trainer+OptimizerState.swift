import SwarmBase

/// The optimizer's state as a node's checkpoint stores it beside the adapter, so a restart
/// continues exactly where the round ended: optimizer step u64 | trainer step u64 | m f32 × n |
/// v f32 × n (little-endian). The node runtime and the inproc backend's state databases write it.
extension Trainer {
    public func optimizerStateBytes() -> [UInt8] {
        var w = ByteWriter(capacity: 16 + 8 * lora.count)
        w.u64(UInt64(optimizer.step))
        w.u64(UInt64(step))
        for buffer in [optimizer.m, optimizer.v] {
            for i in 0..<buffer.count { w.float32(buffer[i]) }
        }
        return w.finish()
    }

    /// Restores the optimizer's moments and both step counters from `bytes`; the data position
    /// follows from the trainer step (`resume(atStep:exampleCount:)`). Refuses bytes of another
    /// length or steps past 2^40, naming the field, and then changes nothing.
    public func restoreOptimizerState(_ bytes: [UInt8], exampleCount: Int) throws(ByteReadError) {
        let n = lora.count
        var r = ByteReader(bytes)
        let optimizerStep = try r.u64("optimizer step")
        let trainerStep = try r.u64("trainer step")
        var m = [Float](), v = [Float]()
        m.reserveCapacity(n); v.reserveCapacity(n)
        for _ in 0..<n { m.append(try r.float32("first moment")) }
        for _ in 0..<n { v.append(try r.float32("second moment")) }
        try r.expectEnd()
        guard optimizerStep <= 1 << 40, trainerStep <= 1 << 40 else {
            throw ByteReadError.limitExceeded(field: "step", offset: 0, value: max(optimizerStep, trainerStep), limit: 1 << 40)
        }
        optimizer.restore(step: Int(optimizerStep), m: m, v: v)
        resume(atStep: Int(trainerStep), exampleCount: exampleCount)
    }
}
