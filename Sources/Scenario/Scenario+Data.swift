import SwarmBase
import TrainData

extension Scenario {
    /// The scenario's data: synthetic examples generated from the seed, or the user's JSONL files
    /// read (the only I/O here) and split as `data.partition` says. Nodes added by joins get data too.
    public func buildData() throws(ScenarioDataError) -> ScenarioData {
        switch data.source {
        case let .synthetic(domains):
            return try DataPartitioner.synthetic(domains: domains, partition: data.partition, nodes: totalNodes,
                                                 examplesPerNode: data.examplesPerNode, testExamples: data.testExamples, seed: seed)
        case let .jsonl(files, domainField, testFile):
            if files.count > 1 {
                var perNode: [(name: String, examples: [ScenarioExample])] = []
                for file in files { perNode.append((file, try UserData.load(path: file, domainField: domainField))) }
                let test = try UserData.load(path: testFile!, domainField: domainField)
                return try DataPartitioner.perNode(files: perNode, test: test)
            }
            let pool = try UserData.load(path: files[0], domainField: domainField)
            if let testFile {
                let test = try UserData.load(path: testFile, domainField: domainField)
                var split = try DataPartitioner.split(pool: pool, file: files[0], partition: data.partition, nodes: totalNodes,
                                                      testExamples: 0, seed: seed)
                let held = try DataPartitioner.perNode(files: split.nodes.enumerated().map { ("\(files[0]) (node \($0.offset))", $0.element) },
                                                       test: test)
                split.nodes = held.nodes
                split.test = test
                split.droppedForTest = held.droppedForTest
                return split
            }
            return try DataPartitioner.split(pool: pool, file: files[0], partition: data.partition, nodes: totalNodes,
                                             testExamples: data.testExamples, seed: seed)
        }
    }
}

/// Reads a user's JSONL file (TrainData's validated records) with each line's domain.
public enum UserData {
    /// The examples of the JSONL file at `path`; with `domainField`, each line's value of that
    /// field (a non-empty string, required on every line) is its domain.
    public static func load(path: String, domainField: String?) throws(ScenarioDataError) -> [ScenarioExample] {
        let bytes: [UInt8]
        let dataset: Dataset
        do {
            bytes = try FileIO.readAll(path, limit: DatasetLimits().maxFileBytes)
        } catch {
            throw .dataset(.unreadable(path: path, reason: error.reason))
        }
        do {
            dataset = try Dataset(jsonl: bytes, path: path)
        } catch {
            throw .dataset(error)
        }
        guard let domainField else { return dataset.examples.map { ScenarioExample(domain: nil, record: $0.record) } }
        let lines = lineSlices(bytes)
        var out: [ScenarioExample] = []
        for example in dataset.examples {
            let value = try? JSONValue.parse(lines[example.line - 1])
            guard let domain = value?[domainField]?.stringValue, !domain.isEmpty else {
                throw .missingDomain(file: path, line: example.line, field: domainField)
            }
            out.append(ScenarioExample(domain: domain, record: example.record))
        }
        return out
    }

    /// The file's lines as TrainData numbers them (1-based, after a UTF-8 byte order mark).
    static func lineSlices(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        let start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        return bytes[start...].split(separator: 0x0A, omittingEmptySubsequences: false)
    }
}
