import Quant

// A second, independent decoder written straight from the format descriptions (QUANT.md, ggml's
// block structs), one element at a time, in the plainest style: no loops over blocks, no shared
// helpers with the Quant module. The module's decoders must agree with it bit for bit.

/// fp16 by the IEEE 754 formula: (-1)^s * 2^(e-15) * (1 + m/1024), or m * 2^-24 when e == 0.
func specHalf(_ bits: UInt16) -> Float {
    let negative = bits & 0x8000 != 0
    let e = Int((bits >> 10) & 0x1F)
    let m = Int(bits & 0x3FF)
    let magnitude: Double
    if e == 31 {
        magnitude = m == 0 ? .infinity : .nan
    } else if e == 0 {
        magnitude = Double(sign: .plus, exponent: -24, significand: Double(m))
    } else {
        magnitude = Double(sign: .plus, exponent: e - 15, significand: 1 + Double(m) / 1024)
    }
    return Float(negative ? -magnitude : magnitude)
}

func specU16(_ bytes: [UInt8], _ at: Int) -> UInt16 { UInt16(bytes[at]) + UInt16(bytes[at + 1]) * 256 }

func specHalfAt(_ bytes: [UInt8], _ at: Int) -> Float { specHalf(specU16(bytes, at)) }

/// Element `i` of a tensor of `type` stored in `bytes`.
func specElement(_ type: GGMLType, _ bytes: [UInt8], _ i: Int) -> Float {
    switch type {
    case .f32:
        let b = 4 * i
        let bits = UInt32(bytes[b]) + UInt32(bytes[b + 1]) << 8 + UInt32(bytes[b + 2]) << 16 + UInt32(bytes[b + 3]) << 24
        return Float(bitPattern: bits)
    case .f16:
        return specHalfAt(bytes, 2 * i)
    case .bf16:
        return Float(bitPattern: UInt32(specU16(bytes, 2 * i)) << 16)
    case .q4_0:
        // d, then 16 bytes: element j < 16 in the low nibble of byte j, element j >= 16 in the high
        // nibble of byte j - 16.
        let base = 18 * (i / 32), j = i % 32
        let byte = bytes[base + 2 + j % 16]
        let q = j < 16 ? byte % 16 : byte / 16
        return specHalfAt(bytes, base) * Float(Int(q) - 8)
    case .q4_1:
        let base = 20 * (i / 32), j = i % 32
        let byte = bytes[base + 4 + j % 16]
        let q = j < 16 ? byte % 16 : byte / 16
        return specHalfAt(bytes, base) * Float(q) + specHalfAt(bytes, base + 2)
    case .q8_0:
        let base = 34 * (i / 32)
        return specHalfAt(bytes, base) * Float(Int8(bitPattern: bytes[base + 2 + i % 32]))
    case .q5_0:
        // d, a 32-bit word of fifth bits (bit j for element j), then nibbles as in Q4_0.
        let base = 22 * (i / 32), j = i % 32
        let byte = bytes[base + 6 + j % 16]
        let low = j < 16 ? byte % 16 : byte / 16
        let fifth = (bytes[base + 2 + j / 8] >> UInt8(j % 8)) % 2
        return specHalfAt(bytes, base) * Float(Int(low) + 16 * Int(fifth) - 16)
    case .q5_1:
        let base = 24 * (i / 32), j = i % 32
        let byte = bytes[base + 8 + j % 16]
        let low = j < 16 ? byte % 16 : byte / 16
        let fifth = (bytes[base + 4 + j / 8] >> UInt8(j % 8)) % 2
        return specHalfAt(bytes, base) * Float(Int(low) + 16 * Int(fifth)) + specHalfAt(bytes, base + 2)
    case .q2_K:
        // scales[16] (scale low nibble, min high nibble), qs[64], d, dmin; element j of the block
        // is in half j / 128, group k = (j % 128) / 32, at bits 2k of byte 32 * half + j % 32.
        let base = 84 * (i / 256), j = i % 256
        let half = j / 128, k = (j % 128) / 32, l = j % 32
        let packed = bytes[base + j / 16]
        let q = (bytes[base + 16 + 32 * half + l] >> UInt8(2 * k)) % 4
        return specHalfAt(bytes, base + 80) * Float(packed % 16) * Float(q)
            - specHalfAt(bytes, base + 82) * Float(packed / 16)
    case .q3_K:
        // hmask[32], qs[64], scales[12], d. The 3-bit code is 2 low bits from qs and a high bit
        // from hmask; the value is code - 4. Scale s is 6 bits minus 32.
        let base = 110 * (i / 256), j = i % 256
        let half = j / 128, k = (j % 128) / 32, l = j % 32
        let low2 = Int((bytes[base + 32 + 32 * half + l] >> UInt8(2 * k)) % 4)
        let high1 = Int((bytes[base + l] >> UInt8(4 * half + k)) % 2)
        let s = j / 16
        let scaleLow4 = s < 8 ? Int(bytes[base + 96 + s] % 16) : Int(bytes[base + 96 + s - 8] / 16)
        let scaleHigh2 = Int((bytes[base + 104 + s % 4] >> UInt8(2 * (s / 4))) % 4)
        let scale = scaleLow4 + 16 * scaleHigh2 - 32
        return specHalfAt(bytes, base + 108) * Float(scale) * Float(low2 + 4 * high1 - 4)
    case .q5_K:
        // d, dmin, the 12 scale bytes of Q4_K, qh[32] (bit sub of byte l), qs[128] as Q4_K's.
        let base = 176 * (i / 256), j = i % 256
        let sub = j / 32, l = j % 32
        let (sc, m) = specQ4KScaleMin(Array(bytes[base + 4..<base + 16]), sub)
        let byte = bytes[base + 48 + 32 * (sub / 2) + l]
        let low = sub % 2 == 0 ? byte % 16 : byte / 16
        let fifth = (bytes[base + 16 + l] >> UInt8(sub)) % 2
        let q = Int(low) + 16 * Int(fifth)
        return specHalfAt(bytes, base) * Float(sc) * Float(q) - specHalfAt(bytes, base + 2) * Float(m)
    case .q4_K:
        let base = 144 * (i / 256), j = i % 256
        let sub = j / 32, l = j % 32
        let scales = Array(bytes[base + 4..<base + 16])
        let (sc, m) = specQ4KScaleMin(scales, sub)
        let byte = bytes[base + 16 + 32 * (sub / 2) + l]
        let q = sub % 2 == 0 ? byte % 16 : byte / 16
        return specHalfAt(bytes, base) * Float(sc) * Float(q) - specHalfAt(bytes, base + 2) * Float(m)
    case .q6_K:
        let base = 210 * (i / 256), j = i % 256
        let half = j / 128, k = (j % 128) / 32, l = j % 32
        let lowByte = bytes[base + 64 * half + 32 * (k % 2) + l]
        let low4 = k < 2 ? lowByte % 16 : lowByte / 16
        let high2 = (bytes[base + 128 + 32 * half + l] >> UInt8(2 * k)) % 4
        let q = Int(low4) + 16 * Int(high2) - 32
        let scale = Int8(bitPattern: bytes[base + 192 + j / 16])
        return specHalfAt(bytes, base + 208) * Float(scale) * Float(q)
    case .nf4:
        fatalError("NF4 has its own tests")
    }
}

/// Q4_K's 6-bit scale and min of sub-block `sub`, read bit by bit from the 12 packed bytes:
/// sub < 4: scale = bits 0-5 of byte sub, min = bits 0-5 of byte sub+4;
/// sub >= 4: scale = low nibble of byte sub+4 plus bits 6-7 of byte sub-4 as bits 4-5,
///           min = high nibble of byte sub+4 plus bits 6-7 of byte sub as bits 4-5.
func specQ4KScaleMin(_ s: [UInt8], _ sub: Int) -> (Int, Int) {
    func bits(_ byte: UInt8, _ from: Int, _ count: Int) -> Int { (Int(byte) >> from) % (1 << count) }
    if sub < 4 {
        return (bits(s[sub], 0, 6), bits(s[sub + 4], 0, 6))
    }
    let scale = bits(s[sub + 4], 0, 4) + bits(s[sub - 4], 6, 2) * 16
    let minimum = bits(s[sub + 4], 4, 4) + bits(s[sub], 6, 2) * 16
    return (scale, minimum)
}
