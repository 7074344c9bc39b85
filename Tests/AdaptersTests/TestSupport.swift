import SwarmBase
import TestSupport
import Foundation
@testable import Adapters

/// The Fixtures directory next to this file.
let fixturesDirectory: String = {
    let here = #filePath
    return String(here[..<here.lastIndex(of: "/")!]) + "/Fixtures"
}()

/// A fresh empty directory under the system temporary directory, removed by `cleanup`.
func makeTemporaryDirectory() -> String {
    var template = Array((NSTemporaryDirectory() + "/adapters-test-XXXXXX").utf8CString)
    let path = template.withUnsafeMutableBufferPointer { buffer -> String in
        String(cString: mkdtemp(buffer.baseAddress!)!)
    }
    return path
}

func removeTree(_ path: String) {
    try? FileManager.default.removeItem(atPath: path)
}

func listDirectory(_ path: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
}

extension SeededRandom {
    /// Uniform in [-1, 1).
    mutating func float() -> Float { Float(next() >> 40) / Float(1 << 23) - 1 }
    mutating func floats(_ n: Int, scale: Float = 1) -> [Float] { (0..<n).map { _ in float() * scale } }
}

/// The tiny Llama the PEFT fixtures were made for (see scripts/reference/peft_fixture.py).
let tinyModel = LoRAModelShape(layerCount: 2, hiddenSize: 16, intermediateSize: 24, attentionHeadCount: 4, keyValueHeadCount: 2)

/// An adapter for `model` with seeded values in every factor.
func randomAdapter(_ config: LoRAAdapterConfig, model: LoRAModelShape = tinyModel, seed: UInt64 = 1,
                   provenance: AdapterProvenance? = nil) -> LoRAAdapter
{
    var rng = SeededRandom(seed: seed)
    var adapter = LoRAAdapter.zeros(config: config, model: model, provenance: provenance)
    for slot in adapter.slots {
        var f = adapter.factors[slot]!
        f.a = rng.floats(f.a.count, scale: 0.5)
        f.b = rng.floats(f.b.count, scale: 0.1)
        if f.magnitude != nil { f.magnitude = rng.floats(f.outFeatures, scale: 0.2).map { $0 + 1 } }
        adapter.factors[slot] = f
    }
    return adapter
}

/// A safetensors file assembled by hand: header text and raw data bytes.
func rawSafetensors(header: String, data: [UInt8] = [], declaredLength: UInt64? = nil) -> [UInt8] {
    let json = Array(header.utf8)
    var out: [UInt8] = []
    withUnsafeBytes(of: (declaredLength ?? UInt64(json.count)).littleEndian) { out.append(contentsOf: $0) }
    return out + json + data
}

let provenanceExample = AdapterProvenance(
    coreHash: String(repeating: "0123456789abcdef", count: 4), swarmtuneVersion: "0.1.0", seed: 42,
    extra: ["node": "node-3", "round": "17"])
