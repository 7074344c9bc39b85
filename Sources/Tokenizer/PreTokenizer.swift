/// Splits text into the pieces that BPE merges within (merges never cross a piece boundary).
///
/// Each supported splitter is one of two patterns as Hugging Face `tokenizers` runs it
/// (Oniguruma: the leftmost alternative that matches wins, quantifiers are greedy and
/// backtrack). The GPT-2 pattern:
///
///     's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
///
/// `smollm` (SmolLM2's tokenizer.json, llama.cpp's "smollm") first isolates every numeric
/// character (`Digits(individual_digits: true)`) and runs the pattern on the text between them,
/// so a digit is always a piece of its own and whitespace before a digit ends its own piece.
/// `gpt2` runs the pattern on the whole text. The Llama 3 pattern (llama.cpp's "llama-bpe"):
///
///     (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
///
/// and Qwen2's, the same with `\p{N}` (one numeric character a piece) for `\p{N}{1,3}`.
/// The patterns are matched by hand over Unicode scalars using general categories (`\p{L}`,
/// `\p{N}`) and the White_Space property (`\s`).
public struct PreTokenizer: Sendable, Hashable {
    /// The split pattern a pre-tokenizer runs.
    public enum Pattern: Sendable, Hashable {
        /// GPT-2's: contractions, ` ?` before letter, number and punctuation runs.
        case gpt2
        /// Llama 3's: case-insensitive contractions, one non-letter before a letter run, at most
        /// `maxDigits` numeric characters a piece, newlines kept with what precedes them.
        case llama3(maxDigits: Int)
    }

    public let pattern: Pattern
    /// Whether every numeric character is split off on its own before the pattern runs.
    public let isolatesDigits: Bool

    /// SmolLM2's pre-tokenizer (GGUF `tokenizer.ggml.pre` = "smollm").
    public static let smolLM = PreTokenizer(pattern: .gpt2, isolatesDigits: true)
    /// The plain GPT-2 pre-tokenizer (GGUF `tokenizer.ggml.pre` = "gpt-2").
    public static let gpt2 = PreTokenizer(pattern: .gpt2, isolatesDigits: false)
    /// Llama 3's pre-tokenizer (GGUF `tokenizer.ggml.pre` = "llama-bpe"): digits in threes.
    public static let llama3 = PreTokenizer(pattern: .llama3(maxDigits: 3), isolatesDigits: false)
    /// Qwen2's and Qwen2.5's pre-tokenizer (GGUF `tokenizer.ggml.pre` = "qwen2"): the Llama 3
    /// pattern with one numeric character a piece.
    public static let qwen2 = PreTokenizer(pattern: .llama3(maxDigits: 1), isolatesDigits: false)

    /// The `tokenizer.ggml.pre` names `init(name:)` accepts, for messages.
    static let supportedNames = ["smollm", "gpt2", "gpt-2", "llama-bpe", "llama3", "dbrx", "smaug-bpe", "qwen2"]

    private init(pattern: Pattern, isolatesDigits: Bool) {
        self.pattern = pattern
        self.isolatesDigits = isolatesDigits
    }

    /// The pre-tokenizer a GGUF `tokenizer.ggml.pre` name stands for.
    public init(name: String) throws(TokenizerError) {
        switch name {
        case "smollm":
            self = .smolLM
        case "gpt-2", "gpt2":
            self = .gpt2
        // llama.cpp runs the Llama 3 regex, unchanged, for all four names.
        case "llama-bpe", "llama3", "dbrx", "smaug-bpe":
            self = .llama3
        case "qwen2":
            self = .qwen2
        default:
            throw .unsupportedPreTokenizer(name: name)
        }
    }

    /// The pieces of `text`, in order; joined they give back `text`.
    public func split(_ text: String) -> [String] {
        var text = text
        return text.withUTF8 { utf8 in
            var pieces: [String] = []
            forEachPiece(in: utf8, range: 0..<utf8.count) { piece in
                pieces.append(String(decoding: UnsafeBufferPointer(rebasing: utf8[piece]), as: UTF8.self))
            }
            return pieces
        }
    }

    /// Calls `body` with the byte range of each piece of `utf8[range]`, which must be valid UTF-8
    /// starting and ending on scalar boundaries.
    func forEachPiece(
        in utf8: UnsafeBufferPointer<UInt8>, range: Range<Int>, _ body: (Range<Int>) -> Void
    ) {
        let scanner = Scanner(utf8: utf8, end: range.upperBound, pattern: pattern, isolatesDigits: isolatesDigits)
        var start = range.lowerBound
        while start < range.upperBound {
            let end = scanner.pieceEnd(from: start)
            body(start..<end)
            start = end
        }
    }
}

