import Foundation
import SwarmBase
import Testing
import TestSupport
@testable import Adapters

/// Writing an adapter onto a full disk (a 1 MB tmpfs): a clear error naming the directory, no
/// partial directory left behind, and an adapter being replaced left intact.
@Suite(.serialized, .enabled(if: SmallTmpfs.available, "skipped: mounting a tmpfs needs root and permission to mount"))
struct LoRAAdapterFullDiskTests {
    /// The real core's q,k,v,o at rank 8: about 3.5 MB of f32 factors, more than the disk holds.
    static let big = LoRAAdapter.zeros(config: LoRAAdapterConfig(rank: 8, alpha: 16, targets: [.q, .k, .v, .o]),
                                       model: .smolLM2_135M)

    @Test("an adapter larger than the free space fails naming its directory, and leaves nothing behind")
    func fullDiskLeavesNothing() throws {
        let disk = try SmallTmpfs(size: "1m")
        let target = FileIO.join(disk.path, "adapter")
        #expect {
            try Self.big.write(to: target)
        } throws: { error in
            guard case LoRAAdapterError.writeFailed(let path, let reason) = error else { return false }
            return path == target && reason.lowercased().contains("space")
        }
        #expect(try FileIO.entries(of: disk.path).isEmpty, "left: \((try? FileIO.entries(of: disk.path)) ?? [])")
    }

    @Test("replacing an adapter on a full disk keeps the old one, byte for byte")
    func fullDiskKeepsTheAdapterBeingReplaced() throws {
        let disk = try SmallTmpfs(size: "1m")
        let target = FileIO.join(disk.path, "adapter")
        let small = randomAdapter(LoRAAdapterConfig(rank: 2, alpha: 4, targets: [.q]))
        try small.write(to: target)
        let before = try FileIO.readAll(FileIO.join(target, "adapter_model.safetensors"), limit: 1 << 24)
        #expect(throws: LoRAAdapterError.self) { try Self.big.write(to: target, replacingExisting: true) }
        #expect(try FileIO.readAll(FileIO.join(target, "adapter_model.safetensors"), limit: 1 << 24) == before)
        #expect(try LoRAAdapter.read(directory: target, model: tinyModel) == small)
        #expect(try FileIO.entries(of: disk.path) == ["adapter"], "left: \((try? FileIO.entries(of: disk.path)) ?? [])")
    }
}
