import Report
import Testing

@Suite("Figures: numbers rounded to what they mean")
struct FiguresTests {
    @Test("exact match prints as a percentage with one decimal")
    func percent() {
        #expect(Figures.percent(0.625) == "62.5%")
        #expect(Figures.percent(1.0 / 3) == "33.3%")
        #expect(Figures.percent(1) == "100.0%")
        #expect(Figures.percent(0) == "0.0%")
    }

    @Test("distances print with three significant digits, small ones in e notation")
    func significant() {
        #expect(Figures.significant(0.0012345678901234567) == "0.00123")
        #expect(Figures.significant(0.00012345) == "1.23e-4")
        #expect(Figures.significant(1.5e-7) == "1.5e-7")
        #expect(Figures.significant(3.14159) == "3.14")
        #expect(Figures.significant(271.828) == "272")
        #expect(Figures.significant(1_234_567) == "1.23e6")
        #expect(Figures.significant(-0.0456789) == "-0.0457")
        #expect(Figures.significant(0) == "0")
        #expect(Figures.significant(9.9996e-5) == "1e-4")
    }

    @Test("bytes print in binary units with three significant digits")
    func bytes() {
        #expect(Figures.bytes(512) == "512 B")
        #expect(Figures.bytes(1536) == "1.5 KiB")
        #expect(Figures.bytes(2_359_296) == "2.25 MiB")
        #expect(Figures.bytes(3 * 1_073_741_824) == "3 GiB")
        #expect(Figures.bytes(0) == "0 B")
    }

    @Test("missing, NaN and infinite values print as a dash, never nan or inf")
    func missing() {
        for v in [nil, Double.nan, Double.infinity, -Double.infinity] as [Double?] {
            #expect(Figures.percent(v) == Figures.missing)
            #expect(Figures.significant(v) == Figures.missing)
            #expect(Figures.bytes(v) == Figures.missing)
            #expect(Figures.duration(v) == Figures.missing)
        }
    }

    @Test("tick labels carry as many decimals as the step and no more")
    func tickLabels() {
        #expect(Figures.tick(0.30000000000000004, step: 0.1) == "0.3")
        #expect(Figures.tick(2.5, step: 0.5) == "2.5")
        #expect(Figures.tick(40, step: 20) == "40")
        #expect(Figures.tick(0.02, step: 0.02) == "0.02")
        #expect(Figures.tick(0, step: 0.25) == "0")
    }

    @Test("powers of ten label as 1e-3, 1e-2, 0.1 as 1e-1, 1, 10, 1e2")
    func powers() {
        #expect((-3...2).map(Figures.powerOfTen) == ["1e-3", "1e-2", "1e-1", "1", "10", "1e2"])
    }

    @Test("durations print in ms, s or minutes and seconds")
    func durations() {
        #expect(Figures.duration(0.85) == "850 ms")
        #expect(Figures.duration(12.34) == "12.3 s")
        #expect(Figures.duration(245) == "4 min 05 s")
    }

    /// A summary.json's seconds are the file's: a number past Int's range trapped in Int(_:).
    @Test("a duration too long for minutes and seconds prints in seconds instead of trapping")
    func hugeDuration() {
        #expect(Figures.duration(1e300) == "1e300 s")
        #expect(Figures.duration(9.3e18) == "9.3e18 s")
    }
}
