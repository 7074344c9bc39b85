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
    /// truncation over valid files. Each mutant either parses into a directory whose every tensor
    /// lies inside the file and that writes back to the same metadata and tensors, or is refused
    /// with an error that locates the fault (a byte offset inside the file, or the key or tensor).
    @Test func everyMutantParsesInBoundsOrIsRefusedSayingWhere() throws {
        let seeds = [try Self.sample(), Self.smallSample()]
        var rng = SeededRandom(seed: 0x5157_4152_4d54)
        var parsed = 0, refused = 0
        for i in 0..<30_000 {
            let b = Self.mutate(seeds[i % seeds.count], &rng)
            do {
                let file = try Self.parse(b)
                parsed += 1
                for t in file.tensors {
                    let start = file.dataOffset + t.offset
                    #expect(start >= 0 && t.byteCount >= 0 && start + t.byteCount <= b.count, "mutant \(i): tensor \(t.name) runs outside the file")
                }
                // Written back and read again, it writes the same bytes (compared as bytes: a NaN
                // metadata value is not equal to itself).
                let written = try Self.rewrite(file, b)
                let again = try Self.parse(written)
                #expect(again.metadata.keys == file.metadata.keys && again.tensors.map(\.name) == file.tensors.map(\.name))
                #expect(try Self.rewrite(again, written) == written, "mutant \(i): the directory does not survive a rewrite")
            } catch {
                refused += 1
                #expect(Self.locates(error, in: b), "mutant \(i): \(error) does not say where")
            }
        }
        #expect(refused > 15_000 && parsed > 1_000, "parsed \(parsed), refused \(refused)")
    }

    /// The parsed file written out again with the same metadata, tensors and alignment.
    static func rewrite(_ file: GGUFFile, _ b: [UInt8]) throws(GGUFError) -> [UInt8] {
        var w = GGUFWriter(alignment: file.alignment)
        w.metadata = file.metadata
        for t in file.tensors {
            try w.addTensor(name: t.name, shape: t.shape, type: t.type,
                            data: Array(b[(file.dataOffset + t.offset)..<(file.dataOffset + t.offset + t.byteCount)]))
        }
        return w.serialize()
    }

    /// One to four random edits of `seed`.
    static func mutate(_ seed: [UInt8], _ rng: inout SeededRandom, within limit: Int? = nil) -> [UInt8] {
        var b = seed
        let kind = rng.next() % 5
        let edits = 1 + Int(rng.next() % 4)
        for _ in 0..<edits {
            let at = Int(rng.next() % UInt64(min(b.count, limit ?? b.count)))
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
        return b
    }

    /// Whether the error says where the fault is: an offset inside the file, or a named key or tensor.
    static func locates(_ error: GGUFError, in b: [UInt8]) -> Bool {
        let inFile = { (offset: Int) in offset >= 0 && offset <= b.count }
        switch error {
        case let .truncated(field, offset, needed, available):
            return !field.isEmpty && inFile(offset) && available == b.count - offset && needed > available
        case let .tooLarge(field, offset, value, limit): return !field.isEmpty && inFile(offset) && value > limit
        case let .invalidUTF8(field, offset), let .emptyName(field, offset): return !field.isEmpty && inFile(offset)
        case let .trailingBytes(offset, count): return inFile(offset) && count > 0
        case let .unknownValueType(key, offset, _): return !key.isEmpty && inFile(offset)
        case let .unknownTensorType(_, offset, _), let .badTensorShape(_, offset, _): return inFile(offset)
        case let .badTensorOffset(_, _, reason): return !reason.isEmpty
        case .duplicateKey, .duplicateTensor, .badAlignment: return !error.description.isEmpty
        case let .badMagic(found): return Array(b.prefix(4)) != Array("GGUF".utf8) && found == b.prefix(4).reversed().reduce(0) { $0 << 8 | UInt32($1) }
        case let .unsupportedVersion(v): return v != 2 && v != 3
        case .inFile, .cannotOpen, .missingKey, .wrongValueType, .missingTensor, .writeFailed: return false
        }
    }

    /// Hand-made corruptions, each refused with its own error.
    @Test func handMadeCorruptionsAreRefusedWithTheirError() throws {
        func file(_ build: (inout GGUFWriter) throws -> Void) throws -> [UInt8] {
            var w = GGUFWriter()
            try build(&w)
            return w.serialize()
        }
        // A negative or non-power-of-two alignment (a negative one used to trap converting it).
        #expect(Self.error(try file { $0.metadata.set("general.alignment", .int32(-8)) }) == .badAlignment("-8"))
        #expect(Self.error(try file { $0.metadata.set("general.alignment", .uint32(24)) }) == .badAlignment("24"))
        #expect(Self.error(try file { $0.metadata.set("general.alignment", .string("32")) }) == .badAlignment("a string"))
        // An empty key.
        #expect(Self.error(try file { $0.metadata.set("", .uint8(1)) }) == .emptyName(field: "metadata key", offset: 24))
        // A bool byte other than 0 or 1.
        var b = try file { $0.metadata.set("flag", .bool(true)) }
        let boolAt = 24 + 8 + 4 + 4  // header, key length, "flag", type
        b[boolAt] = 2
        #expect(Self.error(b) == .tooLarge(field: "bool flag", offset: boolAt, value: 2, limit: 1))
        // An unknown value type.
        b = try file { $0.metadata.set("k", .uint8(1)) }
        b[24 + 8 + 1] = 99
        #expect(Self.error(b) == .unknownValueType(key: "k", offset: 24 + 8 + 1, type: 99))
        // A repeated key: write "a" twice by renaming "b".
        b = try file { $0.metadata.set("a", .uint8(1)); $0.metadata.set("b", .uint8(2)) }
        b[24 + 8 + 1 + 4 + 1 + 8] = UInt8(ascii: "a")
        #expect(Self.error(b) == .duplicateKey("a"))
        // Five dimensions, and a tensor offset off the alignment.
        b = try file { try $0.addTensor(name: "t", shape: [8], floats: [Float](repeating: 1, count: 8)) }
        var five = b
        five[24 + 9] = 5
        #expect(Self.error(five) == .badTensorShape(tensor: "t", offset: 24, reason: "5 dimensions (1 to 4 allowed)"))
        var misaligned = b
        misaligned[24 + 9 + 4 + 8 + 4] = 4
        guard case .badTensorOffset(tensor: "t", offset: 4, _)? = Self.error(misaligned) else {
            Issue.record("expected badTensorOffset, got \(String(describing: Self.error(misaligned)))"); return
        }
        // An array claiming more elements than the file holds; arrays nested five deep.
        b = try file { $0.metadata.set("xs", .array(.uint32, [.uint32(1)])) }
        for k in 0..<8 { b[24 + 8 + 2 + 4 + 4 + k] = 0xFF }
        guard case .tooLarge(field: "element count of xs", _, _, _)? = Self.error(b) else {
            Issue.record("expected tooLarge element count, got \(String(describing: Self.error(b)))"); return
        }
        var nested: GGUFValue = .array(.uint8, [.uint8(1)])
        for _ in 0..<5 { nested = .array(.array, [nested]) }
        let deep = nested
        guard case .tooLarge(field: "array nesting of deep", _, _, _)? = Self.error(try file { $0.metadata.set("deep", deep) }) else {
            Issue.record("expected the nesting to be refused"); return
        }
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

