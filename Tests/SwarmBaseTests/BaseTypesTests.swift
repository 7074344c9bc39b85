import Testing
import SwarmBase
#if canImport(Glibc)
import Glibc
#endif

@Suite("Base types")
struct BaseTypesTests {
    @Test("a digest round-trips through hex and refuses other lengths")
    func digestHex() {
        let d = Digest32(unchecked: (0..<32).map { UInt8($0 * 7 & 0xFF) })
        #expect(Digest32(hex: d.hex) == d)
        #expect(Digest32(hex: d.hex.uppercased()) == d)
        #expect(Digest32(hex: String(d.hex.dropLast(2))) == nil)
        #expect(Digest32(hex: String(repeating: "g", count: 64)) == nil)
        #expect(NodeID(hex: d.hex)?.short == String(d.hex.prefix(12)))
    }

    @Test("the seeded generator repeats for a seed and streams differ")
    func seededRandomRepeats() {
        var a = SeededRandom(seed: 42), b = SeededRandom(seed: 42)
        #expect((0..<16).map { _ in a.next() } == (0..<16).map { _ in b.next() })
        var s0 = SeededRandom.derived(seed: 1, stream: 0), s1 = SeededRandom.derived(seed: 1, stream: 1)
        #expect(s0.next() != s1.next())
        var r = SeededRandom(seed: 3)
        var counts = [Int](repeating: 0, count: 3)
        for _ in 0..<3000 { counts[r.below(3)] += 1 }
        #expect(counts.allSatisfy { $0 > 900 && $0 < 1100 })
        var items = Array(0..<10)
        r.shuffle(&items)
        #expect(items.sorted() == Array(0..<10))
    }

    @Test("durations convert to nanoseconds, clamped at zero")
    func durationNanoseconds() {
        #expect(Duration.milliseconds(1500).nanoseconds == 1_500_000_000)
        #expect(Duration.seconds(-3).nanoseconds == 0)
        #expect(Deadline(after: .seconds(1), from: .max - 5) == .never)
        let d = Deadline(after: .milliseconds(10), from: 100)
        #expect(!d.hasPassed(at: 100) && d.hasPassed(at: 10_000_100))
        #expect(d.remaining(at: 5_000_100) == 5_000_000)
    }

    @Test("a manual clock moves only when advanced")
    func manualClock() {
        let clock = ManualClock()
        #expect(clock.now() == 0)
        clock.advance(by: .seconds(2))
        #expect(clock.now() == 2_000_000_000)
        clock.advance(to: 1)
        #expect(clock.now() == 2_000_000_000)
    }

    @Test("an atomic write replaces the whole file and leaves no temporary behind")
    func atomicWrite() throws {
        let dir = try temporaryDirectory()
        let path = FileIO.join(dir, "state.json")
        try FileIO.writeAtomically(Array("old".utf8), to: path)
        try FileIO.writeAtomically(Array("new contents".utf8), to: path)
        #expect(try FileIO.readAll(path, limit: 100) == Array("new contents".utf8))
        #expect(try FileIO.entries(of: dir) == ["state.json"])
        #expect(try FileIO.readIfPresent(FileIO.join(dir, "missing"), limit: 10) == nil)
        #expect(throws: FileError.self) { try FileIO.readAll(path, limit: 3) }
    }

    @Test("makeDirectories creates every missing parent and refuses a file in the way")
    func makeDirectories() throws {
        let dir = try temporaryDirectory()
        let deep = FileIO.join(dir, "a/b/c")
        try FileIO.makeDirectories(deep)
        #expect(FileIO.kind(of: deep) == .directory)
        try FileIO.makeDirectories(deep)
        try FileIO.writeAtomically([1], to: FileIO.join(dir, "f"))
        #expect(throws: FileError.self) { try FileIO.makeDirectories(FileIO.join(dir, "f/g")) }
    }

    @Test("exclusive creation refuses to replace an existing file")
    func exclusiveCreate() throws {
        let dir = try temporaryDirectory()
        let path = FileIO.join(dir, "key.pem")
        try FileIO.writeDurably([1, 2], to: path, mode: 0o600, exclusive: true)
        do {
            try FileIO.writeDurably([3], to: path, mode: 0o600, exclusive: true)
            Issue.record("expected a refusal")
        } catch {
            #expect(error.errno == .fileExists)
        }
        #expect(try FileIO.readAll(path, limit: 10) == [1, 2])
        var info = stat()
        stat(path, &info)
        #expect(info.st_mode & 0o777 == 0o600)
    }

    @Test("a latch releases every waiter, before and after it opens")
    func latchReleases() {
        let latch = Latch()
        #expect(!latch.isOpen)
        latch.open()
        latch.wait()
        #expect(latch.isOpen)
    }

    private func temporaryDirectory() throws -> String {
        var template = Array("/tmp/swarmbase-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        try #require(made != nil)
        return String(cString: template.withUnsafeBufferPointer { $0.baseAddress! })
    }
}
