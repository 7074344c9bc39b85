import SwarmBase
import Testing
@testable import Adapters

/// Malformed files must be refused with the specific error, never crash.
@Suite struct SafetensorsAdversarialTests {
    private func parse(_ bytes: [UInt8], limits: SafetensorsLimits = SafetensorsLimits()) -> Result<SafetensorsFile, SafetensorsError> {
        do { return .success(try SafetensorsFile(bytes: bytes, path: "bad.safetensors", limits: limits)) }
        catch { return .failure(error) }
    }

    private func failure(_ bytes: [UInt8], limits: SafetensorsLimits = SafetensorsLimits()) -> SafetensorsError? {
        if case .failure(let e) = parse(bytes, limits: limits) { return e }
        return nil
    }

    private let four = [UInt8](repeating: 0, count: 4)

    @Test func shortFilesAreTruncated() {
        for n in 0..<8 {
            #expect(failure([UInt8](repeating: 0, count: n)) == .truncated(path: "bad.safetensors", size: n))
        }
    }

    @Test func headerLengthBeyondTheFileOrTheLimitIsRefused() {
        let header = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#
        let beyond = rawSafetensors(header: header, data: four, declaredLength: 1 << 40)
        guard case .headerLengthInvalid(_, let length, let size, _) = failure(beyond) else { Issue.record("accepted"); return }
        #expect(length == 1 << 40 && size == beyond.count)
        #expect(failure(rawSafetensors(header: header, data: four, declaredLength: UInt64.max)) != nil)
        let ok = rawSafetensors(header: header, data: four)
        if case .failure(let e) = parse(ok) { Issue.record("valid file refused: \(e)") }
        guard case .headerLengthInvalid = failure(ok, limits: SafetensorsLimits(maxHeaderBytes: 16)) else { Issue.record("limit ignored"); return }
    }

    @Test func invalidJSONAndNonObjectHeadersAreRefused() {
        for header in [#"{"a": "#, "[1,2]", "  {}", "{}}", #"{"a" 1}"#, "\u{0}\u{0}", "{\"a\":\"\\ud800\"}"] {
            guard case .invalidJSON(let path, _) = failure(rawSafetensors(header: header)) else {
                Issue.record("accepted header \(header)"); continue
            }
            #expect(path == "bad.safetensors")
        }
        let deep = "{\"a\":" + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "}"
        #expect(failure(rawSafetensors(header: deep)) != nil)
    }

