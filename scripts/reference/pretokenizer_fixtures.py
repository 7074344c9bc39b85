#!/usr/bin/env python3
"""Golden fixtures for the Llama 3 ("llama-bpe") and Qwen2 ("qwen2") pre-tokenizers.

Runs Hugging Face `tokenizers` only (no model, no download):

1. Pieces. Each pattern as the models' tokenizer.json has it,
   `Split(Regex(PATTERN), behavior="isolated")`, pre-tokenizes a corpus of adversarial strings
   (contractions in both cases, digit runs, Unicode numbers, CR/LF and whitespace runs, NBSP,
   U+3000, ZWJ, combining marks, emoji, ...) and a few hundred seeded random mixes.
2. Token ids end to end. For each pattern a tiny byte-level BPE (vocabulary of about 600) is
   trained on a few KB of generated text with the pre-tokenizer
   `Sequence[Split(Regex(PATTERN), isolated), ByteLevel(add_prefix_space=False, use_regex=False)]`,
   as Llama 3's and Qwen2's tokenizer.json have it; its vocabulary, merges and the ids of the
   first strings of the corpus (`ids[i]` for `cases[i]`) are written so the Swift tests can
   build a `BPETokenizer` from them.

Writes Tests/TokenizerTests/Fixtures/pretokenizer_golden.json. `swift test` reads only that file.

Usage:
    .venv-ref/bin/python scripts/reference/pretokenizer_fixtures.py [--out PATH]
"""

import argparse
import json
import os
import random

from tokenizer_fixtures import write_fixture

LLAMA3 = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}"
          r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
QWEN2 = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}"
         r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
# The names BPETokenizer is given (GGUF tokenizer.ggml.pre) and the pattern each stands for.
PATTERNS = {"llama-bpe": LLAMA3, "qwen2": QWEN2}


def fixed_strings():
    """Hand-picked strings, one or more per rule of the pattern."""
    return [
        # Contractions: case-insensitive, only where an apostrophe starts a piece.
        "I'LL", "don'T", "DON'T", "we'll WE'LL we'Ll", "they'RE you'Ve I'M he'D it'S",
        "'s", "'S", " 's", "x'sy", "'''s", "'sup", "'", "''", " '", "'\n", "rock 'n' roll",
        "it\u2019s", "'\u017f x'\u017fy", "'K 'k", "can't've", "'ll've'd",
        # Numbers: runs of three (llama-bpe) or one (qwen2), never led by a space.
        "12345678", "1,234.5", "$100", "x  1", " 42", "a123b", "1 2  3",
        "\u0661\u0662\u0663", "\u216b", "x\u00b2", "\u00bd\u00be", "\u2460\u2461\u2462\u2463",
        "\uff11\uff12\uff13\uff14", "9" * 10, "H\u2082O", "2024-01-31T12:34:56Z",
        # Letters take one leading non-letter, non-number that is not CR or LF.
        "Hello world", "Hello, world!", "(hello)", "!!word", "\tword", "a\t\tb", "\nword",
        "\rword", "_snake_case", "x.y.z", "@user #tag", "\u00a0nbsp", "a\u00a0\u00a0b",
        "a\u3000b", "\u3000\u3000\u5168\u89d2", "a\u200db", "a\u200bb", "a\u0085b",
        "\u2028line", "\ufeffBOM", "e\u0301 cafe\u0301s", "\u0301\u0302abc",
        # Punctuation runs take one leading space and the CRs and LFs after them.
        "hello!!!\n\nworld", "...\n", " ...\r\n\r\nx", "a ,b", "x  !", "!\n \n", "->=>",
        "#include <stdio.h>\n", "    return 0;\n}\n",
        # Whitespace.
        "\r\n\r\n", "  \n  x", " \n", "\n ", "\n\n\n", "a \n \n b", "a\n\nb", "trailing   ",
        "   ", "x   ", "a   b", "\t \t", " \r x", "\n\t\tx", "\u00a0\n\u00a0x",
        "a \u000b\u000c b", "x \u001c\u001dy",
        # Scripts, CJK, emoji, mixed.
        "\u4f60\u597d\uff0c\u4e16\u754c\uff01", "\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8",
        "\u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440!", "\u0645\u0631\u062d\u0628\u0627 123",
        "\u0928\u092e\u0938\u094d\u0924\u0947 \u0926\u0941\u0928\u093f\u092f\u093e",
        "hi \U0001F468\u200d\U0001F469\u200d\U0001F467!", "\U0001F600\U0001F600 ok",
        "\U0001F44D\U0001F3FD up", "caf\u00e9 na\u00efve \u00c5ngstr\u00f6m", "Stra\u00dfe STRASSE",
        "\U0001D518\U0001D52B\U0001D526", "mixed\u4e2d\u6587text123\u0661\u0662",
        "\u1100\u1161\u11a8 jamo",
        # Code and prose.
        "def add(a, b):\n    return a + b\n",
        "It's 5 o'clock; they've left, we'd go. I'D SAY NO!\n\nOK?",
        "Price: $1,234.56 (\u20ac999,99)\r\nTotal:\t42%",
        "",
    ]


