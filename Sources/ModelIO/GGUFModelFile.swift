/// A GGUF file on disk, memory-mapped and parsed. Tensor data is never copied: views point into
/// the mapping, which stays alive as long as this object.
public final class GGUFModelFile: Sendable {
    public let file: MappedFile
    public let gguf: GGUFFile

    public init(path: String) throws(GGUFError) {
        file = try MappedFile(path: path)
        do { gguf = try GGUFFile.parse(file.bytes) } catch { throw .inFile(path: path, error) }
    }

    public var path: String { file.path }
    public var metadata: GGUFMetadata { gguf.metadata }
    public var tensors: [GGUFTensorInfo] { gguf.tensors }

    /// The bytes of a tensor, valid while this object is alive.
    public func data(of info: GGUFTensorInfo) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: file.bytes[(gguf.dataOffset + info.offset)..<(gguf.dataOffset + info.offset + info.byteCount)])
    }

    /// Lets the pages of a tensor the kernels no longer read leave resident memory
    /// (`MappedFile.releasePages`); its bytes stay valid.
    public func releasePages(of info: GGUFTensorInfo) {
        file.releasePages((gguf.dataOffset + info.offset)..<(gguf.dataOffset + info.offset + info.byteCount))
    }

    public func tensor(named name: String) throws(GGUFError) -> GGUFTensorInfo {
        guard let t = gguf.tensor(named: name) else { throw .missingTensor(name) }
        return t
    }
}
