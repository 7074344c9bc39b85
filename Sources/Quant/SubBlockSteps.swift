/// The step each of a 256-value block's 16 sub-blocks of 16 needs so its largest magnitude is
/// `codes` steps: what the one-pass encoders of the symmetric K types (Q3_K, Q6_K) scale from.
func symmetricSubBlockSteps(_ x: UnsafeBufferPointer<Float>, codes: Float) -> [Float] {
    (0..<16).map { s in
        var absMax: Float = 0
        for i in 16 * s..<16 * s + 16 { absMax = max(absMax, abs(x[i])) }
        return absMax / codes
    }
}
