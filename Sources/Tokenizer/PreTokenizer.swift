/// Splits text into the pieces that BPE merges within (merges never cross a piece boundary).
///
/// Both supported splitters follow the GPT-2 pattern as Hugging Face `tokenizers` runs it:
///
///     's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
///
/// `smollm` (SmolLM2's tokenizer.json, llama.cpp's "smollm") first isolates every numeric
/// character (`Digits(individual_digits: true)`) and runs the pattern on the text between them,
/// so a digit is always a piece of its own and whitespace before a digit ends its own piece.
/// `gpt2` runs the pattern on the whole text. The pattern is matched by hand over Unicode scalars
/// using general categories (`\p{L}`, `\p{N}`) and the White_Space property (`\s`).
public struct PreTokenizer: Sendable, Hashable {
    /// Whether every numeric character is split off on its own before the pattern runs.
    public let isolatesDigits: Bool

    /// SmolLM2's pre-tokenizer (GGUF `tokenizer.ggml.pre` = "smollm").
    public static let smolLM = PreTokenizer(isolatesDigits: true)
    /// The plain GPT-2 pre-tokenizer (GGUF `tokenizer.ggml.pre` = "gpt-2").
    public static let gpt2 = PreTokenizer(isolatesDigits: false)

    private init(isolatesDigits: Bool) {
        self.isolatesDigits = isolatesDigits
    }

    /// The pre-tokenizer a GGUF `tokenizer.ggml.pre` name stands for.
    public init(name: String) throws(TokenizerError) {
        switch name {
        case "smollm":
            self = .smolLM
        case "gpt-2", "gpt2":
            self = .gpt2
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
        let scanner = Scanner(utf8: utf8, end: range.upperBound, isolatesDigits: isolatesDigits)
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

/// Matches the GPT-2 pattern at a position, one piece at a time.
struct Scanner {
    let utf8: UnsafeBufferPointer<UInt8>
    let end: Int
    let isolatesDigits: Bool

    /// The end of the piece that starts at `start` (< `end`).
    func pieceEnd(from start: Int) -> Int {
        let (first, firstWidth) = classify(at: start)
        if first == .number && isolatesDigits {
            return start + firstWidth
        }
        // 's|'t|'re|'ve|'m|'ll|'d (case-sensitive, ASCII apostrophe only)
        if utf8[start] == UInt8(ascii: "'"), let length = contractionLength(after: start) {
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
            return whitespaceEnd(from: start)
        }
    }

    /// `\s+(?!\S)|\s+`: a whitespace run that reaches the end is taken whole; one followed by
    /// a non-space gives up its last scalar (which then leads the next piece) unless it is a
    /// single scalar.
    private func whitespaceEnd(from start: Int) -> Int {
        var position = start
        var lastStart = start
        while true {
            let (cls, width) = bounded(classify(at: position))
            if cls == .end { return position }
            if cls != .space { break }
            lastStart = position
            position += width
        }
        return lastStart > start ? lastStart : position
    }

    private func runEnd(of cls: ScalarClass, from start: Int) -> Int {
        var position = start
        while true {
            let (next, width) = bounded(classify(at: position))
            if next != cls { return position }
            position += width
        }
    }

    private func contractionLength(after apostrophe: Int) -> Int? {
        let first = apostrophe + 1
        guard first < end else { return nil }
        switch utf8[first] {
        case UInt8(ascii: "s"), UInt8(ascii: "t"), UInt8(ascii: "m"), UInt8(ascii: "d"):
            return 1
        case UInt8(ascii: "r"), UInt8(ascii: "v"):
            return first + 1 < end && utf8[first + 1] == UInt8(ascii: "e") ? 2 : nil
        case UInt8(ascii: "l"):
            return first + 1 < end && utf8[first + 1] == UInt8(ascii: "l") ? 2 : nil
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
