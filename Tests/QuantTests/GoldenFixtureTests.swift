import Testing
@testable import Quant

/// Our codecs against gguf-py's (scripts/reference/quant_fixtures.py). Decoding is compared bit
/// for bit: every format's decode is one or two float32 operations in the same order as ggml
/// (e.g. Q4_K is `(d * sc) * q - (dmin * m)`), and Swift does not contract them into FMAs, so the
/// results are exactly reproducible. Only NaN payloads are exempt (any NaN matches any NaN).
@Suite struct GoldenFixtureTests {
    let fixture: GoldenFixture

    init() throws {
        fixture = try GoldenFixture.load()
    }

    @Test func fixtureCoversEveryGGMLType() {
        let decoded = Set(fixture.dequantize.compactMap { GGMLType(ggufName: $0.type) })
        #expect(decoded == Set(ggmlTypes))
        let encoded = Set(fixture.quantize.compactMap { GGMLType(ggufName: $0.type) })
        #expect(encoded == [.f16, .bf16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0])
    }

    /// Every type's decoded fixture blocks (seeded random blocks plus edge scales and bit patterns),
    /// one test case per type.
    @Test(arguments: ggmlTypes)
    func dequantizeMatchesGGUFPyBitForBit(type: GGMLType) throws {
        let cases = fixture.dequantize.filter { $0.type == type.description }
        #expect(!cases.isEmpty, "no \(type) blocks in the fixture")
        for testCase in cases {
            let decoded = try Dequantize.row(type, hexBytes(testCase.bytes), elements: testCase.elements)
            let mismatch = firstMismatch(decoded, hexFloats(testCase.expected))
            #expect(mismatch == nil, "\(testCase.type) \(testCase.name): \(mismatch ?? "")")
        }
    }

    /// Q4_0, Q4_1, Q5_0, Q5_1 and Q8_0 follow ggml's reference quantizers, so the bytes must match exactly;
    /// F16 and BF16 must round exactly like numpy / ggml (NaN payloads aside).
    @Test func quantizeMatchesGGUFPy() throws {
        for testCase in fixture.quantize {
            let type = try #require(GGMLType(ggufName: testCase.type))
            let input = hexFloats(testCase.input)
            let expected = hexBytes(testCase.expected)
            let encoded = try Quantize.row(type, input)
            if type == .f16 || type == .bf16 {
                let ours = try Dequantize.row(type, encoded, elements: input.count)
                let theirs = try Dequantize.row(type, expected, elements: input.count)
                let mismatch = firstMismatch(ours, theirs)
                #expect(mismatch == nil, "\(testCase.type) \(testCase.name): \(mismatch ?? "")")
            } else {
                let firstDifference = zip(encoded, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset
                #expect(encoded.count == expected.count)
                #expect(firstDifference == nil, "\(testCase.type) \(testCase.name): first differing byte \(firstDifference ?? -1)")
            }
        }
    }

    /// The hard-coded levels are the QLoRA paper's, which were computed from normal quantiles in
    /// float32; the fixture rebuilds them in float64, so they agree to about 1e-7.
    @Test func nf4CodebookMatchesQLoRAConstruction() {
        let rebuilt = fixture.nf4_levels_from_construction
        #expect(rebuilt.count == NF4.codebook.count)
        for (ours, reference) in zip(NF4.codebook, rebuilt) {
            #expect(abs(Double(ours) - reference) < 2e-7, "level \(ours) vs construction \(reference)")
        }
    }
}
