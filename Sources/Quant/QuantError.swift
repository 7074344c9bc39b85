/// Why a tensor could not be encoded or decoded.
///
/// Every case names the format and the position involved, so a caller can report which tensor,
/// block or element is at fault.
public enum QuantError: Error, Sendable, CustomStringConvertible {
    /// `elements` is negative or not a whole number of `type`'s blocks.
    case partialBlock(type: GGMLType, elements: Int)
    /// The byte size of `elements` elements of `type` does not fit in an `Int`.
    case sizeOverflow(type: GGMLType, elements: Int)
    /// A buffer holds `actual` bytes where `elements` elements of `type` need `expected`.
    case byteCountMismatch(type: GGMLType, elements: Int, expected: Int, actual: Int)
    /// An input value is NaN or infinite, which a block format cannot represent.
    case nonFiniteValue(type: GGMLType, index: Int, value: Float)
    /// A block's values are too large for the format's fp16 scale (or minimum) field.
    case blockOutOfRange(type: GGMLType, block: Int, absMax: Float)
    /// A requested element range lies outside a tensor of `elements` elements.
    case rangeOutOfBounds(range: Range<Int>, elements: Int)
    /// A destination holds `actual` elements where `expected` were to be written.
    case destinationSizeMismatch(expected: Int, actual: Int)
    /// Two tensors that should be compared element by element differ in length.
    case lengthMismatch(original: Int, reconstructed: Int)

    public var description: String {
        switch self {
        case let .partialBlock(type, elements):
            return "\(type): \(elements) elements is not a whole number of \(type.blockSize)-element blocks"
        case let .sizeOverflow(type, elements):
            return "\(type): the byte size of \(elements) elements overflows"
        case let .byteCountMismatch(type, elements, expected, actual):
            return "\(type): \(elements) elements need \(expected) bytes, but the buffer holds \(actual)"
                + " (truncated or mistyped tensor data?)"
        case let .nonFiniteValue(type, index, value):
            return "\(type): element \(index) is \(value); only finite values can be quantized"
                + " (check the source tensor for NaN/Inf)"
        case let .blockOutOfRange(type, block, absMax):
            return "\(type): block \(block) holds values up to \(absMax) in magnitude, too large for its fp16 scale;"
                + " values this large need F32, BF16 or NF4"
        case let .rangeOutOfBounds(range, elements):
            return "element range \(range.lowerBound)..<\(range.upperBound) is outside a tensor of \(elements) elements"
        case let .destinationSizeMismatch(expected, actual):
            return "destination holds \(actual) elements, expected \(expected)"
        case let .lengthMismatch(original, reconstructed):
            return "cannot compare \(original) original values with \(reconstructed) reconstructed values"
        }
    }
}
