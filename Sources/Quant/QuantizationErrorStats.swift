#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How far a quantized tensor is from its source: max-abs error, RMS error, relative Frobenius
/// error and signal-to-noise ratio.
///
/// Accumulates in Double over any number of tensors (`add`, `merge`), so a whole model's figure
/// can be built tensor by tensor, as `swarmtune quantize` reports it.
public struct QuantizationErrorStats: Sendable, Equatable, CustomStringConvertible {
    /// Number of values compared.
    public private(set) var count: Int = 0
    /// Largest |original - reconstructed|.
    public private(set) var maxAbsError: Double = 0
    /// Sum of (original - reconstructed)^2.
    public private(set) var sumSquaredError: Double = 0
    /// Sum of original^2.
    public private(set) var sumSquaredSignal: Double = 0

    public init() {}

    /// Compares `reconstructed` with `original` element by element.
    public init(original: UnsafeBufferPointer<Float>, reconstructed: UnsafeBufferPointer<Float>) throws(QuantError) {
        try add(original: original, reconstructed: reconstructed)
    }

    /// Adds one more pair of tensors to the comparison.
    public mutating func add(original: UnsafeBufferPointer<Float>, reconstructed: UnsafeBufferPointer<Float>) throws(QuantError) {
        guard original.count == reconstructed.count else {
            throw .lengthMismatch(original: original.count, reconstructed: reconstructed.count)
        }
        for i in 0..<original.count {
            let x = Double(original[i])
            let error = abs(x - Double(reconstructed[i]))
            maxAbsError = max(maxAbsError, error.isNaN ? .infinity : error)
            sumSquaredError += error * error
            sumSquaredSignal += x * x
        }
        count += original.count
    }

    /// Combines the figures of two disjoint comparisons.
    public mutating func merge(_ other: QuantizationErrorStats) {
        count += other.count
        maxAbsError = max(maxAbsError, other.maxAbsError)
        sumSquaredError += other.sumSquaredError
        sumSquaredSignal += other.sumSquaredSignal
    }

    /// sqrt(mean squared error); 0 for no values.
    public var rmsError: Double {
        count == 0 ? 0 : (sumSquaredError / Double(count)).squareRoot()
    }

    /// ||original - reconstructed||_F / ||original||_F: 0 when exact, infinity when only the
    /// original is zero.
    public var relativeFrobeniusError: Double {
        if sumSquaredError == 0 { return 0 }
        return (sumSquaredError / sumSquaredSignal).squareRoot()
    }

    /// 10 log10(sum original^2 / sum error^2) in decibels: infinity when exact.
    public var snrDecibels: Double {
        if sumSquaredError == 0 { return .infinity }
        return 10 * log10(sumSquaredSignal / sumSquaredError)
    }

    public var description: String {
        "n=\(count) maxAbs=\(maxAbsError) rms=\(rmsError) relFrobenius=\(relativeFrobeniusError) snr=\(snrDecibels) dB"
    }

    /// Encodes `values` as `type`, decodes them again and measures the loss.
    public static func measure(_ type: GGMLType, values: UnsafeBufferPointer<Float>) throws(QuantError) -> QuantizationErrorStats {
        let bytes = try type.requiredByteCount(elements: values.count)
        var encoded = [UInt8](repeating: 0, count: bytes)
        var decoded = [Float](repeating: 0, count: values.count)
        try encoded.withUnsafeMutableBytes { dst in
            Result { () throws(QuantError) in try Quantize.row(type, from: values, into: dst) }
        }.get()
        try encoded.withUnsafeBytes { src in
            decoded.withUnsafeMutableBufferPointer { dst in
                Result { () throws(QuantError) in try Dequantize.row(type, from: src, into: dst) }
            }
        }.get()
        return try decoded.withUnsafeBufferPointer { out in
            Result { () throws(QuantError) in try QuantizationErrorStats(original: values, reconstructed: out) }
        }.get()
    }
}
