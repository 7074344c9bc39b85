import Adapters
import Export
import Foundation
import ModelIO
import Quant

/// `swarmtune export`: an adapter as a PEFT directory, a llama.cpp GGUF LoRA, or folded into the core.
enum ExportCommand {
    static let help = """
        USAGE: swarmtune export ADAPTER --model CORE --format peft|gguf-lora|gguf-merged --out PATH
                                [--type f16|q8_0|q4_1] [--force]

        Checks that the adapter fits the core (recorded core hash, layers, shapes), then writes:

          peft         a normalised PEFT adapter directory (F32 safetensors, provenance kept)
          gguf-lora    a GGUF LoRA adapter as llama.cpp loads it (llama-cli -m CORE --lora PATH);
                       --type f32 (default) or f16
          gguf-merged  the whole core with W + scale·B·A folded into each adapted matrix, which is
                       re-encoded as --type (default f16); everything else is copied unchanged

        Outputs are written atomically; an existing PATH is replaced only with --force.

        EXAMPLES:
          swarmtune export runs/me/adapter --model models/SmolLM2-135M-Instruct.Q4_1.gguf --format gguf-lora --out me.lora.gguf
          swarmtune export runs/me/adapter --model models/SmolLM2-135M-Instruct.Q4_1.gguf --format gguf-merged --type q8_0 --out me.gguf
        """

    static func run(_ args: inout Arguments) throws(CLIError) {
        let corePath = try args.required("--model")
        let format = try args.required("--format")
        let out = try args.required("--out")
        let typeName = try args.option("--type")
        let force = args.flag("--force")
        let adapterPath = try args.positional("ADAPTER (a PEFT adapter directory)")
        try args.finish()
        let types: [String: GGMLType] = ["f32": .f32, "f16": .f16, "q8_0": .q8_0, "q4_1": .q4_1]
        var type: GGMLType?
        if let typeName {
            guard let t = types[typeName.lowercased()] else {
                throw .usage(command: "export", message: "--type must be one of f16, q8_0, q4_1 (or f32 for gguf-lora); got '\(typeName)'")
            }
            type = t
        }
        switch format {
        case "peft":
            guard type == nil else { throw .usage(command: "export", message: "--type does not apply to --format peft") }
        case "gguf-lora":
            guard type == nil || type == .f32 || type == .f16 else {
                throw .usage(command: "export", message: "--format gguf-lora takes --type f32 or f16")
            }
        case "gguf-merged":
            guard type == nil || GGUFMergedExport.supportedTypes.contains(type!) else {
                throw .usage(command: "export", message: "--format gguf-merged takes --type f16, q8_0 or q4_1")
            }
        default:
            throw .usage(command: "export", message: "--format must be peft, gguf-lora or gguf-merged; got '\(format)'")
        }
        guard out != corePath, out != adapterPath else { throw .usage(command: "export", message: "--out must differ from the inputs") }
        if format != "peft", !force, FileManager.default.fileExists(atPath: out) {
            throw .failure("\(out) exists; use --force to replace it")
        }

        let adapter: LoRAAdapter
        do { adapter = try LoRAAdapter.read(directory: adapterPath) } catch { throw .failure(error.description) }
        let core: GGUFModelFile
        do { core = try GGUFModelFile(path: corePath) } catch { throw .failure(error.description) }
        do {
            let fit = try CoreFit(adapter: adapter, adapterPath: adapterPath, core: core)
            switch format {
            case "peft":
                do { try adapter.write(to: out, replacingExisting: force) } catch {
                    throw ExportError.writeFailed(path: out, reason: error.description + (force ? "" : " (use --force to replace it)"))
                }
                Output.out("PEFT adapter written to \(out)")
            case "gguf-lora":
                let writer = try GGUFLoRAExport.writer(adapter: adapter, fit: fit, type: type ?? .f32)
                do { try writer.write(to: out) } catch { throw ExportError.writeFailed(path: out, reason: error.description) }
                Output.out("GGUF LoRA adapter (rank \(adapter.config.rank), \(adapter.slots.count) matrices, \((type ?? .f32).description)) written to \(out)")
            default:
                let t = type ?? .f16
                let writer = try GGUFMergedExport.writer(adapter: adapter, fit: fit, core: core, type: t)
                do { try writer.write(to: out) } catch { throw ExportError.writeFailed(path: out, reason: error.description) }
                Output.out("merged core (\(adapter.slots.count) matrices as \(t.description)) written to \(out)")
            }
        } catch let e as ExportError {
            throw .failure(e.description)
        } catch { throw .failure("\(error)") }
    }
}
