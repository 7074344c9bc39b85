import Quant

/// Where one tensor lives in a GGUF file and what it holds.
///
/// `shape` is in ggml order: `shape[0]` is the innermost (contiguous) dimension, so a weight matrix
/// with `rows` outputs of `columns` inputs has shape `[columns, rows]`.
public struct GGUFTensorInfo: Sendable, Equatable {
    public let name: String
    public let shape: [Int]
    public let type: GGMLType
    /// Byte offset of the data relative to the start of the data section.
    public let offset: Int
    public let byteCount: Int

    public var elementCount: Int { shape.reduce(1, *) }
    public var columns: Int { shape.first ?? 1 }
    public var rows: Int { shape.count <= 1 ? 1 : shape.dropFirst().reduce(1, *) }

    public init(name: String, shape: [Int], type: GGMLType, offset: Int, byteCount: Int) {
        self.name = name
        self.shape = shape
        self.type = type
        self.offset = offset
        self.byteCount = byteCount
    }
}
