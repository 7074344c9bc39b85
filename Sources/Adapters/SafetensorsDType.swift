/// The element types of the safetensors format (names as they appear in the header).
public enum SafetensorsDType: String, CaseIterable, Sendable, Hashable {
    case bool = "BOOL"
    case u8 = "U8", i8 = "I8", f8e4m3 = "F8_E4M3", f8e5m2 = "F8_E5M2"
    case u16 = "U16", i16 = "I16", f16 = "F16", bf16 = "BF16"
    case u32 = "U32", i32 = "I32", f32 = "F32"
    case u64 = "U64", i64 = "I64", f64 = "F64"

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .bool, .u8, .i8, .f8e4m3, .f8e5m2: return 1
        case .u16, .i16, .f16, .bf16: return 2
        case .u32, .i32, .f32: return 4
        case .u64, .i64, .f64: return 8
        }
    }

    /// Whether `SafetensorsFile.floats(_:)` converts this dtype to Float.
    public var convertsToFloat: Bool {
        switch self {
        case .f32, .f16, .bf16, .f64: return true
        default: return false
        }
    }

    /// The dtypes the writer can produce from Float values.
    public var isWritableFromFloat: Bool {
        switch self {
        case .f32, .f16, .bf16: return true
        default: return false
        }
    }
}

/// Float <-> 16-bit conversions used by the reader and writer.
enum HalfConversion {
    /// bfloat16 bits -> Float (exact).
    @inline(__always)
    static func float(fromBF16 bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// Float -> bfloat16 bits, rounding to nearest even; NaN stays NaN (quiet), infinities stay infinite.
    @inline(__always)
    static func bf16(from value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(truncatingIfNeeded: bits >> 16) | 0x0040 }
        let rounding = UInt32(0x7FFF) + ((bits >> 16) & 1)
        return UInt16(truncatingIfNeeded: (bits &+ rounding) >> 16)
    }

    /// IEEE half bits -> Float (exact).
    @inline(__always)
    static func float(fromF16 bits: UInt16) -> Float {
        Float(Float16(bitPattern: bits))
    }

    /// Float -> IEEE half bits, rounding to nearest even (overflow becomes infinity).
    @inline(__always)
    static func f16(from value: Float) -> UInt16 {
        Float16(value).bitPattern
    }
}
