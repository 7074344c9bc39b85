import Foundation
import ModelIO
import Quant
import Tensor

/// `swarmtune quantize CORE --to nf4|q8_0|q4_1|q4_0|q5_0|q5_1|q2_K|q3_K|q4_K|q5_K|q6_K|f16 --out PATH`: re-quantizes a core's weight
/// matrices and reports the error against the source.
struct QuantizeCommand: Command {
    static let name = "quantize"
    static let summary = "re-quantize a core (NF4, QLoRA style; or a ggml type) and report its error"
    static let discussion = """
        Re-quantizes every transformer weight matrix (blk.*) of a GGUF core; embeddings and norms
        are copied unchanged (as QLoRA keeps them). The result is a new core with its own core hash.
        Reports the error of the new weights against the source weights (max-abs, RMS, relative
        Frobenius, SNR), per kind of matrix and overall. NF4 is SwarmTune's QLoRA-style format
        (docs/QUANT.md); llama.cpp does not read it.
        """
    static let examples = [
        "quantize models/SmolLM2-135M-Instruct.Q4_1.gguf --to nf4 --out models/SmolLM2-135M.nf4.gguf",
    ]

    struct Options: Declarations {
        let core = Positional("CORE", help: "the source core (a GGUF file)")
        let to = Option.choice("--to", [("nf4", GGMLType.nf4), ("q8_0", .q8_0), ("q4_1", .q4_1), ("q4_0", .q4_0),
                                        ("q5_0", .q5_0), ("q5_1", .q5_1), ("q2_K", .q2_K), ("q3_K", .q3_K),
                                        ("q4_K", .q4_K), ("q5_K", .q5_K), ("q6_K", .q6_K), ("f16", .f16)],
                               help: "the new type of the weight matrices", required: true, ignoringCase: true)
        let out = Option.text("--out", "PATH", help: "the new core", required: true)
        let json = Flag("--json", help: "print the error figures as JSON")
    }

    let path: String
    let target: GGMLType
    let out: String
    let json: Bool

    init(_ d: Options, _ p: inout ParsedArguments) throws(CLIError) {
        path = try p.positional(d.core)!
        target = try p.value(d.to)
        out = try p.value(d.out)
        json = p.flag(d.json)
    }

    func validate() throws(CLIError) {
        guard out != path else { throw .usage(command: Self.name, message: "--out must differ from the input core") }
    }

    /// What `quantize --json` prints.
    struct Report: Codable {
        struct ErrorFigures: Codable {
            var maxAbs: Double
            var rms: Double
            var relativeFrobenius: Double
            var snrDB: Double

            init(_ s: QuantizationErrorStats) {
                maxAbs = s.maxAbsError
                rms = s.rmsError
                relativeFrobenius = s.relativeFrobeniusError
                snrDB = s.snrDecibels
            }
        }
        var source: String
        var output: String
        var type: String
        var coreHash: String
        var bytes: Int
        var seconds: Double
        var total: ErrorFigures
        var perKind: [String: ErrorFigures]
    }

    func run() throws(CLIError) {
        let path = self.path, target = self.target, out = self.out
        let src: GGUFModelFile
        do { src = try GGUFModelFile(path: path) } catch { throw .failure(error.description) }

        var writer = GGUFWriter()
        for key in src.metadata.keys where key != "general.alignment" {
            if let v = src.metadata[key] { writer.metadata.set(key, v) }
        }
        writer.metadata.set("swarmtune.quantization", .string(target.description))
        writer.metadata.set("swarmtune.quantized_from", .string(CoreHash.compute(src).hex))

        var perKind: [String: QuantizationErrorStats] = [:]
        var total = QuantizationErrorStats()
        let isa = Kernels.detectedISA
        let start = Date()
        for (n, info) in src.tensors.enumerated() {
            let data = src.data(of: info)
            let requantize = info.name.hasPrefix("blk.") && info.shape.count == 2 && info.columns % target.blockSize == 0
            if !requantize {
                do { try writer.addTensor(name: info.name, shape: info.shape, type: info.type, data: Array(data)) } catch {
                    throw .failure(error.description)
                }
                continue
            }
            let m = WeightMatrix(type: info.type, rows: info.rows, columns: info.columns, bytes: data, owner: src)
            var values = [Float](repeating: 0, count: info.elementCount)
            values.withUnsafeMutableBufferPointer { m.dequantizeRows(0..<info.rows, into: $0.baseAddress!, isa: isa) }
            do {
                let bytes: [UInt8]
                let back: [Float]
                if target == .nf4 {
                    bytes = try values.withUnsafeBufferPointer { (p) throws(QuantError) in try NF4.quantize(p) }
                    back = try NF4.dequantize(bytes, elementCount: values.count)
                } else {
                    bytes = try Quantize.row(target, values)
                    back = try Dequantize.row(target, bytes, elements: values.count)
                }
                let stats = try values.withUnsafeBufferPointer { (a) throws(QuantError) in
                    try back.withUnsafeBufferPointer { (b) throws(QuantError) in try QuantizationErrorStats(original: a, reconstructed: b) }
                }
                let kind = String(info.name.split(separator: ".").dropFirst(2).first ?? "?")
                perKind[kind, default: QuantizationErrorStats()].merge(stats)
                total.merge(stats)
                try writer.addTensor(name: info.name, shape: info.shape, type: target, data: bytes)
            } catch let e as QuantError {
                throw .failure("\(path): tensor \(info.name): \(e.description)")
            } catch let e as GGUFError {
                throw .failure(e.description)
            } catch {
                throw .failure("\(error)")
            }
            if Output.stderrIsTerminal {
                Output.err("\rquantizing \(n + 1)/\(src.tensors.count) tensors", terminator: "")
            }
        }
        if Output.stderrIsTerminal { Output.err("") }
        do { try writer.write(to: out) } catch { throw .failure(error.description) }
        let outFile: GGUFModelFile
        do { outFile = try GGUFModelFile(path: out) } catch { throw .failure("wrote \(out) but cannot read it back: \(error.description)") }
        let hash = CoreHash.compute(outFile).hex
        let seconds = Date().timeIntervalSince(start)

        if json {
            Output.out(try Output.json(Report(source: path, output: out, type: target.description, coreHash: hash,
                                              bytes: outFile.file.count, seconds: seconds,
                                              total: .init(total), perKind: perKind.mapValues(Report.ErrorFigures.init))))
            return
        }
        Output.out("wrote \(out) (\(Output.bytes(outFile.file.count)), \(target) matrices) in \(String(format: "%.1f", seconds)) s")
        Output.out("core hash: \(hash)")
        Output.out("error against the source weights:")
        Output.out("  matrix         max-abs        rms   rel-frob   SNR dB")
        for (kind, s) in perKind.sorted(by: { $0.key < $1.key }) + [("all", total)] {
            Output.out("  " + kind.padding(toLength: 12, withPad: " ", startingAt: 0)
                       + String(format: "%9.5f  %9.6f  %9.5f  %7.2f", s.maxAbsError, s.rmsError, s.relativeFrobeniusError, s.snrDecibels))
        }
    }
}
