import Hashing
import SwarmBase

/// The identity of a core: SHA-256 over everything that decides what the model computes.
///
/// Covered: the architecture key, every `<arch>.*` hyper-parameter, every `tokenizer.*` key (the
/// vocabulary, merges and chat template decide what a training example means), and each tensor's
/// name, type, shape and bytes, in name order. Not covered: free-text `general.*` keys (name,
/// license...), key order, tensor order and alignment padding, so re-writing a file without
/// changing what it computes keeps its hash. Nodes refuse peers whose core hash differs.
public enum CoreHash {
    public static let domain = "swarmtune-core-v1"

    public static func compute(_ model: GGUFModelFile) -> Digest32 {
        var h = SHA256()
        h.update(Array(domain.utf8) + [0])
        let meta = model.metadata
        let arch = meta["general.architecture"]?.stringValue ?? ""
        let keys = meta.keys.filter {
            $0 == "general.architecture" || (!arch.isEmpty && $0.hasPrefix(arch + ".")) || $0.hasPrefix("tokenizer.")
        }.sorted()
        for key in keys {
            guard let value = meta[key] else { continue }
            var w = GGUFWriter()
            w.metadata.set(key, value)
            // The single-entry serialization is a canonical encoding of (key, type, value).
            let bytes = w.serialize()
            h.update(bytes)
        }
        for info in model.tensors.sorted(by: { $0.name < $1.name }) {
            var header: [UInt8] = Array(info.name.utf8) + [0]
            func u64(_ v: Int) { withUnsafeBytes(of: UInt64(v).littleEndian) { header.append(contentsOf: $0) } }
            u64(Int(info.type.rawValue))
            u64(info.shape.count)
            for d in info.shape { u64(d) }
            u64(info.byteCount)
            h.update(header)
            h.update(model.data(of: info))
        }
        return h.finalize()
    }
}
