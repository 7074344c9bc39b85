import Foundation
import SwarmBase
import Testing

@Suite("Machine info")
struct MachineInfoTests {
    @Test("the CPU's model name is read from /proc/cpuinfo, a file whose size reads as 0")
    func cpuModelNameComesFromProcCpuinfo() throws {
        let text = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("model name") }, "this machine's /proc/cpuinfo names no model")
        let expected = line.split(separator: ":", maxSplits: 1)[1].trimmingCharacters(in: .whitespaces)
        #expect(MachineInfo.cpuModelName() == expected)
        #expect(MachineInfo.cpuDescription(isa: "avx2") == expected + ", avx2")
    }

    @Test("a file read until its end returns every byte and refuses more than the limit")
    func readUntilEndHonoursTheLimit() throws {
        let path = NSTemporaryDirectory() + "swarmtune-read-until-end-\(getpid())"
        defer { unlink(path) }
        let bytes = (0..<200_000).map { UInt8($0 % 251) }
        try FileIO.writeAtomically(bytes, to: path)
        #expect(try FileIO.readUntilEnd(path, limit: 200_000) == bytes)
        #expect(throws: FileError.self) { try FileIO.readUntilEnd(path, limit: 199_999) }
    }
}
