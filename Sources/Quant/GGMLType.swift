/// Tensor element formats as numbered by GGUF (ggml's `ggml_type`), plus SwarmTune's own NF4.
/// The raw values are the only list of these ids on the Swift side; the C kernels take them as
/// they are (CKernels' formats.c maps the fused ones to block layouts).
///
/// Block formats store `blockSize` elements in `typeSize` bytes; a row's element count must be a
/// multiple of `blockSize`. NF4 is the exception: it is a whole-tensor layout with a per-tensor
/// group table (see `NF4.Layout`), so its size is not a multiple of `typeSize`; always size
/// tensors with `byteCount(elements:)`.
public enum GGMLType: UInt32, Sendable, CaseIterable, CustomStringConvertible {
    case f32 = 0
    case f16 = 1
    case q4_0 = 2
    case q4_1 = 3
    case q5_0 = 6
    case q5_1 = 7
    case q8_0 = 8
    case q2_K = 10
    case q3_K = 11
    case q4_K = 12
    case q5_K = 13
    case q6_K = 14
    case bf16 = 30
    /// SwarmTune NF4 (QLoRA NormalFloat-4 with double-quantized absmax); not a ggml type.
    /// The id is outside ggml's range so no ggml reader mistakes it for one of its own.
    case nf4 = 0x4E46

    /// Elements per block.
    public var blockSize: Int {
        switch self {
        case .f32, .f16, .bf16: return 1
        case .q4_0, .q4_1, .q5_0, .q5_1, .q8_0: return 32
        case .q2_K, .q3_K, .q4_K, .q5_K, .q6_K: return 256
        case .nf4: return 64
        }
    }

    /// Bytes per block. For NF4 this is the per-block share only (32 bytes of codes and 1 byte of
    /// quantized absmax); the tensor adds padding and a group table (see `byteCount(elements:)`).
    public var typeSize: Int {
        switch self {
        case .f32: return 4
        case .f16, .bf16: return 2
        case .q4_0: return 18      // f16 d, 16 bytes of nibbles
        case .q4_1: return 20      // f16 d, f16 m, 16 bytes of nibbles
        case .q5_0: return 22      // f16 d, 4 bytes of fifth bits, 16 bytes of nibbles
        case .q5_1: return 24      // f16 d, f16 m, 4 bytes of fifth bits, 16 bytes of nibbles
        case .q8_0: return 34      // f16 d, 32 int8
        case .q2_K: return 84      // 16 bytes scales/mins, 64 bytes of 2-bit codes, f16 d, f16 dmin
        case .q3_K: return 110     // 32 bytes hmask, 64 bytes of 2-bit codes, 12 bytes scales, f16 d
        case .q4_K: return 144     // f16 d, f16 dmin, 12 bytes scales, 128 bytes nibbles
        case .q5_K: return 176     // f16 d, f16 dmin, 12 bytes scales, 32 bytes qh, 128 bytes nibbles
        case .q6_K: return 210     // 128 ql, 64 qh, 16 int8 scales, f16 d
        case .nf4: return 33       // 32 bytes of codes + 1 byte quantized absmax (see NF4.Layout)
        }
    }

    /// True for formats whose size is not `blockCount * typeSize` and whose blocks cannot be decoded
    /// without tensor-wide data (NF4's double-quantization groups).
    public var isTensorLevelLayout: Bool { self == .nf4 }

    public var description: String {
        switch self {
        case .f32: return "F32"
        case .f16: return "F16"
        case .q4_0: return "Q4_0"
        case .q4_1: return "Q4_1"
        case .q5_0: return "Q5_0"
        case .q5_1: return "Q5_1"
        case .q8_0: return "Q8_0"
        case .q2_K: return "Q2_K"
        case .q3_K: return "Q3_K"
        case .q4_K: return "Q4_K"
        case .q5_K: return "Q5_K"
        case .q6_K: return "Q6_K"
        case .bf16: return "BF16"
        case .nf4: return "NF4"
        }
    }

    /// Bytes needed for `count` elements, or nil when `count` is not a whole number of blocks
    /// or the size overflows. For NF4, `count` is the whole tensor's element count.
    public func byteCount(elements count: Int) -> Int? {
        guard count >= 0, count % blockSize == 0 else { return nil }
        if self == .nf4 {
            return try? NF4.Layout(elements: count).byteCount
        }
        let (bytes, overflow) = (count / blockSize).multipliedReportingOverflow(by: typeSize)
        return overflow ? nil : bytes
    }

    /// `byteCount(elements:)` with the reason for a failure.
    func requiredByteCount(elements count: Int) throws(QuantError) -> Int {
        guard count >= 0, count % blockSize == 0 else {
            throw .partialBlock(type: self, elements: count)
        }
        guard let bytes = byteCount(elements: count) else {
            throw .sizeOverflow(type: self, elements: count)
        }
        return bytes
    }
}
