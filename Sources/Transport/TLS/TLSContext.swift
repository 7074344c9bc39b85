import SwarmBase
import COpenSSL
import COpenSSLShims

/// An OpenSSL SSL_CTX set up for the swarm: TLS 1.3 only, mutual authentication against the
/// swarm CA, certificate validity enforced by OpenSSL's chain verification.
///
/// Configured once, then only used to create sessions, which OpenSSL allows from any thread.
final class TLSContext: @unchecked Sendable {
    let pointer: OpaquePointer
    /// The BIO type sessions write their records through.
    let wireBIO: WireBIO

    init(identity: TLSIdentity) throws(CertificateError) {
        wireBIO = try WireBIO()
        guard let ctx = SSL_CTX_new(TLS_method()) else {
            throw .openSSL(operation: "create a TLS context", detail: OpenSSLErrorQueue.drain())
        }
        pointer = ctx
        func check(_ ok: Bool, _ operation: String) throws(CertificateError) {
            if !ok { throw .openSSL(operation: operation, detail: OpenSSLErrorQueue.drain()) }
        }
        try check(swarm_SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) == 1, "require TLS 1.3")
        try check(swarm_SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) == 1, "require TLS 1.3")
        // AES-128-GCM first: 128-bit security, and faster than AES-256 for bulk factor traffic.
        try check(SSL_CTX_set_ciphersuites(ctx, "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256") == 1,
                  "set the TLS 1.3 cipher suites")
        // Both sides must present a certificate chaining to the swarm CA, and nothing else is trusted.
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nil)
        SSL_CTX_set_verify_depth(ctx, 2)
        try check(X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), identity.trustedCA.pointer) == 1, "trust the swarm CA")
        try check(SSL_CTX_use_certificate(ctx, identity.certificate.pointer) == 1, "use the node certificate")
        try check(SSL_CTX_use_PrivateKey(ctx, identity.key.pointer) == 1, "use the node key")
        try check(SSL_CTX_check_private_key(ctx) == 1, "match the node key with its certificate")
        // No resumption: every connection proves possession of a key against the current CA.
        _ = SSL_CTX_set_num_tickets(ctx, 0)
        // No read-ahead: sessions read through `SocketInput`, one recv per 256 KiB (see WireBuffer).
        _ = swarm_SSL_CTX_set_mode(ctx, Int(SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER))
    }

    deinit { SSL_CTX_free(pointer) }
}
