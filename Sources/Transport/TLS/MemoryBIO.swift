import SwarmBase
import COpenSSL
import COpenSSLShims

/// Helpers over OpenSSL memory BIOs.
enum MemoryBIO {
    static func collect(operation: String, _ write: (OpaquePointer) -> Bool) throws(CertificateError) -> [UInt8] {
        guard let bio = BIO_new(BIO_s_mem()) else {
            throw .openSSL(operation: operation, detail: OpenSSLErrorQueue.drain())
        }
        defer { BIO_free(bio) }
        guard write(bio) else { throw .openSSL(operation: operation, detail: OpenSSLErrorQueue.drain()) }
        var data: UnsafeMutablePointer<CChar>?
        let length = swarm_BIO_get_mem_data(bio, &data)
        guard length > 0, let data else { return [] }
        return Array(UnsafeRawBufferPointer(start: data, count: Int(length)).bindMemory(to: UInt8.self))
    }
}
