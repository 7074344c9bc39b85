import SwarmBase
import Testing
@testable import Quant

@Suite struct FP16Tests {
    /// Every half decodes exactly as the spec formula says (and as the compiler's Float16 does).
    @Test func decodeIsExactForEveryHalf() {
        var mismatches: [UInt16] = []
        for bits in 0...UInt16.max {
            let ours = FP16.decode(bits)
            if !sameFloat(ours, specHalf(bits)) { mismatches.append(bits) }
            #if arch(x86_64) || arch(arm64)
            if !sameFloat(ours, Float(Float16(bitPattern: bits))) { mismatches.append(bits) }
            #endif
        }
        #expect(mismatches.isEmpty, "first mismatching halves: \(mismatches.prefix(5))")
    }

    @Test func everyHalfRoundTrips() {
        for bits in 0...UInt16.max {
            let back = FP16.encode(FP16.decode(bits))
            if FP16.decode(bits).isNaN {
                #expect(FP16.decode(back).isNaN && back & 0x8000 == bits & 0x8000)
            } else {
                #expect(back == bits, "half 0x\(String(bits, radix: 16)) came back as 0x\(String(back, radix: 16))")
            }
        }
    }

    /// Exact ties between neighbouring halves, and the floats just either side of each tie, for every
    /// pair of neighbouring finite halves (normal and subnormal): ties go to the even half.
    @Test func roundsToNearestEvenAtEveryTie() {
        var failures = 0
        for bits in UInt16(0)..<0x7BFF {
            let low = Double(FP16.decode(bits)), high = Double(FP16.decode(bits + 1))
            let tie = Float((low + high) / 2)           // exact: halves have 11-bit significands
            let even = bits % 2 == 0 ? bits : bits + 1
            if FP16.encode(tie) != even { failures += 1 }
            if FP16.encode(tie.nextDown) != bits { failures += 1 }
            if FP16.encode(tie.nextUp) != bits + 1 { failures += 1 }
            if FP16.encode(-tie) != even | 0x8000 { failures += 1 }
        }
        #expect(failures == 0)
    }

    @Test func overflowUnderflowAndSpecials() {
        #expect(FP16.encode(65504) == 0x7BFF)
        #expect(FP16.encode(Float(65520).nextDown) == 0x7BFF)
        #expect(FP16.encode(65520) == 0x7C00)               // the tie above 65504 rounds to infinity
        #expect(FP16.encode(-1e10) == 0xFC00)
        #expect(FP16.encode(.infinity) == 0x7C00)
        #expect(FP16.encode(-.infinity) == 0xFC00)
        #expect(FP16.encode(0x1p-24) == 0x0001)              // smallest subnormal
        #expect(FP16.encode(0x1p-25) == 0x0000)              // tie with zero goes to zero (even)
        #expect(FP16.encode(Float(0x1p-25).nextUp) == 0x0001)
        #expect(FP16.encode(0x1.8p-24) == 0x0002)            // 1.5 units: tie, to even 2
        #expect(FP16.encode(0x1p-14 - 0x1p-25) == 0x0400)     // largest-subnormal tie carries into the smallest normal
        #expect(FP16.encode(.leastNonzeroMagnitude) == 0x0000)
        #expect(FP16.encode(-0.0) == 0x8000)
        #expect(FP16.encode(1) == 0x3C00)
    }

    @Test func nanStaysNaNQuietAndSigned() {
        let signalling = Float(bitPattern: 0x7F80_0001)      // payload only in bits FP16 drops
        #expect(FP16.encode(signalling) == 0x7E00)
        #expect(FP16.encode(-Float.nan) & 0xFE00 == 0xFE00)
        #expect(FP16.encode(Float(bitPattern: 0x7FA0_0000)) == 0x7F00)   // top payload bit kept, quiet bit set
        #expect(FP16.decode(0x7C01).isNaN)
        #expect(FP16.decode(0xFE00).isNaN && FP16.decode(0xFE00).sign == .minus)
    }

    #if arch(x86_64) || arch(arm64)
    /// Random floats across the whole range agree with the compiler's Float16 conversion.
    @Test func encodeAgreesWithCompilerFloat16() {
        var rng = SeededRandom(seed: 16)
        var failures = 0
        for _ in 0..<100_000 {
            let x = Float(bitPattern: UInt32.random(in: 0...UInt32.max, using: &rng))
            let expected = Float16(x).bitPattern
            let ours = FP16.encode(x)
            if x.isNaN ? FP16.decode(ours).isNaN == false : ours != expected { failures += 1 }
        }
        #expect(failures == 0)
    }
    #endif
}

@Suite struct BF16Tests {
    /// Round to nearest-even by brute force: pick the nearer of the two bfloat16 neighbours in
    /// Double, the even one on a tie.
    static func oracle(_ x: Float) -> UInt16 {
        let down = x.bitPattern >> 16
        let candidates = [down, down + 1]
        let distances = candidates.map { abs(Double(Float(bitPattern: $0 << 16)) - Double(x)) }
        if distances[0] < distances[1] { return UInt16(down) }
        if distances[1] < distances[0] { return UInt16(down + 1) }
        return UInt16(down % 2 == 0 ? down : down + 1)
    }

    @Test func decodeIsTheHighHalfOfAFloat() {
        for bits in 0...UInt16.max {
            #expect(BF16.decode(bits).bitPattern == UInt32(bits) << 16)
        }
    }

    @Test func roundsToNearestEvenAtEveryTie() {
        var failures = 0
        for high in UInt32(0)..<0x7F7F {                 // every positive finite bf16 below the largest
            for low: UInt32 in [0x0000, 0x7FFF, 0x8000, 0x8001, 0xFFFF] {
                let x = Float(bitPattern: high << 16 | low)
                if BF16.encode(x) != Self.oracle(x) { failures += 1 }
                if BF16.encode(-x) != Self.oracle(x) | 0x8000 { failures += 1 }
            }
        }
        #expect(failures == 0)
    }

    @Test func overflowSubnormalsAndSpecials() {
        #expect(BF16.encode(.greatestFiniteMagnitude) == 0x7F80)     // rounds up to infinity
        #expect(BF16.encode(Float(bitPattern: 0x7F7F_7FFF)) == 0x7F7F)
        #expect(BF16.encode(.infinity) == 0x7F80)
        #expect(BF16.encode(-.infinity) == 0xFF80)
        #expect(BF16.encode(Float(bitPattern: 0x0001_8000)) == 0x0002)    // subnormal tie, to even, not flushed
        #expect(BF16.encode(Float(bitPattern: 0x0000_8000)) == 0x0000)
        #expect(BF16.encode(Float(bitPattern: 0x0000_8001)) == 0x0001)
        #expect(BF16.encode(-0.0) == 0x8000)
        #expect(BF16.encode(Float(bitPattern: 0x7F80_0001)) == 0x7FC0)   // signalling NaN becomes quiet
        #expect(BF16.encode(Float(bitPattern: 0xFFC1_2345)) == 0xFFC1)   // sign and top payload kept
    }
}
