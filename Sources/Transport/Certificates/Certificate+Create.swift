import SwarmBase
import COpenSSL
import Glibc

extension Certificate {
    /// Creates a certificate for `key`, signed by `issuer` (certificate + key), or self-signed if nil.
    ///
    /// Leaf certificates get keyUsage digitalSignature, extendedKeyUsage serverAuth+clientAuth
    /// (every node both dials and accepts) and subjectAltName from `spec.hosts`.
    public static func create(
        _ spec: CertificateSpec, for key: PrivateKey, issuer: (certificate: Certificate, key: PrivateKey)? = nil
    ) throws(CertificateError) -> Certificate {
        if spec.notAfter <= spec.notBefore {
            throw .invalidValidity(notBefore: spec.notBefore, notAfter: spec.notAfter)
        }
        let subjectAltName = try Self.subjectAltName(spec.hosts)
        guard let x509 = X509_new() else { throw .openSSL(operation: "allocate a certificate", detail: OpenSSLErrorQueue.drain()) }
        let certificate = Certificate(owning: x509)

        func check(_ ok: Bool, _ operation: String) throws(CertificateError) {
            if !ok { throw .openSSL(operation: operation, detail: OpenSSLErrorQueue.drain()) }
        }

        try check(X509_set_version(x509, 2) == 1, "set the certificate version")
        try check(Self.setRandomSerial(x509), "set a serial number")
        try check(ASN1_TIME_set(X509_getm_notBefore(x509), time_t(spec.notBefore)) != nil, "set notBefore")
        try check(ASN1_TIME_set(X509_getm_notAfter(x509), time_t(spec.notAfter)) != nil, "set notAfter")
        try check(X509_set_pubkey(x509, key.pointer) == 1, "set the public key")

        guard let name = X509_NAME_new() else { throw .openSSL(operation: "allocate a name", detail: OpenSSLErrorQueue.drain()) }
        defer { X509_NAME_free(name) }
        try check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, spec.commonName, -1, -1, 0) == 1, "set the common name")
        try check(X509_set_subject_name(x509, name) == 1, "set the subject")
        let issuerCert = issuer?.certificate.pointer ?? x509
        try check(X509_set_issuer_name(x509, X509_get_subject_name(issuerCert)) == 1, "set the issuer")

        var extensions: [(Int32, String)] = [(NID_subject_key_identifier, "hash")]
        if issuer != nil { extensions.append((NID_authority_key_identifier, "keyid:always")) }
        if spec.isCA {
            extensions.append((NID_basic_constraints, "critical,CA:TRUE,pathlen:0"))
            extensions.append((NID_key_usage, "critical,keyCertSign,cRLSign"))
        } else {
            extensions.append((NID_basic_constraints, "critical,CA:FALSE"))
            extensions.append((NID_key_usage, "critical,digitalSignature"))
            extensions.append((NID_ext_key_usage, "serverAuth,clientAuth"))
            if let subjectAltName { extensions.append((NID_subject_alt_name, subjectAltName)) }
        }
        for (nid, value) in extensions {
            var context = X509V3_CTX()
            X509V3_set_ctx(&context, issuerCert, x509, nil, nil, 0)
            guard let ext = X509V3_EXT_nconf_nid(nil, &context, nid, value) else {
                throw .openSSL(operation: "build extension \(value)", detail: OpenSSLErrorQueue.drain())
            }
            defer { X509_EXTENSION_free(ext) }
            try check(X509_add_ext(x509, ext, -1) == 1, "add extension \(value)")
        }

        let signer = issuer?.key.pointer ?? key.pointer
        // Ed25519 signs the message itself: no separate digest (md = NULL).
        try check(X509_sign(x509, signer, nil) > 0, "sign the certificate")
        return certificate
    }

    private static func setRandomSerial(_ x509: OpaquePointer) -> Bool {
        var bytes = [UInt8](repeating: 0, count: 16)
        guard RAND_bytes(&bytes, Int32(bytes.count)) == 1 else { return false }
        bytes[0] &= 0x7f  // positive
        bytes[0] |= 0x01  // no leading zero byte
        guard let bignum = BN_bin2bn(bytes, Int32(bytes.count), nil) else { return false }
        defer { BN_free(bignum) }
        return BN_to_ASN1_INTEGER(bignum, X509_get_serialNumber(x509)) != nil
    }

    /// "DNS:a,IP:127.0.0.1" from host strings; nil if there are none.
    static func subjectAltName(_ hosts: [String]) throws(CertificateError) -> String? {
        guard !hosts.isEmpty else { return nil }
        var entries = [String]()
        for host in hosts {
            if Self.isIPAddress(host) {
                entries.append("IP:\(host)")
            } else if Self.isDNSName(host) {
                entries.append("DNS:\(host)")
            } else {
                throw .invalidHost(host)
            }
        }
        return entries.joined(separator: ",")
    }

    static func isIPAddress(_ host: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }

    static func isDNSName(_ host: String) -> Bool {
        guard !host.isEmpty, host.utf8.count <= 253 else { return false }
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        return labels.allSatisfy { label in
            guard (1...63).contains(label.utf8.count), label.first != "-", label.last != "-" else { return false }
            return label.utf8.allSatisfy { c in
                (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == 0x2d || c == 0x2a
            }
        }
    }
}
