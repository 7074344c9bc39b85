import Adapters
import Foundation
import LM
import ModelIO
import Tokenizer
import Train
import TrainData

/// Loading shared by the commands: a core with its tokenizer, an adapter checked against the
/// core, and a JSONL data set turned into training examples.
enum CoreLoading {
    static func core(_ path: String) throws(CLIError) -> (LlamaModel, CoreTokenizer) {
        do {
            let model = try LlamaModel(path: path)
            return (model, try CoreTokenizer(metadata: model.file.metadata, path: path))
        } catch { throw .failure(error.description) }
    }

    /// An adapter directory as engine parameters; refuses one made for a different core.
    static func adapter(_ dir: String, model: LlamaModel) throws(CLIError) -> LoRAParameters {
        let adapter: LoRAAdapter
        do { adapter = try LoRAAdapter.read(directory: dir) } catch { throw .failure(error.description) }
        if let recorded = adapter.provenance?.coreHash, !recorded.isEmpty {
            let actual = model.computeCoreHash().hex
            guard recorded == actual else {
                throw .failure("\(dir): the adapter was trained on core \(recorded.prefix(16))…, but \(model.file.path) is \(actual.prefix(16))…")
            }
        }
        do { return try AdapterConversion.parameters(from: adapter, model: model.config, path: dir) } catch {
            throw .failure(error.description)
        }
    }

    /// Examples from a JSONL file ({"instruction","input","output"}, {"messages"} or {"text"}),
    /// conversations rendered with the core's chat template. A core without one SwarmTune can
    /// render takes only {"text"} records.
    static func examples(_ path: String, core: CoreTokenizer, corePath: String, maxLength: Int) throws(CLIError) -> [TokenizedExample] {
        let tokenizer = core.tokenizer
        let data: Dataset
        do { data = try Dataset.load(path: path) } catch { throw .failure(error.description) }
        let template: ChatTemplate
        if let known = core.chatTemplate {
            template = known
        } else if data.shape == .text {
            template = ChatTemplate(defaultSystemMessage: nil)  // text records are never templated
        } else {
            throw .failure("\(path): \(data.shape.rawValue) records are rendered with the core's chat template, and \(corePath) has none "
                           + "SwarmTune can render (\(core.chatTemplateError ?? "none")); give {\"text\": ...} records instead")
        }
        let prepared: PreparedExamples
        do { prepared = try data.prepare(maxSequenceLength: maxLength, segments: template.segments(for:)) { tokenizer.encode($0) } } catch {
            throw .failure(error.description)
        }
        if prepared.truncatedCount > 0 {
            Output.err("note: \(path): \(prepared.truncatedCount) examples longer than \(maxLength) tokens were truncated")
        }
        if prepared.droppedCount > 0 {
            Output.err("note: \(path): \(prepared.droppedCount) examples lost every trained token to truncation and were dropped (lines \(prepared.droppedLines.prefix(10).map(String.init).joined(separator: ", ")))")
        }
        return prepared.examples
    }
}
