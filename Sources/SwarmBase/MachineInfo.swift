/// Facts about the machine a run is measured on, for reports and benchmarks.
public enum MachineInfo {
    /// The CPU's model name from /proc/cpuinfo ("AMD EPYC 7B13"), nil when it cannot be read.
    public static func cpuModelName() -> String? {
        guard let bytes = try? FileIO.readUntilEnd("/proc/cpuinfo", limit: 8 << 20) else { return nil }
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") where line.hasPrefix("model name") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[line.index(after: colon)...].trimmingCharacters(in: " \t")
            return name.isEmpty ? nil : name
        }
        return nil
    }

    /// "Intel(R) Xeon(R) Processor, avx512": the CPU's name and the instruction set the kernels
    /// chose, as reports and benchmark lines name the machine a figure was measured on.
    public static func cpuDescription(isa: String) -> String {
        (cpuModelName().map { $0 + ", " } ?? "") + isa
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: String) -> String {
        let skip = Set(set)
        return String(drop { skip.contains($0) }.reversed().drop { skip.contains($0) }.reversed())
    }
}
