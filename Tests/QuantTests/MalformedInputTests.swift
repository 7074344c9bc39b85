import Testing
@testable import Quant

@Suite struct MalformedInputTests {
    @Test(arguments: GGMLType.allCases)
    func wrongByteCountIsATypedError(type: GGMLType) throws {
        let elements = type == .nf4 ? 64 * 4 : 2 * max(type.blockSize, 32)
        let good = try #require(type.byteCount(elements: elements))
        for count in [0, good - 1, good + 1] where count >= 0 {
            do {
                _ = try Dequantize.row(type, [UInt8](repeating: 0, count: count), elements: elements)
                Issue.record("\(type): \(count) bytes accepted")
            } catch {
                guard case let .byteCountMismatch(errorType, errorElements, expected, actual) = error else {
                    Issue.record("\(type): unexpected \(error)")
                    continue
                }
                #expect(errorType == type && errorElements == elements && expected == good && actual == count)
            }
        }
    }

    @Test(arguments: blockTypes)
    func partialBlockIsATypedError(type: GGMLType) {
        let elements = type.blockSize + 1
        do {
            _ = try Dequantize.row(type, [UInt8](repeating: 0, count: 64), elements: elements)
            Issue.record("partial block accepted")
        } catch {
            guard case .partialBlock(type, elements) = error else { Issue.record("unexpected \(error)"); return }
        }
        do {
            _ = try Quantize.row(type, [Float](repeating: 0, count: elements))
            Issue.record("partial block accepted")
        } catch {
            guard case .partialBlock(type, elements) = error else { Issue.record("unexpected \(error)"); return }
        }
    }

    @Test func destinationOfWrongSizeIsATypedError() {
        var out = [UInt8](repeating: 0, count: 35)
        let values = [Float](repeating: 1, count: 32)
        out.withUnsafeMutableBytes { dst in
            values.withUnsafeBufferPointer { src in
                _ = #expect(throws: QuantError.self) { try Quantize.row(.q8_0, from: src, into: dst) }
            }
        }
    }

    @Test(arguments: blockTypes.filter { $0 != .nf4 })
    func nonFiniteInputNamesTheElement(type: GGMLType) {
        for bad in [Float.nan, .infinity, -.infinity] {
            var values = [Float](repeating: 0.5, count: 512)
            values[300] = bad
            do {
                _ = try Quantize.row(type, values)
                Issue.record("\(type) accepted \(bad)")
            } catch {
                guard case .nonFiniteValue(type, 300, _) = error else { Issue.record("unexpected \(error)"); return }
                #expect(error.description.contains("300"))
            }
        }
    }

    /// Values whose scale cannot be stored in fp16 are refused, not silently turned into infinity.
    @Test(arguments: blockTypes.filter { $0 != .nf4 })
    func hugeValuesAreATypedError(type: GGMLType) {
        var values = [Float](repeating: 0.5, count: 512)
        values[260] = 3e9
        do {
            _ = try Quantize.row(type, values)
            Issue.record("\(type) accepted 3e9")
        } catch {
            let expectedBlock = 260 / type.blockSize
            guard case .blockOutOfRange(type, expectedBlock, _) = error else { Issue.record("unexpected \(error)"); return }
        }
    }

    @Test func plainFloatFormatsCarryNonFiniteValues() throws {
        let values: [Float] = [.nan, .infinity, -.infinity, 1e30]
        #expect(try Dequantize.row(.f16, Quantize.row(.f16, values), elements: 4).dropFirst() == [.infinity, -.infinity, .infinity])
        #expect(try Dequantize.row(.bf16, Quantize.row(.bf16, values), elements: 4)[0].isNaN)
    }

    @Test func statsRejectLengthMismatch() {
        let a: [Float] = [1, 2], b: [Float] = [1]
        a.withUnsafeBufferPointer { x in
            b.withUnsafeBufferPointer { y in
                _ = #expect(throws: QuantError.self) { try QuantizationErrorStats(original: x, reconstructed: y) }
            }
        }
    }
}
