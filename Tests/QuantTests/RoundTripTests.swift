import Testing
@testable import Quant

/// quantize -> dequantize error bounds that follow from each format's rules. Bounds include the
/// rounding of the stored fp16 scale (relative error <= 2^-11) where the format stores one.
@Suite struct RoundTripTests {
    static let halfUlp: Float = 0x1p-11     // fp16 relative rounding error bound

    static func roundTrip(_ type: GGMLType, _ values: [Float]) throws -> (bytes: [UInt8], decoded: [Float]) {
        let bytes = try Quantize.row(type, values)
        return (bytes, try Dequantize.row(type, bytes, elements: values.count))
    }

    @Test func f32IsLossless() throws {
        let values = gaussianWeights(count: 256, blockSize: 32, seed: 1) + [.infinity, -0.0, .nan, .leastNonzeroMagnitude]
        let (_, decoded) = try Self.roundTrip(.f32, values)
        #expect(firstMismatch(decoded, values) == nil)
    }

    @Test func f16ErrorIsHalfAnUlp() throws {
        let values = gaussianWeights(count: 4096, blockSize: 64, seed: 2).map { $0 * 1000 }
        let (_, decoded) = try Self.roundTrip(.f16, values)
        for (x, y) in zip(values, decoded) {
            #expect(abs(x - y) <= max(abs(x) * Self.halfUlp, 0x1p-25), "\(x) -> \(y)")
        }
    }

    @Test func bf16ErrorIsHalfAnUlp() throws {
        let values = gaussianWeights(count: 4096, blockSize: 64, seed: 3)
        let (_, decoded) = try Self.roundTrip(.bf16, values)
        for (x, y) in zip(values, decoded) {
            #expect(abs(x - y) <= abs(x) * 0x1p-8, "\(x) -> \(y)")
        }
    }

    /// Q8_0: x = d * q with q = round(x / d), so |error| <= d/2, plus 127 * |d - fp16(d)|.
    @Test func q8_0ErrorIsHalfAStep() throws {
        let values = gaussianWeights(count: 32 * 64, blockSize: 32, seed: 4)
        let (bytes, decoded) = try Self.roundTrip(.q8_0, values)
        for i in values.indices {
            let d = abs(FP16.decode(specU16(bytes, 34 * (i / 32))))
            #expect(abs(values[i] - decoded[i]) <= d * (0.5 + 127 * Self.halfUlp), "element \(i)")
        }
    }

    /// Q4_0: d = extreme / -8; codes -8...7 cover [-8d, 7d] in the extreme's direction, so values
    /// within 7.5 steps are within half a step; the opposite end (up to 8 steps) is clamped to 7,
    /// within one step.
    @Test func q4_0ErrorIsHalfAStepExceptTheClampedEnd() throws {
        let values = gaussianWeights(count: 32 * 64, blockSize: 32, seed: 5)
        let (bytes, decoded) = try Self.roundTrip(.q4_0, values)
        for i in values.indices {
            let d = FP16.decode(specU16(bytes, 18 * (i / 32)))
            let steps = values[i] / d
            let bound = abs(d) * ((steps > 7.5 ? 1 : 0.5) + 8 * Self.halfUlp)
            #expect(abs(values[i] - decoded[i]) <= bound * 1.0001, "element \(i): \(steps) steps")
        }
    }

    /// Q4_1: d = (max - min) / 15, m = min, codes round half up: |error| <= d/2 plus the fp16
    /// rounding of d (times up to 15) and of m.
    @Test func q4_1ErrorIsHalfAStep() throws {
        let values = gaussianWeights(count: 32 * 64, blockSize: 32, seed: 6).map { $0 + 0.01 }
        let (bytes, decoded) = try Self.roundTrip(.q4_1, values)
        for i in values.indices {
            let d = FP16.decode(specU16(bytes, 20 * (i / 32)))
            let m = FP16.decode(specU16(bytes, 20 * (i / 32) + 2))
            let bound = d * (0.5 + 15 * Self.halfUlp) + abs(m) * Self.halfUlp
            #expect(abs(values[i] - decoded[i]) <= bound * 1.0001, "element \(i)")
        }
    }

