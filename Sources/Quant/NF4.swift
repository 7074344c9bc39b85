/// SwarmTune NF4: QLoRA's 4-bit NormalFloat with double-quantized block absmax.
///
/// Weights are split into blocks of 64; a block stores one 4-bit index per weight into the 16
/// NormalFloat levels (`codebook`) and its absmax, so weight i decodes to
/// `codebook[code_i] * absmax(block)`. The absmax values are themselves quantized ("double
/// quantization"): in groups of 256 consecutive blocks, each absmax is stored as a signed 8-bit
/// offset from the group mean, `absmax = Float(q) * scale + mean` (multiply, then add, in Float).
///
/// Groups span rows, so NF4 is a whole-tensor layout (see `Layout`), not a ggml block format:
/// ```
/// codes     elementCount / 2 bytes   block b at 32b: low nibble of byte 32b + k = weight k,
///                                    high nibble = weight 32 + k (k = 0..<32)
/// absmax    blockCount bytes          int8 q per block, zero-padded to a multiple of 4 bytes
/// groups    groupCount * 8 bytes      per group: f32 scale, f32 mean (little-endian)
/// ```
/// Any element range can be decoded with random access from these three arrays.
public enum NF4 {
    /// Weights per absmax block.
    public static let blockSize = 64
    /// Absmax blocks per double-quantization group.
    public static let groupSize = 256

    /// The 16 NormalFloat levels of the QLoRA paper (Dettmers et al. 2023, appendix E), ascending:
    /// quantiles of N(0, 1) normalised to [-1, 1], with 0 represented exactly (code 7).
    public static let codebook: [Float] = [
        -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453,
        -0.28444138169288635, -0.18477343022823334, -0.09105003625154495, 0.0,
        0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224,
        0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0,
    ]

    /// The code of 0.
    public static let zeroCode: UInt8 = 7

    /// Decision boundaries between neighbouring levels: the midpoints of `codebook`.
    static let boundaries: [Float] = (0..<15).map { (codebook[$0] + codebook[$0 + 1]) / 2 }

    /// The code whose level is nearest to `t` (a weight divided by its block's absmax): the number
    /// of decision boundaries strictly below `t`, so a value exactly on a boundary takes the lower
    /// level. Values beyond [-1, 1] take the end levels.
    @inline(__always)
    public static func nearestCode(_ t: Float) -> UInt8 {
        var code: UInt8 = 0
        for boundary in boundaries where t > boundary { code += 1 }
        return code
    }

    /// Byte layout of an NF4 tensor.
    public struct Layout: Sendable, Hashable {
        /// Number of weights; a multiple of `NF4.blockSize`.
        public let elementCount: Int

        /// Fails for a negative count or one that is not a whole number of blocks. Sizes cannot
        /// overflow: the layout is about 0.52 bytes per element.
        public init(elements: Int) throws(QuantError) {
            guard elements >= 0, elements % NF4.blockSize == 0 else {
                throw .partialBlock(type: .nf4, elements: elements)
            }
            elementCount = elements
        }

        public var blockCount: Int { elementCount / NF4.blockSize }
        public var groupCount: Int { (blockCount + NF4.groupSize - 1) / NF4.groupSize }
        /// Start of the packed 4-bit codes (32 bytes per block).
        public var codesOffset: Int { 0 }
        /// Start of the int8 quantized absmax values (one byte per block).
        public var absmaxOffset: Int { elementCount / 2 }
        /// Start of the group table (8 bytes per group: f32 scale, f32 mean); 4-byte aligned.
        public var groupsOffset: Int { absmaxOffset + (blockCount + 3) / 4 * 4 }
        /// Total size of the tensor in bytes.
        public var byteCount: Int { groupsOffset + 8 * groupCount }
    }

    // MARK: Encoding

    /// Quantizes `values` (a multiple of 64 finite floats) into a new NF4 tensor.
    public static func quantize(_ values: UnsafeBufferPointer<Float>) throws(QuantError) -> [UInt8] {
        let layout = try Layout(elements: values.count)
        var bytes = [UInt8](repeating: 0, count: layout.byteCount)
        // Array's closure APIs rethrow untyped errors, hence the Result round trip.
        try bytes.withUnsafeMutableBytes { out in
            Result { () throws(QuantError) in try quantize(values, into: out) }
        }.get()
        return bytes
    }

