/// Element type of a factor tensor on the wire.
public enum TensorDType: UInt8, Sendable, CustomStringConvertible {
    case f32 = 0
    case bf16 = 1
    case f16 = 2

    /// Bytes per element.
    public var size: Int { self == .f32 ? 4 : 2 }

    public var description: String {
        switch self {
        case .f32: return "f32"
        case .bf16: return "bf16"
        case .f16: return "f16"
        }
    }
}
