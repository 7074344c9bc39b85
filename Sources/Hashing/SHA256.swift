import COpenSSL
import SwarmBase

/// Incremental SHA-256 through OpenSSL's EVP interface: the one digest function of the project
/// (core hashes, node ids from public keys, schema hashes).
public struct SHA256: ~Copyable {
    private let ctx: OpaquePointer

    public init() {
        // EVP_MD_CTX_new only fails when out of memory, where nothing else could go on either.
        ctx = EVP_MD_CTX_new()!
        EVP_DigestInit_ex(ctx, EVP_sha256(), nil)
    }

    deinit { EVP_MD_CTX_free(ctx) }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        EVP_DigestUpdate(ctx, bytes.baseAddress, bytes.count)
    }

    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    public consuming func finalize() -> Digest32 {
        var out = [UInt8](repeating: 0, count: Digest32.byteCount)
        var len: UInt32 = 0
        out.withUnsafeMutableBufferPointer { _ = EVP_DigestFinal_ex(ctx, $0.baseAddress, &len) }
        return Digest32(unchecked: out)
    }

    /// The digest of `bytes` in one call.
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> Digest32 {
        var h = SHA256()
        h.update(bytes)
        return h.finalize()
    }

    /// The digest of `bytes` in one call.
    public static func hash(_ bytes: [UInt8]) -> Digest32 {
        bytes.withUnsafeBytes { hash($0) }
    }
}