/// The class of a scalar as the pattern sees it; `end` marks the end of the text or, when
/// digits are isolated, a numeric character (which ends the stretch the pattern runs on).
enum ScalarClass: UInt8 {
    case letter, number, space, other, end
}

/// Matches a pre-tokenizer's pattern at a position, one piece at a time.
struct Scanner {
    let utf8: UnsafeBufferPointer<UInt8>
    let end: Int
    let pattern: PreTokenizer.Pattern
    let isolatesDigits: Bool

    /// The end of the piece that starts at `start` (< `end`).
    @inline(__always)
    func pieceEnd(from start: Int) -> Int {
        switch pattern {
        case .gpt2: gpt2PieceEnd(from: start)
        case .llama3(let maxDigits): llama3PieceEnd(from: start, maxDigits: maxDigits)
        }
    }

    private func gpt2PieceEnd(from start: Int) -> Int {
        let (first, firstWidth) = classify(at: start)
        if first == .number && isolatesDigits {
            return start + firstWidth
        }
        // 's|'t|'re|'ve|'m|'ll|'d (case-sensitive, ASCII apostrophe only)
        if utf8[start] == UInt8(ascii: "'"), let length = contractionLength(after: start, ignoringCase: false) {
            return start + 1 + length
        }
        // ` ?X+` for X in letters, numbers, others: a single U+0020 may lead the run.
        var runClass = first
        var runStart = start
        if utf8[start] == UInt8(ascii: " ") {
            let (next, _) = bounded(classify(at: start + 1))
            if next == .letter || next == .number || next == .other {
                runClass = next
                runStart = start + 1
            }
        }
        switch runClass {
        case .letter, .number, .other:
            return runEnd(of: runClass, from: runStart)
        case .space, .end:
            return whitespaceEnd(from: start, endsAfterLastNewline: false)
        }
    }

    /// The Llama 3 pattern, alternative by alternative:
    ///
    ///     (?i:'s|'t|'re|'ve|'m|'ll|'d)      contractions, any case
    ///     [^\r\n\p{L}\p{N}]?\p{L}+          a letter run, led by at most one scalar that is
    ///                                      neither CR, LF, letter nor number
    ///     \p{N}{1,maxDigits}                a number run, cut every `maxDigits` scalars
    ///      ?[^\s\p{L}\p{N}]+[\r\n]*         a punctuation run, led by at most one U+0020,
    ///                                      taking the CRs and LFs right after it
    ///     \s*[\r\n]+|\s+(?!\S)|\s+          whitespace (see `whitespaceEnd`)
    private func llama3PieceEnd(from start: Int, maxDigits: Int) -> Int {
        if utf8[start] == UInt8(ascii: "'"), let length = contractionLength(after: start, ignoringCase: true) {
            return start + 1 + length
        }
        let (first, firstWidth) = classify(at: start)
        switch first {
        case .letter:
            return runEnd(of: .letter, from: start)
        case .number:
            return runEnd(of: .number, from: start, limit: maxDigits)
        case .other, .space, .end:  // (`.end` only past the end)
            break
        }
        let (next, _) = classify(at: start + firstWidth)
        if next == .letter && !isNewline(at: start) {
            return runEnd(of: .letter, from: start + firstWidth)
        }
        let punctuationStart = first == .other ? start
            : next == .other && utf8[start] == UInt8(ascii: " ") ? start + 1 : nil
        if let punctuationStart {
            var position = runEnd(of: .other, from: punctuationStart)
            while position < end && isNewline(at: position) { position += 1 }
            return position
        }
        return whitespaceEnd(from: start, endsAfterLastNewline: true)
    }

    /// `\s+(?!\S)|\s+`: a whitespace run that reaches the end is taken whole; one followed by
    /// a non-space gives up its last scalar (which then leads the next piece) unless it is a
    /// single scalar. With `endsAfterLastNewline`, `\s*[\r\n]+` comes first: a run holding a
    /// CR or LF ends right after the last one.
    private func whitespaceEnd(from start: Int, endsAfterLastNewline: Bool) -> Int {
        var position = start
        var lastStart = start
        var afterLastNewline: Int?
        while true {
            let (cls, width) = bounded(classify(at: position))
            if cls != .space {
                if let afterLastNewline { return afterLastNewline }
                if cls == .end { return position }
                break
            }
            if endsAfterLastNewline && isNewline(at: position) {
                afterLastNewline = position + width
            }
            lastStart = position
            position += width
        }
        return lastStart > start ? lastStart : position
    }