def random_strings(count, seed):
    """Seeded mixes of letters, digits, spaces, newlines, tabs, punctuation and apostrophes."""
    rng = random.Random(seed)
    pools = [
        "abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "strevmldSTREVMLD",
        "0123456789", "\u0660\u0661\u0662\u0967\u216b\u00b2\u00bd\u2460\uff11",
        " ", "  ", "\t", "\n", "\r", "\r\n", "\u00a0\u3000\u2009\u0085\u2028\u000b\u000c",
        ".,;:!?-_()[]{}<>/\\|@#$%^&*+=~`\"", "'", "''", "\u2019",
        "\u00e9\u00df\u00e7\u00f1\u00f8\u03a9\u0436\u062d\u05e9\u0915\u017f",
        "\u4e2d\u6587\u5b57\u65e5\u672c\u8a9e\ud55c",
        "\U0001F600\U0001F44D\U0001F3FD\U0001F680\u2764\ufe0f",
        "\u0301\u0308\u200d\u200b\ufeff",
    ]
    contractions = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'T", "'RE", "'VE", "'M", "'LL", "'D",
                    "'Re", "'lL", "'\u017f"]
    out = []
    for _ in range(count):
        parts = []
        for _ in range(rng.randint(1, 14)):
            if rng.random() < 0.12:
                parts.append(rng.choice(contractions))
                continue
            pool = rng.choice(pools)
            parts.append("".join(rng.choice(pool) for _ in range(rng.randint(1, 4))))
        out.append("".join(parts))
    return out


def training_text(seed):
    """A few KB of generated prose, code and numbers for the tiny BPE."""
    rng = random.Random(seed)
    words = ("the of and to in is you that it he was for on are as with his they at be this have from "
             "or one had by word but not what all were we when your can said there use an each which "
             "she do how their if will up other about out many then them these so some her would make "
             "like him into time has look two more write go see number no way could people my than "
             "first water been call who its now find long down day did get come made may part swarm "
             "adapter gradient token merge piece").split()
    caps = ["I'm", "don't", "they're", "we'll", "it's", "you've", "he'd", "DON'T", "I'LL", "Can't"]
    lines = []
    for _ in range(90):
        line = []
        for _ in range(rng.randint(4, 14)):
            r = rng.random()
            if r < 0.08:
                line.append(rng.choice(caps))
            elif r < 0.16:
                line.append(str(rng.randint(0, 99999)))
            elif r < 0.22:
                line.append(rng.choice(words).capitalize())
            else:
                line.append(rng.choice(words))
        sep = rng.choice([". ", ", ", "! ", "? ", ": ", " - ", " (", ") "])
        lines.append(" ".join(line) + sep.rstrip() + rng.choice(["\n", "\n\n", "\r\n", "\n    "]))
    lines.append("def add(a, b):\n    return a + b\n\nfor i in range(10):\n\tprint(i * 2)\n")
    lines.append("caf\u00e9 na\u00efve \u4f60\u597d \u041f\u0440\u0438\u0432\u0435\u0442 \U0001F600 \u0661\u0662\u0663\n")
    return "".join(lines)


def train_tiny_bpe(pattern, text, vocab_size):
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(pattern), behavior="isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=1, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(text.split("\n"), trainer=trainer)
    return tok


def vocabulary_and_merges(tok):
    """Tokens in id order and merges as "left right" strings, from the saved tokenizer.json."""
    model = json.loads(tok.to_str())["model"]
    vocab = model["vocab"]
    tokens = [None] * len(vocab)
    for token, index in vocab.items():
        tokens[index] = token
    assert all(t is not None for t in tokens), "vocabulary ids are not contiguous"
    merges = [m if isinstance(m, str) else " ".join(m) for m in model["merges"]]
    assert all(len(m.split(" ")) == 2 for m in merges)
    return tokens, merges


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(here, "..", "..", "Tests", "TokenizerTests", "Fixtures",
                                                    "pretokenizer_golden.json"))
    ap.add_argument("--random", type=int, default=320, help="number of seeded random strings")
    args = ap.parse_args()

    import tokenizers
    from tokenizers import Regex, pre_tokenizers

    corpus = []
    for s in fixed_strings() + random_strings(args.random, seed=20250301):
        if s not in corpus:
            corpus.append(s)
    n_fixed = len(fixed_strings())

    splitters = {name: pre_tokenizers.Split(Regex(p), behavior="isolated") for name, p in PATTERNS.items()}
    cases = []
    for s in corpus:
        case = {"text": s}
        for name, splitter in splitters.items():
            pieces = [p for p, _ in splitter.pre_tokenize_str(s)]
            assert "".join(pieces) == s, (name, s, pieces)
            case[name] = pieces
        cases.append(case)

    text = training_text(seed=7)
    encoded = corpus[:n_fixed] + corpus[n_fixed:n_fixed + 120]
    bpe = {}
    for name, pattern in PATTERNS.items():
        tok = train_tiny_bpe(pattern, text, vocab_size=600)
        tokens, merges = vocabulary_and_merges(tok)
        ids = [tok.encode(s).ids for s in encoded]
        for s, i in zip(encoded, ids):
            assert tok.decode(i) == s, (name, s)
        # ids[i] are the ids of cases[i]["text"].
        bpe[name] = {"tokens": tokens, "merges": merges, "ids": ids}

    out = {
        "source": {
            "tokenizers": tokenizers.__version__,
            "split": 'Split(Regex(pattern), behavior="isolated")',
            "bpe": "BPE trained on generated text; pre-tokenizer Sequence[Split, ByteLevel(use_regex=False)]",
        },
        "patterns": PATTERNS,
        "cases": cases,
        "bpe": bpe,
    }
    write_fixture(out, args.out)
    differ = sum(1 for c in cases if c["llama-bpe"] != c["qwen2"])
    print(f"wrote {args.out}: {len(cases)} strings ({n_fixed} fixed, {len(cases) - n_fixed} random; "
          f"{differ} split differently by the two patterns); tiny BPE "
          + ", ".join(f"{n}: {len(b['tokens'])} tokens, {len(b['merges'])} merges, {len(b['ids'])} strings"
                      for n, b in bpe.items())
          + f"; {os.path.getsize(args.out)} bytes")


if __name__ == "__main__":
    main()
