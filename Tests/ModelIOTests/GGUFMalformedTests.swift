import SwarmBase
import Testing
import Quant
import TestSupport
@testable import ModelIO

/// Adversarial inputs: every malformed file must give a typed error, never a crash or a hang.
@Suite struct GGUFMalformedTests {
    static func sample() throws -> [UInt8] { try GGUFRoundTripTests.sampleWriter().serialize() }

    static func parse(_ b: [UInt8]) throws(GGUFError) -> GGUFFile {
        let result: Result<GGUFFile, GGUFError> = b.withUnsafeBytes { raw in
            do throws(GGUFError) { return .success(try GGUFFile.parse(raw)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    @Test func badMagicAndVersionAreNamed() throws {
        var b = try Self.sample()
        b[0] = 0x47; b[1] = 0x47; b[2] = 0x4D; b[3] = 0x4C
        #expect(throws: GGUFError.badMagic(found: 0x4C4D_4747)) { try Self.parse(b) }
        b = try Self.sample()
        b[4] = 9
        #expect(throws: GGUFError.unsupportedVersion(9)) { try Self.parse(b) }
    }

    @Test func everyTruncationIsATypedError() throws {
        let b = try Self.sample()
        let file = try Self.parse(b)
        let end = file.tensors.map { file.dataOffset + $0.offset + $0.byteCount }.max()!
        // Only trailing alignment padding may go; every prefix shorter than the last tensor's end is invalid.
        for n in 0..<end {
            do {
                _ = try Self.parse(Array(b[0..<n]))
                Issue.record("a file truncated to \(n) of \(b.count) bytes parsed")
            } catch {
                #expect(!error.description.isEmpty)
            }
        }
    }

    @Test func absurdCountsAreRefusedBeforeAllocating() throws {
        var b = try Self.sample()
        // tensor count at byte 8, metadata count at byte 16
        for (i, v) in withUnsafeBytes(of: UInt64.max.littleEndian, Array.init).enumerated() { b[16 + i] = v }
        guard case .tooLarge(field: "metadata count", offset: 16, _, _)? = Self.error(b) else {
            Issue.record("expected tooLarge metadata count, got \(String(describing: Self.error(b)))"); return
        }
        b = try Self.sample()
        for (i, v) in withUnsafeBytes(of: (UInt64(1) << 62).littleEndian, Array.init).enumerated() { b[8 + i] = v }
        guard case .tooLarge(field: "tensor count", offset: 8, _, _)? = Self.error(b) else {
            Issue.record("expected tooLarge tensor count, got \(String(describing: Self.error(b)))"); return
        }
    }

    @Test func tensorOffsetsOutsideTheFileAreRefused() throws {
        var w = GGUFWriter()
        try w.addTensor(name: "t", shape: [8], floats: [Float](repeating: 1, count: 8))
        var b = w.serialize()
        // Drop the last 4 data bytes: the tensor then runs past the end.
        b.removeLast(4)
        guard case .badTensorOffset(tensor: "t", _, _)? = Self.error(b) else {
            Issue.record("expected badTensorOffset, got \(String(describing: Self.error(b)))"); return
        }
    }

    @Test func unknownTensorTypeIsNamed() throws {
        var w = GGUFWriter()
        try w.addTensor(name: "t", shape: [8], floats: [Float](repeating: 1, count: 8))
        var b = w.serialize()
        // header 24 bytes, no metadata; tensor entry: name (8+1), n_dims 4, dim 8, then the type.
        let typeAt = 24 + 9 + 4 + 8
        b[typeAt] = 77
        #expect(Self.error(b) == .unknownTensorType(tensor: "t", offset: typeAt, type: 77))
    }

    /// Deterministic mutation fuzzing: byte flips, splices, length-field corruption and
    /// truncation over valid files. Each mutant must either parse or throw a GGUFError.
    @Test func survivesAHundredThousandMutants() throws {
        let seeds = [try Self.sample(), Self.smallSample()]
        var rng = SeededRandom(seed: 0x5157_4152_4d54)
        var parsed = 0, refused = 0
        for i in 0..<100_000 {
            var b = seeds[i % seeds.count]
            let kind = rng.next() % 5
            let edits = 1 + Int(rng.next() % 4)
            for _ in 0..<edits {
                let at = Int(rng.next() % UInt64(b.count))
                switch kind {
                case 0: b[at] ^= UInt8(truncatingIfNeeded: 1 << (rng.next() % 8))
                case 1: b[at] = UInt8(truncatingIfNeeded: rng.next())
                case 2:  // write a large little-endian integer over a field
                    let v: UInt64 = [0xFFFF_FFFF, 0xFFFF_FFFF_FFFF_FFFF, 1 << 31, 1 << 40, 0][Int(rng.next() % 5)]
                    for k in 0..<8 where at + k < b.count { b[at + k] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(k))) }
                case 3: b = Array(b[0..<at])
                default:
                    let len = Int(rng.next() % 16)
                    b.insert(contentsOf: (0..<len).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, at: at)
                }
                if b.isEmpty { break }
            }
            do { _ = try Self.parse(b); parsed += 1 } catch { refused += 1 }
        }
        #expect(parsed + refused == 100_000)
        #expect(refused > 50_000)
    }

    static func smallSample() -> [UInt8] {
        var w = GGUFWriter()
        w.metadata.set("k", .array(.uint8, [.uint8(1), .uint8(2)]))
        try? w.addTensor(name: "t", shape: [2, 2], floats: [1, 2, 3, 4])
        return w.serialize()
    }

    static func error(_ b: [UInt8]) -> GGUFError? {
        do { _ = try parse(b); return nil } catch { return error }
    }
}