    /// Our Q4_K encoder covers each sub-block's range exactly, so every weight is within half its
    /// sub-block's step d * sc (up to float rounding).
    @Test func q4_KErrorIsHalfASubBlockStep() throws {
        var values = gaussianWeights(count: 256 * 8, blockSize: 32, seed: 7)
        for i in 256..<512 { values[i] = abs(values[i]) + 0.05 }     // an all-positive block
        for i in 512..<768 { values[i] = -abs(values[i]) - 0.05 }    // an all-negative block
        let (bytes, decoded) = try Self.roundTrip(.q4_K, values)
        for i in values.indices {
            let base = 144 * (i / 256)
            let (sc, _) = specQ4KScaleMin(Array(bytes[base + 4..<base + 16]), (i % 256) / 32)
            let step = FP16.decode(specU16(bytes, base)) * Float(sc)
            #expect(abs(values[i] - decoded[i]) <= step * 0.5001 + abs(values[i]) * 1e-6, "element \(i)")
        }
    }

    /// Our Q6_K encoder uses codes -31...31 with the step rounded up, so every weight is within
    /// half its sub-block's step d * scale.
    @Test func q6_KErrorIsHalfASubBlockStep() throws {
        let values = gaussianWeights(count: 256 * 8, blockSize: 16, seed: 8)
        let (bytes, decoded) = try Self.roundTrip(.q6_K, values)
        for i in values.indices {
            let base = 210 * (i / 256)
            let scale = Float(Int8(bitPattern: bytes[base + 192 + (i % 256) / 16]))
            let step = FP16.decode(specU16(bytes, base + 208)) * scale
            #expect(abs(values[i] - decoded[i]) <= step * 0.5001 + abs(values[i]) * 1e-6, "element \(i)")
        }
    }

    /// Q5_0: d = extreme / -16; codes -16...15 cover [-16d, 15d] in the extreme's direction, so
    /// values within 15.5 steps are within half a step; the opposite end (up to 16 steps) is
    /// clamped to 15, within one step.
    @Test func q5_0ErrorIsHalfAStepExceptTheClampedEnd() throws {
        let values = gaussianWeights(count: 32 * 64, blockSize: 32, seed: 11)
        let (bytes, decoded) = try Self.roundTrip(.q5_0, values)
        for i in values.indices {
            let d = FP16.decode(specU16(bytes, 22 * (i / 32)))
            let steps = values[i] / d
            let bound = abs(d) * ((steps > 15.5 ? 1 : 0.5) + 16 * Self.halfUlp)
            #expect(abs(values[i] - decoded[i]) <= bound * 1.0001, "element \(i): \(steps) steps")
        }
    }

    /// Q5_1: d = (max - min) / 31, m = min, codes round half up: |error| <= d/2 plus the fp16
    /// rounding of d (times up to 31) and of m.
    @Test func q5_1ErrorIsHalfAStep() throws {
        let values = gaussianWeights(count: 32 * 64, blockSize: 32, seed: 12).map { $0 + 0.01 }
        let (bytes, decoded) = try Self.roundTrip(.q5_1, values)
        for i in values.indices {
            let d = FP16.decode(specU16(bytes, 24 * (i / 32)))
            let m = FP16.decode(specU16(bytes, 24 * (i / 32) + 2))
            let bound = d * (0.5 + 31 * Self.halfUlp) + abs(m) * Self.halfUlp
            #expect(abs(values[i] - decoded[i]) <= bound * 1.0001, "element \(i)")
        }
    }

    /// Gaussian blocks plus an all-positive and an all-negative one, for the K encoders.
    static func kBlocks(seed: UInt64, subBlockSize: Int) -> [Float] {
        var values = gaussianWeights(count: 256 * 8, blockSize: subBlockSize, seed: seed)
        for i in 256..<512 { values[i] = abs(values[i]) + 0.05 }     // an all-positive block
        for i in 512..<768 { values[i] = -abs(values[i]) - 0.05 }    // an all-negative block
        return values
    }

    /// Our Q5_K encoder covers each sub-block's range exactly, so every weight is within half its
    /// sub-block's step d * sc (up to float rounding).
    @Test func q5_KErrorIsHalfASubBlockStep() throws {
        let values = Self.kBlocks(seed: 13, subBlockSize: 32)
        let (bytes, decoded) = try Self.roundTrip(.q5_K, values)
        for i in values.indices {
            let base = 176 * (i / 256)
            let (sc, _) = specQ4KScaleMin(Array(bytes[base + 4..<base + 16]), (i % 256) / 32)
            let step = FP16.decode(specU16(bytes, base)) * Float(sc)
            #expect(abs(values[i] - decoded[i]) <= step * 0.5001 + abs(values[i]) * 1e-6, "element \(i)")
        }
    }

