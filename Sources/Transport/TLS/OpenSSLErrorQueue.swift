import SwarmBase
import Foundation
import COpenSSL

/// Drains OpenSSL's thread-local error queue into one readable line (most specific error last).
enum OpenSSLErrorQueue {
    static func drain() -> String {
        var messages = [String]()
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            messages.append(Self.reasonPart(of: String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)))
        }
        return messages.isEmpty ? "no OpenSSL error detail" : messages.joined(separator: "; ")
    }

    static func clear() { ERR_clear_error() }

    /// "error:0A000086:SSL routines::certificate verify failed" -> "certificate verify failed".
    private static func reasonPart(of line: String) -> String {
        guard let range = line.range(of: "::", options: .backwards) else { return line }
        return String(line[range.upperBound...])
    }
}
