#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Report
import SwarmBase
import Testing

/// Mounting a small tmpfs needs root and permission to mount.
private let tmpfsMountable: Bool = {
    guard getuid() == 0 else { return false }
    let probe = ReportWriteTests.scratch("probe")
    defer { try? FileManager.default.removeItem(atPath: probe) }
    guard mount("tmpfs", probe, "tmpfs", 0, "size=64k") == 0 else { return false }
    return umount(probe) == 0
}()

@Suite("report.html: writing")
struct ReportWriteTests {
    static func scratch(_ name: String) -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("report-\(name)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test("write puts exactly the rendered page in the file")
    func writes() throws {
        let dir = Self.scratch("write")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = FileIO.join(dir, "report.html"), s = SyntheticRun.summary(nodes: 3, rounds: 4)
        try ReportHTML.write(summary: s, timing: SyntheticRun.timing, to: path)
        #expect(try FileIO.readAll(path, limit: 1 << 26) == Array(ReportHTML.render(summary: s, timing: SyntheticRun.timing).utf8))
    }

    @Test("a missing directory fails naming the report's path, and leaves no file")
    func missingDirectory() throws {
        let dir = Self.scratch("missing")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = FileIO.join(dir, "no/such/dir/report.html")
        do {
            try ReportHTML.write(summary: SyntheticRun.summary(nodes: 2, rounds: 2), to: path)
            Issue.record("wrote into a missing directory")
        } catch {
            #expect(error.path == path && error.description.contains(path))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
    }

    @Test("a full disk fails saying so, keeps the previous report intact and leaves no partial file",
          .enabled(if: tmpfsMountable, "skipped: mounting a 64 KB tmpfs needs root and permission to mount"))
    func fullDisk() throws {
        let mountPoint = Self.scratch("full")
        defer { try? FileManager.default.removeItem(atPath: mountPoint) }
        try #require(mount("tmpfs", mountPoint, "tmpfs", 0, "size=64k") == 0, "mount: \(Errno.current)")
        defer { if umount(mountPoint) != 0 { umount2(mountPoint, Int32(MNT_DETACH)) } }
        let path = FileIO.join(mountPoint, "report.html")
        let small = SyntheticRun.summary(nodes: 1, rounds: 1)
        try ReportHTML.write(summary: small, to: path)
        let big = SyntheticRun.summary(nodes: 16, rounds: 200)
        #expect(ReportHTML.render(summary: big).utf8.count > 64 * 1024, "the big report must not fit")
        do {
            try ReportHTML.write(summary: big, to: path)
            Issue.record("a report larger than the disk was written")
        } catch {
            #expect(error.file.errno == .noSpace)
            #expect(error.description.contains("the disk is full") && error.description.contains(path))
        }
        #expect(try FileIO.readAll(path, limit: 1 << 20) == Array(ReportHTML.render(summary: small).utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: mountPoint) == ["report.html"])
    }
}
