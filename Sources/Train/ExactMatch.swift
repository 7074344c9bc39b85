import Foundation
import LM
import Tensor
import Tokenizer
import TrainData

/// Greedy exact match: does the model, given the prompt, produce exactly the expected text (both
/// trimmed of whitespace and newlines, then compared as Swift strings, canonical equivalence
/// included)?
///
/// Decoding of an example stops as soon as the continuation so far can no longer match
/// (`cannotMatch`), so a wrong answer costs the tokens up to its first wrong character instead of
/// the whole budget; the count of correct answers is the same as decoding every answer in full.
public struct ExactMatch {
    public let session: InferenceSession
    public let tokenizer: BPETokenizer

    /// Throws when the key/value cache for `contextLength` tokens cannot be had.
    public init(model: LlamaModel, tokenizer: BPETokenizer, lora: LoRAParameters?, contextLength: Int = 512,
                pool: ComputePool) throws(AllocationError) {
        session = try InferenceSession(model: model, contextLength: contextLength, maxBatch: 128, pool: pool)
        session.lora = lora
        self.tokenizer = tokenizer
    }

    public struct Outcome: Sendable {
        public var correct: Int
        public var total: Int
        /// Examples whose prompt fills the context, so no answer could be generated (not counted in total).
        public var skipped: Int
        /// The first `keepSamples` examples, decoded in full.
        public var samples: [(prompt: String, expected: String, got: String)]
        /// New tokens decoded over all examples (what the early stop saves shows here).
        public var generatedTokens: Int
        public var rate: Double { total > 0 ? Double(correct) / Double(total) : 0 }
    }

    /// Judges `examples`; `earlyStop: false` decodes every answer to its end or the budget.
    ///
    /// The prompts' first `sharedPrefix` tokens (nil: as many as all of `examples` share) are run
    /// once and kept in the cache for every example that begins with them (`Generator`); pass the
    /// figure of a larger set when `examples` is a part of it, so each example is computed the
    /// same way whichever part it is judged in.
    public func run(_ examples: [TokenizedExample], maxNewTokens: Int = 48, keepSamples: Int = 3,
                    earlyStop: Bool = true, sharedPrefix: Int? = nil) throws(LMError) -> Outcome {
        let prefix = sharedPrefix ?? Self.sharedPrefix(examples)
        var correct = 0
        var samples: [(String, String, String)] = []
        session.refreshAdapter()
        let generator = Generator(session: session, tokenizer: tokenizer)
        var skipped = 0
        var generated = 0
        for e in examples where e.promptCount > 0 {
            var sampler = Sampler(.greedy)
            // The answer must fit after the prompt; prompts that leave no room are not judged.
            let budget = min(maxNewTokens, session.contextLength - e.promptCount - 1)
            guard budget >= 1 else {
                skipped += 1
                continue
            }
            let expected = e.expected.trimmingCharacters(in: .whitespacesAndNewlines)
            // A sample shows the whole answer, so it is decoded in full.
            let judgeEarly = earlyStop && samples.count >= keepSamples
            let out = try generator.generate(prompt: e.prompt, maxTokens: budget, sampler: &sampler, sharedPrefix: prefix,
                                             abandon: { judgeEarly && Self.cannotMatch($0, expected: expected) })
            generated += out.tokens.count
            let got = out.text.trimmingCharacters(in: .whitespacesAndNewlines)
            if got == expected { correct += 1 }
            if samples.count < keepSamples { samples.append((tokenizer.decode(e.prompt), e.expected, got)) }
        }
        return Outcome(correct: correct, total: examples.filter { $0.promptCount > 0 }.count - skipped, skipped: skipped,
                       samples: samples, generatedTokens: generated)
    }

    /// How many leading prompt tokens all of `examples` (those with a prompt) have in common.
    public static func sharedPrefix(_ examples: [TokenizedExample]) -> Int {
        let prompts = examples.filter { $0.promptCount > 0 }.map { $0.ids[..<$0.promptCount] }
        guard var common = prompts.first else { return 0 }
        for p in prompts.dropFirst() {
            common = common[..<(common.startIndex + zip(common, p).prefix { $0 == $1 }.count)]
        }
        return common.count
    }

    /// Whether a continuation that begins with `bytes` can no longer be judged equal to
    /// `expected` (already trimmed), whatever bytes follow. Decides only on what later bytes
    /// cannot change: a trailing incomplete UTF-8 sequence is set aside, and so is the last
    /// character before it (a combining mark may still join it); leading whitespace is trimmed
    /// as the final comparison trims it. What is left must be a prefix of `expected`, or
    /// `expected` followed by whitespace only (which the final trim removes); anything else is a
    /// certain mismatch.
    public static func cannotMatch(_ bytes: [UInt8], expected: String) -> Bool {
        var end = bytes.count
        // Set aside a trailing lead byte still waiting for its continuation bytes.
        var i = bytes.count - 1
        var continuation = 0
        while i >= 0 && continuation < 3 && bytes[i] & 0xC0 == 0x80 {
            i -= 1
            continuation += 1
        }
        if i >= 0 {
            let b = bytes[i]
            let need = b < 0x80 ? 0 : b >= 0xF0 ? 3 : b >= 0xE0 ? 2 : b >= 0xC0 ? 1 : 0
            if need > continuation { end = i }
        }
        var text = String(decoding: bytes[..<end], as: UTF8.self)
        guard !text.isEmpty else { return false }
        text.removeLast()
        let scalars = text.unicodeScalars.drop(while: CharacterSet.whitespacesAndNewlines.contains)
        let stable = String(String.UnicodeScalarView(scalars))
        if expected.hasPrefix(stable) { return false }
        if stable.hasPrefix(expected) {
            let rest = stable.dropFirst(expected.count)
            if rest.unicodeScalars.allSatisfy(CharacterSet.whitespacesAndNewlines.contains) { return false }
        }
        return true
    }
}