    /// The end of the run of `cls` scalars from `start`, at most `limit` of them.
    private func runEnd(of cls: ScalarClass, from start: Int, limit: Int = .max) -> Int {
        var position = start
        var count = 0
        while count < limit {
            let (next, width) = bounded(classify(at: position))
            if next != cls { return position }
            position += width
            count += 1
        }
        return position
    }

    /// Whether the byte at `position` (< `end`) is CR or LF.
    @inline(__always)
    private func isNewline(at position: Int) -> Bool {
        utf8[position] == UInt8(ascii: "\n") || utf8[position] == UInt8(ascii: "\r")
    }

    /// The length of the contraction `'s|'t|'re|'ve|'m|'ll|'d` after the apostrophe at
    /// `apostrophe`, or nil. Ignoring case as Oniguruma folds: ASCII letters either case, and
    /// U+017F LATIN SMALL LETTER LONG S, which folds to `s`.
    private func contractionLength(after apostrophe: Int, ignoringCase: Bool) -> Int? {
        @inline(__always) func letter(_ index: Int) -> UInt8? {
            guard index < end else { return nil }
            let byte = utf8[index]
            return ignoringCase && (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte | 0x20 : byte
        }
        let first = apostrophe + 1
        switch letter(first) {
        case UInt8(ascii: "s"), UInt8(ascii: "t"), UInt8(ascii: "m"), UInt8(ascii: "d"):
            return 1
        case UInt8(ascii: "r"), UInt8(ascii: "v"):
            return letter(first + 1) == UInt8(ascii: "e") ? 2 : nil
        case UInt8(ascii: "l"):
            return letter(first + 1) == UInt8(ascii: "l") ? 2 : nil
        case 0xC5 where ignoringCase:  // U+017F is C5 BF
            return letter(first + 1) == 0xBF ? 2 : nil
        default:
            return nil
        }
    }

    /// A numeric character seen while extending a run counts as the end of the stretch when
    /// digits are isolated.
    @inline(__always)
    private func bounded(_ classified: (ScalarClass, Int)) -> (ScalarClass, Int) {
        if classified.0 == .number && isolatesDigits { return (.end, 0) }
        return classified
    }

    /// The class and UTF-8 width of the scalar at `position`, or `.end` past the end.
    @inline(__always)
    func classify(at position: Int) -> (ScalarClass, Int) {
        guard position < end else { return (.end, 0) }
        let lead = utf8[position]
        if lead < 0x80 {
            return (asciiClasses[Int(lead)], 1)
        }
        let (value, width) = decodeMultibyte(lead: lead, at: position)
        return (Self.classify(scalarValue: value), width)
    }

    @inline(__always)
    private func decodeMultibyte(lead: UInt8, at position: Int) -> (UInt32, Int) {
        // The buffer is valid UTF-8 (it comes from a String), but stay in bounds regardless.
        @inline(__always) func continuation(_ offset: Int) -> UInt32 {
            let index = position + offset
            return index < end ? UInt32(utf8[index] & 0x3F) : 0
        }
        if lead < 0xE0 {
            return ((UInt32(lead & 0x1F) << 6) | continuation(1), 2)
        } else if lead < 0xF0 {
            return ((UInt32(lead & 0x0F) << 12) | (continuation(1) << 6) | continuation(2), 3)
        } else {
            return (
                (UInt32(lead & 0x07) << 18) | (continuation(1) << 12) | (continuation(2) << 6)
                    | continuation(3), 4
            )
        }
    }

    static func classify(scalarValue: UInt32) -> ScalarClass {
        guard let scalar = Unicode.Scalar(scalarValue) else { return .other }
        let properties = scalar.properties
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return .letter
        case .decimalNumber, .letterNumber, .otherNumber:
            return .number
        case .spaceSeparator, .lineSeparator, .paragraphSeparator:
            return .space
        case .control:
            return properties.isWhitespace ? .space : .other
        default:
            return properties.isWhitespace ? .space : .other
        }
    }
}

/// Pattern classes of the ASCII range.
private let asciiClasses: [ScalarClass] = (0..<128).map { value in
    switch UInt8(value) {
    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"): .letter
    case UInt8(ascii: "0")...UInt8(ascii: "9"): .number
    case 0x09...0x0D, 0x20: .space
    default: .other
    }
}
