import SwarmBase
import Testing
@testable import Adapters

@Suite struct SafetensorsRoundTripTests {
    @Test func float32TensorsAndMetadataRoundTripExactly() throws {
        var rng = SeededRandom(seed: 7)
        var writer = SafetensorsWriter(metadata: ["format": "pt", "note": "héllo \"quoted\" / slash"])
        let a = rng.floats(6 * 5)
        let b = [Float.leastNonzeroMagnitude, -0.0, Float.greatestFiniteMagnitude, 1e-38, 3]
        try writer.add("layer.a", shape: [6, 5], values: a)
        try writer.add("b", shape: [5], values: b)
        try writer.add("scalar", shape: [], values: [2.5])
        try writer.add("empty", shape: [0, 3], values: [])
        let file = try SafetensorsFile(bytes: writer.serialize(), path: "mem")
        #expect(file.metadata == writer.metadata)
        #expect(file.tensors.map(\.name) == ["b", "empty", "layer.a", "scalar"])
        #expect(try file.floats("layer.a") == a)
        #expect(try file.floats("b").map(\.bitPattern) == b.map(\.bitPattern))
        #expect(try file.floats("scalar") == [2.5])
        #expect(try file.floats("empty") == [])
        #expect(file.tensor(named: "layer.a")?.shape == [6, 5])
        #expect(file.tensor(named: "scalar")?.shape == [])
    }

    @Test func serializationIsDeterministicAndAligned() throws {
        func build(_ order: [Int]) throws -> [UInt8] {
            var writer = SafetensorsWriter(metadata: ["k": "v"])
            for i in order { try writer.add("t\(i)", shape: [i + 1], values: (0...i).map(Float.init), dtype: i % 2 == 0 ? .f32 : .bf16) }
            return writer.serialize()
        }
        let forward = try build([0, 1, 2, 3, 4])
        #expect(forward == (try build([4, 2, 0, 3, 1])))
        var headerLength = 0
        for i in 0..<8 { headerLength |= Int(forward[i]) << (8 * i) }
        #expect(headerLength % 8 == 0)
        let file = try SafetensorsFile(bytes: forward, path: "mem")
        for info in file.tensors { #expect((8 + headerLength + info.dataRange.lowerBound) % info.dtype.size == 0) }
    }

    @Test func halfPrecisionValuesThatAreRepresentableRoundTripExactly() throws {
        // Values with few mantissa bits are exact in both F16 and BF16.
        let values: [Float] = [0, -0.0, 1, -2, 0.5, 0.375, 96, -1.0 / 64, .infinity, -.infinity]
        for dtype in [SafetensorsDType.f16, .bf16] {
            var writer = SafetensorsWriter()
            try writer.add("x", shape: [values.count], values: values, dtype: dtype)
            let file = try SafetensorsFile(bytes: writer.serialize(), path: "mem")
            #expect(file.tensor(named: "x")?.dtype == dtype)
            #expect(try file.floats("x").map(\.bitPattern) == values.map(\.bitPattern))
        }
    }

    @Test func halfPrecisionRoundsToNearestWithinHalfAnUlp() throws {
        var rng = SeededRandom(seed: 3)
        let values = rng.floats(1000, scale: 8)
        for (dtype, mantissaBits) in [(SafetensorsDType.f16, 10), (.bf16, 7)] {
            var writer = SafetensorsWriter()
            try writer.add("x", shape: [values.count], values: values, dtype: dtype)
            let back = try SafetensorsFile(bytes: writer.serialize(), path: "mem").floats("x")
            for (v, r) in zip(values, back) where abs(v) > 1e-3 {
                let ulp = Float(sign: .plus, exponent: v.exponent - mantissaBits, significand: 1)
                #expect(abs(v - r) <= ulp / 2, "\(dtype) \(v) -> \(r)")
            }
        }
    }

    @Test func bf16RoundsTiesToEvenAndKeepsNaN() {
        // 1 + 2^-8 is exactly between bf16 neighbours 1 and 1 + 2^-7: ties go to the even one (1).
        #expect(HalfConversion.bf16(from: 1 + 1.0 / 256) == HalfConversion.bf16(from: 1))
        // 1 + 3·2^-8 is between 1 + 2^-7 (odd) and 1 + 2^-6 (even): goes up.
        #expect(HalfConversion.float(fromBF16: HalfConversion.bf16(from: 1 + 3.0 / 256)) == 1 + 1.0 / 64)
        #expect(HalfConversion.float(fromBF16: HalfConversion.bf16(from: .nan)).isNaN)
        #expect(HalfConversion.float(fromBF16: HalfConversion.bf16(from: Float(bitPattern: 0x7F80_0001))).isNaN)
    }

    @Test func writerRefusesInconsistentTensors() {
        var writer = SafetensorsWriter()
        #expect(throws: SafetensorsError.self) { try writer.add("x", shape: [2, 3], values: [1, 2]) }
        #expect(throws: SafetensorsError.self) { try writer.add("x", shape: [1], values: [1], dtype: .i32) }
        #expect(throws: SafetensorsError.self) { try writer.add("__metadata__", shape: [1], values: [1]) }
        #expect(throws: SafetensorsError.self) { try writer.add("x", shape: [-1], values: []) }
        #expect(throws: Never.self) { try writer.add("x", shape: [1], values: [1]) }
        #expect(throws: SafetensorsError.self) { try writer.add("x", shape: [1], values: [1]) }
    }

    @Test func atomicWriteReplacesAndLeavesNoTemporaryFiles() throws {
        let dir = makeTemporaryDirectory()
        defer { removeTree(dir) }
        let path = dir + "/t.safetensors"
        for version in 1...2 {
            var writer = SafetensorsWriter()
            try writer.add("v", shape: [1], values: [Float(version)])
            try writer.write(to: path)
            #expect(try SafetensorsFile.read(path: path).floats("v") == [Float(version)])
        }
        #expect(listDirectory(dir) == ["t.safetensors"])
        #expect(throws: SafetensorsError.self) { try SafetensorsWriter().write(to: dir + "/missing/x.safetensors") }
    }

    @Test func readerRefusesFilesOverTheSizeLimitBeforeReadingThem() throws {
        let dir = makeTemporaryDirectory()
        defer { removeTree(dir) }
        var writer = SafetensorsWriter()
        try writer.add("v", shape: [64], values: [Float](repeating: 1, count: 64))
        try writer.write(to: dir + "/t.safetensors")
        #expect(throws: SafetensorsError.fileTooLarge(path: dir + "/t.safetensors", size: writer.serialize().count, limit: 100)) {
            try SafetensorsFile.read(path: dir + "/t.safetensors", limits: SafetensorsLimits(maxFileBytes: 100))
        }
        #expect(throws: SafetensorsError.self) { try SafetensorsFile.read(path: dir + "/absent.safetensors") }
        #expect(throws: SafetensorsError.self) { try SafetensorsFile.read(path: dir) }
    }
}
