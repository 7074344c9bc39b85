import SwarmBase
import TrainData

extension DataSpec {
    /// The partition spellings of a file.
    static let partitionNames = ["iid", "dirichlet", "one-domain-per-node"]

    /// `data`. Defaults: synthetic data over every domain of `SyntheticTasks`, IID, 80 examples
    /// per node, 100 test examples.
    static func parse(_ object: JSONFields?, in document: JSONDocument, context: ScenarioContext) throws(JSONDocumentError) -> DataSpec {
        var spec = DataSpec(source: .synthetic(domains: SyntheticTasks.domains), partition: .iid, examplesPerNode: 80, testExamples: 100)
        guard var f = object else { return spec }
        let source = try f.choice("source", ["synthetic", "jsonl"]) ?? "synthetic"
        if source == "synthetic" {
            for key in ["files", "domain-field", "test-file"] where f.has(key) {
                throw f.error(key, "applies to source jsonl; synthetic data needs no files")
            }
            spec.source = .synthetic(domains: try domains(&f))
            spec.examplesPerNode = try f.int("examples-per-node", in: 1...1_000_000) ?? spec.examplesPerNode
        } else {
            if f.has("domains") { throw f.error("domains", "applies to source synthetic; with jsonl, domain-field names each line's domain") }
            if f.has("examples-per-node") {
                throw f.error("examples-per-node", "applies to source synthetic; a JSONL file is used whole (split evenly when one file serves every node)")
            }
            spec.source = try jsonl(&f, context: context)
        }
        let partition = try partition(&f, source: spec.source, context: context)
        spec.partition = partition
        if case .jsonl(_, _, .some) = spec.source {
            if f.has("test-examples") { throw f.error("test-examples", "is not used with test-file: the whole test file is the test set") }
        } else {
            spec.testExamples = try f.int("test-examples", in: 1...100_000) ?? spec.testExamples
        }
        try f.finish()
        return spec
    }

    /// Synthetic `domains`: known, not repeated, at least one.
    private static func domains(_ f: inout JSONFields) throws(JSONDocumentError) -> [String] {
        guard let given = try f.strings("domains") else { return SyntheticTasks.domains }
        let known = SyntheticTasks.domains.joined(separator: ", ")
        guard !given.isEmpty else { throw f.error("domains", "is empty: name at least one of \(known)") }
        for (i, d) in given.enumerated() {
            let at = f.path.appending("domains").appending(index: i)
            guard SyntheticTasks.domains.contains(d) else { throw f.document.error(at: at, "'\(d)' is not a synthetic domain (\(known))") }
            if given[..<i].contains(d) { throw f.document.error(at: at, "'\(d)' is listed twice") }
        }
        return given
    }

    /// The JSONL source: one file to split, or one per node (then a test file is required).
    private static func jsonl(_ f: inout JSONFields, context: ScenarioContext) throws(JSONDocumentError) -> Source {
        guard let files = try f.strings("files") else {
            throw f.error("files", "missing: source jsonl reads one JSONL file to split, or one per node (\(context.totalNodes))")
        }
        for (i, file) in files.enumerated() where file.isEmpty {
            throw f.document.error(at: f.path.appending("files").appending(index: i), "is empty; give a path")
        }
        guard files.count == 1 || files.count == context.totalNodes else {
            throw f.error("files", "\(files.count) files for \(context.totalNodes) nodes (joins included): give one file per node, or one file to split")
        }
        let domainField = try f.string("domain-field")
        let testFile = try f.string("test-file")
        if files.count > 1, testFile == nil {
            throw f.error("test-file", "missing: with one file per node, the global test set comes from a test file (it never shares an instruction with training data)")
        }
        return .jsonl(files: files, domainField: domainField, testFile: testFile)
    }

    /// `partition` (and `alpha` for dirichlet), checked against the source.
    private static func partition(_ f: inout JSONFields, source: Source, context: ScenarioContext) throws(JSONDocumentError) -> Partition {
        let name = try f.choice("partition", partitionNames)
        if case let .jsonl(files, domainField, _) = source {
            if files.count > 1 {
                if name != nil { throw f.error("partition", "one file per node is already a partition; leave partition out, or give one file to split") }
                if f.has("alpha") { throw f.error("alpha", "applies to partition dirichlet only") }
                return .filePerNode
            }
            if let name, name != "iid", domainField == nil {
                throw f.error("partition", "\(name) splits by domain: set domain-field to the JSONL field holding each line's domain, or use iid")
            }
        }
        guard name == "dirichlet" else {
            if f.has("alpha") { throw f.error("alpha", "applies to partition dirichlet only (partition is \(name ?? "iid"))") }
            return name == "one-domain-per-node" ? .oneDomainPerNode : .iid
        }
        guard let alpha = try f.double("alpha", in: -1e300...1e6) else {
            throw f.error("alpha", "missing: dirichlet needs alpha (e.g. 0.3: each node mostly on one or two domains; 100: close to IID)")
        }
        guard alpha > 0 else {
            throw f.error("alpha", "\(alpha.plain) must be above 0 (small alpha: each node on few domains; large: close to IID)")
        }
        return .dirichlet(alpha: alpha)
    }
}