    @Test func unknownDTypeIsNamed() {
        let bytes = rawSafetensors(header: #"{"w":{"dtype":"F31","shape":[1],"data_offsets":[0,4]}}"#, data: four)
        #expect(failure(bytes) == .unknownDType(path: "bad.safetensors", tensor: "w", dtype: "F31"))
    }

    @Test func wrongFieldTypesAreRefusedWithTheFieldName() {
        let cases: [(String, String)] = [
            (#"{"w":{"shape":[1],"data_offsets":[0,4]}}"#, "dtype"),
            (#"{"w":{"dtype":4,"shape":[1],"data_offsets":[0,4]}}"#, "dtype"),
            (#"{"w":{"dtype":"F32","data_offsets":[0,4]}}"#, "shape"),
            (#"{"w":{"dtype":"F32","shape":"1","data_offsets":[0,4]}}"#, "shape"),
            (#"{"w":{"dtype":"F32","shape":[true],"data_offsets":[0,4]}}"#, "shape"),
            (#"{"w":{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}}"#, "shape"),
            (#"{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, "shape"),
            (#"{"w":{"dtype":"F32","shape":[1]}}"#, "data_offsets"),
            (#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0]}}"#, "data_offsets"),
            (#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}"#, "data_offsets"),
            (#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,"4"]}}"#, "data_offsets"),
            (#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}"#, "data_offsets"),
            (#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,18446744073709551615]}}"#, "data_offsets"),
            (#"{"w":[1,2]}"#, "(entry)"),
            (#"{"__metadata__":{"k":1},"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, "k"),
            (#"{"__metadata__":["k"],"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, "__metadata__"),
        ]
        for (header, field) in cases {
            guard case .invalidField(_, _, let f, _) = failure(rawSafetensors(header: header, data: four)) else {
                Issue.record("not an invalid-field error: \(header) -> \(String(describing: failure(rawSafetensors(header: header, data: four))))")
                continue
            }
            #expect(f == field, "\(header)")
        }
    }

    @Test func shapeThatDisagreesWithTheByteRangeIsRefused() {
        let bytes = rawSafetensors(header: #"{"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]}}"#, data: [UInt8](repeating: 0, count: 20))
        #expect(failure(bytes) == .shapeMismatch(path: "bad.safetensors", tensor: "w", shape: [2, 3], dtype: "F32", expectedBytes: 24, actualBytes: 20))
        let huge = rawSafetensors(header: #"{"w":{"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,4]}}"#, data: four)
        guard case .shapeMismatch = failure(huge) else { Issue.record("overflowing shape accepted"); return }
    }

    @Test func offsetsOutsideTheBufferAreRefused() {
        let past = rawSafetensors(header: #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, data: four)
        #expect(failure(past) == .offsetOutOfRange(path: "bad.safetensors", tensor: "w", begin: 0, end: 8, bufferSize: 4))
        let reversed = rawSafetensors(header: #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}"#, data: four)
        #expect(failure(reversed) == .offsetOutOfRange(path: "bad.safetensors", tensor: "w", begin: 4, end: 0, bufferSize: 4))
    }

    @Test func overlappingGappedAndTrailingLayoutsAreRefused() {
        let eight = [UInt8](repeating: 0, count: 8)
        let overlap = rawSafetensors(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: eight)
        #expect(failure(overlap) == .overlappingTensors(path: "bad.safetensors", first: "a", second: "b"))
        let same = rawSafetensors(header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: four)
        guard case .overlappingTensors = failure(same) else { Issue.record("aliased tensors accepted"); return }
        let gap = rawSafetensors(header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: eight)
        guard case .nonContiguous = failure(gap) else { Issue.record("leading gap accepted"); return }
        let middle = rawSafetensors(header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"U8","shape":[2],"data_offsets":[6,8]}}"#, data: eight)
        guard case .nonContiguous = failure(middle) else { Issue.record("middle gap accepted"); return }
        let trailing = rawSafetensors(header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: eight)
        guard case .nonContiguous = failure(trailing) else { Issue.record("trailing bytes accepted"); return }
        let noTensors = rawSafetensors(header: "{}", data: [1])
        guard case .nonContiguous = failure(noTensors) else { Issue.record("bytes without tensors accepted"); return }
    }

    @Test func duplicateNamesAreRefusedEvenThoughJSONCollapsesThem() {
        let header = #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#
        #expect(failure(rawSafetensors(header: header, data: four)) == .duplicateName(path: "bad.safetensors", tensor: "w"))
        // The same name spelled with an escape is still the same name.
        let escaped = #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"\u0077":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#
        #expect(failure(rawSafetensors(header: escaped, data: four)) == .duplicateName(path: "bad.safetensors", tensor: "w"))
        // Nested keys named like tensors are not duplicates.
        let nested = #"{"__metadata__":{"w":"x"},"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#
        if case .failure(let e) = parse(rawSafetensors(header: nested, data: four)) { Issue.record("refused: \(e)") }
    }

    @Test func nonFloatDTypesParseButRefuseFloatConversion() throws {
        let bytes = rawSafetensors(header: #"{"ids":{"dtype":"I32","shape":[1],"data_offsets":[0,4]}}"#, data: four)
        let file = try SafetensorsFile(bytes: bytes, path: "x")
        #expect(throws: SafetensorsError.unsupportedConversion(path: "x", tensor: "ids", dtype: "I32")) { try file.floats("ids") }
        #expect(throws: SafetensorsError.missingTensor(path: "x", tensor: "nope")) { try file.floats("nope") }
    }

    @Test func everyTruncationAndRandomCorruptionIsHandledWithoutCrashing() throws {
        var writer = SafetensorsWriter(metadata: ["format": "pt"])
        var rng = SeededRandom(seed: 11)
        try writer.add("a", shape: [3, 4], values: rng.floats(12))
        try writer.add("b", shape: [5], values: rng.floats(5), dtype: .bf16)
        try writer.add("c", shape: [2], values: rng.floats(2), dtype: .f16)
        let valid = writer.serialize()
        for n in 0..<valid.count {
            #expect(failure(Array(valid[..<n])) != nil, "prefix of \(n) bytes accepted")
        }
        for _ in 0..<2000 {
            var bytes = valid
            for _ in 0..<(1 + rng.below(4)) { bytes[rng.below(bytes.count)] = UInt8(truncatingIfNeeded: rng.next()) }
            if case .success(let file) = parse(bytes) {
                for info in file.tensors where info.dtype.convertsToFloat {
                    #expect(try file.floats(of: info).count == info.elementCount)
                }
            }
        }
    }

    @Test func errorMessagesNameTheFileAndTheProblem() {
        let e = SafetensorsError.shapeMismatch(path: "/x/a.safetensors", tensor: "w", shape: [2], dtype: "F32", expectedBytes: 8, actualBytes: 4)
        #expect(e.description.contains("/x/a.safetensors") && e.description.contains("'w'") && e.description.contains("8 bytes"))
    }
}