    /// Our Q2_K encoder covers each 16-weight sub-block's range exactly with four levels, so every
    /// weight is within half its sub-block's step d * sc (up to float rounding).
    @Test func q2_KErrorIsHalfASubBlockStep() throws {
        let values = Self.kBlocks(seed: 14, subBlockSize: 16)
        let (bytes, decoded) = try Self.roundTrip(.q2_K, values)
        for i in values.indices {
            let base = 84 * (i / 256)
            let sc = Float(bytes[base + (i % 256) / 16] & 0x0F)
            let step = FP16.decode(specU16(bytes, base + 80)) * sc
            #expect(abs(values[i] - decoded[i]) <= step * 0.5001 + abs(values[i]) * 1e-6, "element \(i)")
        }
    }

    /// Our Q3_K encoder uses codes -3...3 with the step rounded up, so every weight is within half
    /// its sub-block's step d * scale (scale read back through the spec decoder's 6-bit unpacking).
    @Test func q3_KErrorIsHalfASubBlockStep() throws {
        let values = Self.kBlocks(seed: 15, subBlockSize: 16)
        let (bytes, decoded) = try Self.roundTrip(.q3_K, values)
        for i in values.indices {
            let base = 110 * (i / 256)
            // The spec decoder's value of code 5 (q = 1) is exactly one step.
            var block = Array(bytes[base..<base + 110])
            let j = i % 256, half = j / 128, k = (j % 128) / 32, l = j % 32
            block[32 + 32 * half + l] = block[32 + 32 * half + l] & ~(3 << UInt8(2 * k)) | 1 << UInt8(2 * k)
            block[l] |= 1 << UInt8(4 * half + k)
            let step = abs(specElement(.q3_K, block, j))
            #expect(abs(values[i] - decoded[i]) <= step * 0.5001 + abs(values[i]) * 1e-6, "element \(i)")
        }
    }

    /// All-zero and constant blocks survive every block format.
    @Test(arguments: blockTypes)
    func degenerateBlocks(type: GGMLType) throws {
        let zeros = [Float](repeating: 0, count: 512)
        #expect(try Self.roundTrip(type, zeros).decoded == zeros)
        let constant = [Float](repeating: -0.5, count: 512)
        let decoded = try Self.roundTrip(type, constant).decoded
        #expect(decoded.allSatisfy { abs($0 + 0.5) <= 0.5 * 0x1p-6 }, "\(type): \(decoded.prefix(4))")
    }

    /// Weights around 1e-8 need block scales below fp16's smallest subnormal (2^-24): the ggml
    /// formats lose them (absolute error stays within a few fp16 subnormal steps, never NaN),
    /// while NF4's fp32 scales keep their relative precision.
    @Test(arguments: blockTypes)
    func valuesBelowFP16Range(type: GGMLType) throws {
        let tiny = gaussianWeights(count: 512, blockSize: 64, seed: 9).map { $0 * 1e-6 }
        let stats = try tiny.withUnsafeBufferPointer { try QuantizationErrorStats.measure(type, values: $0) }
        if type == .nf4 {
            #expect(stats.relativeFrobeniusError < 0.2, "\(type): \(stats)")
        } else {
            #expect(stats.maxAbsError <= 16 * 0x1p-24, "\(type): \(stats)")
        }
    }

    /// Signal-to-noise on Gaussian weights: a regression guard on each encoder's quality (the
    /// thresholds sit a few dB below the measured figures listed in QUANT.md).
    @Test(arguments: [(GGMLType.f16, 60.0), (.bf16, 45.0), (.q8_0, 38.0), (.q6_K, 28.0),
                      (.q4_1, 17.0), (.q4_0, 16.0), (.q4_K, 17.0), (.nf4, 17.0),
                      (.q5_0, 24.0), (.q5_1, 25.0), (.q5_K, 25.0), (.q3_K, 11.0), (.q2_K, 7.0)])
    func gaussianSNR(type: GGMLType, minimumDecibels: Double) throws {
        let values = gaussianWeights(count: 256 * 64, blockSize: 256, seed: 10)
        let stats = try values.withUnsafeBufferPointer { try QuantizationErrorStats.measure(type, values: $0) }
        print("SNR \(type): \(stats)")
        #expect(stats.snrDecibels >= minimumDecibels, "\(type): \(stats)")
    }
}
