import Foundation

/// Looks for training data in bytes a node sent: any line of the training text (UTF-8), or any run
/// of `run` consecutive token ids of a training example, in each encoding a leak could plausibly
/// take, at every byte offset (frames are not aligned).
struct LeakScanner {
    /// How token ids could be laid out in memory or on a wire.
    enum Encoding: String, CaseIterable, Sendable {
        /// Also Int32 little-endian: ids are non-negative, so the bytes are the same.
        case uint32LE
        case uint32BE
        /// Also Int64 little-endian.
        case uint64LE
        /// Only when every id fits in 16 bits.
        case uint16LE
        case float32LE

        var width: Int {
            switch self {
            case .uint16LE: return 2
            case .uint32LE, .uint32BE, .float32LE: return 4
            case .uint64LE: return 8
            }
        }

        func bytes(_ id: Int32) -> [UInt8] {
            switch self {
            case .uint32LE: return withUnsafeBytes(of: UInt32(id).littleEndian, Array.init)
            case .uint32BE: return withUnsafeBytes(of: UInt32(id).bigEndian, Array.init)
            case .uint64LE: return withUnsafeBytes(of: UInt64(id).littleEndian, Array.init)
            case .uint16LE: return withUnsafeBytes(of: UInt16(id).littleEndian, Array.init)
            case .float32LE: return withUnsafeBytes(of: Float(id).bitPattern.littleEndian, Array.init)
            }
        }
    }

    /// What was found, and where.
    struct Finding: Equatable, CustomStringConvertible {
        var what: String
        var offset: Int
        var description: String { "\(what) at byte \(offset)" }
    }

    let lines: [String]
    let run: Int
    private var encodings: [Encoding] = []
    /// Per encoding: every id's bytes (a quick first test at an offset) and every run's bytes.
    private var singles: [Encoding: Set<UInt64>] = [:]
    private var runs: [Encoding: Set<[UInt8]>] = [:]

    /// - Parameters:
    ///   - lines: text that must not appear (each instruction and each response).
    ///   - tokenRuns: the token ids of each training example; no `run` consecutive ids of one may appear.
    init(lines: [String], tokenRuns: [[Int32]], run: Int = 8) {
        self.lines = lines.filter { !$0.isEmpty }
        self.run = run
        let maxID = tokenRuns.joined().max() ?? 0
        encodings = Encoding.allCases.filter { $0 != .uint16LE || maxID <= Int32(UInt16.max) }
        for encoding in encodings {
            var singles = Set<UInt64>(), runs = Set<[UInt8]>()
            for ids in tokenRuns {
                for id in ids { singles.insert(Self.key(encoding.bytes(id)[...])) }
                guard ids.count >= run else { continue }
                for start in 0...(ids.count - run) {
                    runs.insert(ids[start..<(start + run)].flatMap(encoding.bytes))
                }
            }
            self.singles[encoding] = singles
            self.runs[encoding] = runs
        }
    }

    /// Every encoding this scanner tries.
    var encodingsTried: [Encoding] { encodings }

    /// The first leak in `bytes`, or nil.
    func scan(_ bytes: [UInt8]) -> Finding? {
        let data = Data(bytes)
        for line in lines {
            if let range = data.range(of: Data(line.utf8)) {
                return Finding(what: "training text line \(line.debugDescription)", offset: range.lowerBound)
            }
        }
        for encoding in encodings {
            if let offset = findRun(encoding, in: bytes) {
                return Finding(what: "\(run) token ids as \(encoding.rawValue)", offset: offset)
            }
        }
        return nil
    }

    /// Up to 8 bytes as one number (a set lookup without an allocation).
    private static func key<C: Collection>(_ bytes: C) -> UInt64 where C.Element == UInt8 {
        bytes.reduce(0) { $0 << 8 | UInt64($1) }
    }

    private func findRun(_ encoding: Encoding, in bytes: [UInt8]) -> Int? {
        let w = encoding.width, span = w * run
        guard bytes.count >= span, let singles = singles[encoding], let runs = runs[encoding] else { return nil }
        return bytes.withUnsafeBufferPointer { b -> Int? in
            func isID(at offset: Int) -> Bool { singles.contains(Self.key(b[offset..<(offset + w)])) }
            for offset in 0...(bytes.count - span) {
                // Cheap rejection: every one of the `run` values must be some training token id.
                var k = 0
                while k < run && isID(at: offset + k * w) { k += 1 }
                if k == run && runs.contains(Array(b[offset..<(offset + span)])) { return offset }
            }
            return nil
        }
    }
}
