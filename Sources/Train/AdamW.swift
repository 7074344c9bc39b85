#if canImport(Glibc)
import Glibc
#endif
import Tensor

/// AdamW with decoupled weight decay (Loshchilov & Hutter), as torch.optim.AdamW computes it:
/// p ← p·(1 − lr·λ); m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²;
/// p ← p − lr · (m / (1−β1ᵗ)) / (√(v / (1−β2ᵗ)) + ε).
/// The state is two buffers the size of the parameters, plus the step count.
public struct AdamW {
    public var beta1: Float = 0.9
    public var beta2: Float = 0.999
    public var epsilon: Float = 1e-8
    public var weightDecay: Float = 0
    public private(set) var step = 0
    public let m: FloatBuffer
    public let v: FloatBuffer

    public init(count: Int, weightDecay: Float = 0) {
        m = FloatBuffer(scratch: count)
        v = FloatBuffer(scratch: count)
        self.weightDecay = weightDecay
    }

    /// Restores a saved state (for resuming).
    public mutating func restore(step: Int, m: [Float], v: [Float]) {
        precondition(m.count == self.m.count && v.count == self.v.count, "optimizer state size mismatch")
        self.step = step
        m.withUnsafeBufferPointer { self.m.pointer.update(from: $0.baseAddress!, count: $0.count) }
        v.withUnsafeBufferPointer { self.v.pointer.update(from: $0.baseAddress!, count: $0.count) }
    }

    public mutating func update(_ params: UnsafeMutablePointer<Float>, gradients g: UnsafePointer<Float>, count: Int, lr: Float) {
        step += 1
        let b1 = beta1, b2 = beta2, eps = epsilon
        let c1 = 1 - powf(b1, Float(step)), c2 = 1 - powf(b2, Float(step))
        let decay = 1 - lr * weightDecay
        let m = self.m.pointer, v = self.v.pointer
        for i in 0..<count {
            let gi = g[i]
            m[i] = b1 * m[i] + (1 - b1) * gi
            v[i] = b2 * v[i] + (1 - b2) * gi * gi
            params[i] = params[i] * decay - lr * (m[i] / c1) / ((v[i] / c2).squareRoot() + eps)
        }
    }
}

/// Learning rate over steps: linear warm-up to the peak, then cosine decay to `minRatio`·peak.
public struct LearningRateSchedule: Sendable, Equatable {
    public var peak: Float
    public var warmupSteps: Int
    public var totalSteps: Int
    public var minRatio: Float
    public var cosine: Bool

    public init(peak: Float, warmupSteps: Int = 0, totalSteps: Int, minRatio: Float = 0, cosine: Bool = true) {
        self.peak = peak
        self.warmupSteps = warmupSteps
        self.totalSteps = totalSteps
        self.minRatio = minRatio
        self.cosine = cosine
    }

    /// The rate for the 0-based step `step`.
    public func rate(at step: Int) -> Float {
        if step < warmupSteps { return peak * Float(step + 1) / Float(warmupSteps) }
        guard cosine, totalSteps > warmupSteps else { return peak }
        let progress = min(1, Float(step - warmupSteps) / Float(max(1, totalSteps - warmupSteps)))
        let cosineFactor = 0.5 * (1 + cosf(.pi * progress))
        return peak * (minRatio + (1 - minRatio) * cosineFactor)
    }
}

/// Global gradient-norm clipping: scales all gradients by min(1, maxNorm / ‖g‖).
public enum GradientClipping {
    /// Returns the norm before clipping.
    @discardableResult
    public static func clip(_ g: UnsafeMutablePointer<Float>, count: Int, maxNorm: Float) -> Float {
        var sq: Double = 0
        for i in 0..<count { sq += Double(g[i]) * Double(g[i]) }
        let norm = Float(sq.squareRoot())
        if maxNorm > 0, norm > maxNorm {
            let s = maxNorm / (norm + 1e-6)
            for i in 0..<count { g[i] *= s }
        }
        return norm
    }
}