    /// Quantizes `values` into `out`, which must be exactly `Layout(elements: values.count).byteCount`
    /// bytes long.
    ///
    /// Each group's mean is the mean of its absmax values and its scale is the largest deviation
    /// from the mean over 127, so the stored int8 codes lie in -127...127 and every decoded absmax
    /// is within scale / 2 of the true one. Weights are then coded against the decoded absmax
    /// (what a reader will multiply by), each taking its nearest level.
    public static func quantize(_ values: UnsafeBufferPointer<Float>, into out: UnsafeMutableRawBufferPointer) throws(QuantError) {
        let layout = try Layout(elements: values.count)
        guard out.count == layout.byteCount else {
            throw .byteCountMismatch(type: .nf4, elements: values.count, expected: layout.byteCount, actual: out.count)
        }
        for (i, v) in values.enumerated() where !v.isFinite {
            throw .nonFiniteValue(type: .nf4, index: i, value: v)
        }
        for i in 0..<out.count { out[i] = 0 }

        var absmax = [Float](repeating: 0, count: layout.blockCount)
        for b in 0..<layout.blockCount {
            for v in values[blockSize * b..<blockSize * (b + 1)] { absmax[b] = max(absmax[b], abs(v)) }
        }

        for g in 0..<layout.groupCount {
            let blocks = groupSize * g..<min(groupSize * (g + 1), layout.blockCount)
            var sum = 0.0
            for b in blocks { sum += Double(absmax[b]) }
            let mean = Float(sum / Double(blocks.count))
            var deviation: Float = 0
            for b in blocks { deviation = max(deviation, abs(absmax[b] - mean)) }
            let scale = deviation / 127
            out.storeBytes(of: scale.bitPattern.littleEndian, toByteOffset: layout.groupsOffset + 8 * g, as: UInt32.self)
            out.storeBytes(of: mean.bitPattern.littleEndian, toByteOffset: layout.groupsOffset + 8 * g + 4, as: UInt32.self)
            for b in blocks {
                let q = scale > 0 ? roundedInt((absmax[b] - mean) / scale, clampedTo: -127...127) : 0
                out[layout.absmaxOffset + b] = UInt8(bitPattern: Int8(q))
            }
        }

        for b in 0..<layout.blockCount {
            let scaleOfBlock = decodedAbsmax(block: b, in: UnsafeRawBufferPointer(out), layout: layout)
            for k in 0..<32 {
                let low = code(values[blockSize * b + k], absmax: scaleOfBlock)
                let high = code(values[blockSize * b + 32 + k], absmax: scaleOfBlock)
                out[layout.codesOffset + 32 * b + k] = low | high << 4
            }
        }
    }

    @inline(__always)
    static func code(_ value: Float, absmax: Float) -> UInt8 {
        absmax == 0 ? zeroCode : nearestCode(value / absmax)
    }

    // MARK: Decoding

    /// The decoded (double-quantized) absmax of block `b`; `bytes` must match `layout`.
    @inline(__always)
    static func decodedAbsmax(block b: Int, in bytes: UnsafeRawBufferPointer, layout: Layout) -> Float {
        let group = layout.groupsOffset + 8 * (b / groupSize)
        let scale = Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: group, as: UInt32.self)))
        let mean = Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: group + 4, as: UInt32.self)))
        let q = Int8(bitPattern: bytes[layout.absmaxOffset + b])
        return Float(q) * scale + mean
    }

    /// Checks that `bytes` is a complete NF4 tensor of `elementCount` weights.
    static func validatedLayout(_ bytes: UnsafeRawBufferPointer, elementCount: Int) throws(QuantError) -> Layout {
        let layout = try Layout(elements: elementCount)
        guard bytes.count == layout.byteCount else {
            throw .byteCountMismatch(type: .nf4, elements: elementCount, expected: layout.byteCount, actual: bytes.count)
        }
        return layout
    }

    /// The decoded absmax of every block of an NF4 tensor of `elementCount` weights.
    public static func absmaxValues(_ bytes: UnsafeRawBufferPointer, elementCount: Int) throws(QuantError) -> [Float] {
        let layout = try validatedLayout(bytes, elementCount: elementCount)
        return (0..<layout.blockCount).map { decodedAbsmax(block: $0, in: bytes, layout: layout) }
    }

    /// Decodes the weights `range` of an NF4 tensor of `elementCount` weights into `out`
    /// (`range.count` floats). Any range may be asked for: a row, a block, or a single weight.
    public static func dequantize(
        _ bytes: UnsafeRawBufferPointer, elementCount: Int, range: Range<Int>, into out: UnsafeMutableBufferPointer<Float>
    ) throws(QuantError) {
        let layout = try validatedLayout(bytes, elementCount: elementCount)
        guard range.lowerBound >= 0, range.upperBound <= elementCount else {
            throw .rangeOutOfBounds(range: range, elements: elementCount)
        }
        guard out.count == range.count else {
            throw .destinationSizeMismatch(expected: range.count, actual: out.count)
        }
        var block = -1
        var absmax: Float = 0
        for i in range {
            if i / blockSize != block {
                block = i / blockSize
                absmax = decodedAbsmax(block: block, in: bytes, layout: layout)
            }
            let k = i % blockSize
            let byte = bytes[layout.codesOffset + 32 * block + k % 32]
            let code = k < 32 ? byte & 0x0F : byte >> 4
            out[i - range.lowerBound] = codebook[Int(code)] * absmax
        }
    }

    /// Decodes the weights `range` (default: all) of an NF4 tensor of `elementCount` weights.
    public static func dequantize(_ bytes: [UInt8], elementCount: Int, range: Range<Int>? = nil) throws(QuantError) -> [Float] {
        let range = range ?? 0..<max(0, elementCount)
        // Validate before allocating, so a bad range cannot drive the allocation size.
        try bytes.withUnsafeBytes { raw in
            Result { () throws(QuantError) in _ = try validatedLayout(raw, elementCount: elementCount) }
        }.get()
        guard range.lowerBound >= 0, range.upperBound <= elementCount else {
            throw .rangeOutOfBounds(range: range, elements: elementCount)
        }
        var values = [Float](repeating: 0, count: range.count)
        try bytes.withUnsafeBytes { raw in
            values.withUnsafeMutableBufferPointer { out in
                Result { () throws(QuantError) in try dequantize(raw, elementCount: elementCount, range: range, into: out) }
            }
        }.get()
        return values
    }
}
