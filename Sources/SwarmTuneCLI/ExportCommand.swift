import Adapters
import Export
import Foundation
import ModelIO
import Quant

/// `swarmtune export`: an adapter as a PEFT directory, a llama.cpp GGUF LoRA, or folded into the core.
struct ExportCommand: Command {
    enum Format: String, CaseIterable, Sendable {
        case peft
        case ggufLoRA = "gguf-lora"
        case ggufMerged = "gguf-merged"
    }

    static let name = "export"
    static let summary = "export an adapter: PEFT, GGUF LoRA for llama.cpp, or merged into the core"
    static let discussion = """
        ADAPTER is a PEFT adapter directory or a node's state directory (its node.db: the latest
        checkpoint is exported, also while the node runs; a database written before the adapter
        layout was recorded is rebuilt with --model). Checks that the adapter fits the core
        (recorded core hash, layers, shapes), then writes:

          peft         a normalised PEFT adapter directory (F32 safetensors, provenance kept)
          gguf-lora    a GGUF LoRA adapter as llama.cpp loads it (llama-cli -m CORE --lora PATH);
                       --type f32 (default) or f16
          gguf-merged  the whole core with W + scale·B·A folded into each adapted matrix, which is
                       re-encoded as --type (default f16); everything else is copied unchanged

        Outputs are written atomically.
        """
    static let examples = [
        "export runs/me/adapter --model models/SmolLM2-135M-Instruct.Q4_1.gguf --format gguf-lora --out me.lora.gguf",
        "export runs/me/adapter --model models/SmolLM2-135M-Instruct.Q4_1.gguf --format gguf-merged --type q8_0 --out me.gguf",
        "export runs/lab/n0 --model models/SmolLM2-135M-Instruct.Q4_1.gguf --format peft --out consensus",
    ]

    struct Options: Declarations {
        let adapter = Positional("ADAPTER", help: "a PEFT adapter directory or a node state directory")
        let model = Option.text("--model", "CORE", help: "the core the adapter was trained on (a GGUF file)", required: true)
        let format = Option.choice("--format", of: Format.self, help: "what to write", required: true)
        let out = Option.text("--out", "PATH", help: "the output file or directory", required: true)
        let type = Option.choice("--type", [("f32", GGMLType.f32), ("f16", .f16), ("q8_0", .q8_0), ("q4_1", .q4_1)],
                                 help: "the tensor type written (gguf-lora: f32 or f16; gguf-merged: f32, f16, q8_0 or q4_1)", ignoringCase: true)
        let force = Flag("--force", help: "replace an existing PATH")
    }

    let adapterPath: String
    let corePath: String
    let format: Format
    let out: String
    let type: GGMLType?
    let force: Bool

    init(_ d: Options, _ p: inout ParsedArguments) throws(CLIError) {
        adapterPath = try p.positional(d.adapter)!
        corePath = try p.value(d.model)
        format = try p.value(d.format)
        out = try p.value(d.out)
        type = try p.optional(d.type)
        force = p.flag(d.force)
    }

    func validate() throws(CLIError) {
        switch format {
        case .peft:
            guard type == nil else { throw .usage(command: Self.name, message: "--type does not apply to --format peft") }
        case .ggufLoRA:
            guard type == nil || type == .f32 || type == .f16 else {
                throw .usage(command: Self.name, message: "--format gguf-lora takes --type f32 or f16")
            }
        case .ggufMerged:
            guard type == nil || GGUFMergedExport.supportedTypes.contains(type!) else {
                throw .usage(command: Self.name, message: "--format gguf-merged takes --type \(GGUFMergedExport.supportedNames)")
            }
        }
        guard out != corePath, out != adapterPath else { throw .usage(command: Self.name, message: "--out must differ from the inputs") }
    }

    func run() throws(CLIError) {
        if format != .peft, !force, FileManager.default.fileExists(atPath: out) {
            throw .failure("\(out) exists; use --force to replace it")
        }

        let input = try AdapterInput.read(adapterPath, corePath: corePath)
        let adapter = input.adapter
        let core: GGUFModelFile
        do { core = try GGUFModelFile(path: corePath) } catch { throw .failure(error.description) }
        do {
            let fit = try CoreFit(adapter: adapter, adapterPath: input.name, core: core)
            switch format {
            case .peft:
                // The adapter's and the GGUF writer's errors name the output path already.
                do { try adapter.write(to: out, replacingExisting: force) } catch {
                    if case .destinationExists = error, !force { throw CLIError.failure(error.description + " (use --force to replace it)") }
                    throw CLIError.failure(error.description)
                }
                Output.out("PEFT adapter (\(input.name)) written to \(out)")
            case .ggufLoRA:
                let writer = try GGUFLoRAExport.writer(adapter: adapter, fit: fit, type: type ?? .f32)
                do { try writer.write(to: out) } catch { throw CLIError.failure(error.description) }
                Output.out("GGUF LoRA adapter (rank \(adapter.config.rank), \(adapter.slots.count) matrices, \((type ?? .f32).description)) written to \(out)")
            case .ggufMerged:
                let t = type ?? .f16
                let writer = try GGUFMergedExport.writer(adapter: adapter, fit: fit, core: core, type: t)
                do { try writer.write(to: out) } catch { throw CLIError.failure(error.description) }
                Output.out("merged core (\(adapter.slots.count) matrices as \(t.description)) written to \(out)")
            }
        } catch let e as ExportError {
            throw .failure(e.description)
        } catch let e as CLIError {
            throw e
        } catch { throw .failure("\(error)") }
    }
}
