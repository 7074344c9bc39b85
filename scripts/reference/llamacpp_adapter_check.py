#!/usr/bin/env python3
"""Checks SwarmTune's adapter exports against llama.cpp (llama-cpp-python) and transformers.

Input: the JSON written by the Swift test RealCoreExportTests:

    swift build -c release
    .build/release/swarmtune train --model models/SmolLM2-135M-Instruct.Q4_1.gguf --synthetic 300 \
        --steps 60 --lr 1e-3 --seq-len 80 --out /tmp/exp-adapter
    SWARMTUNE_EXPORT_ADAPTER=/tmp/exp-adapter SWARMTUNE_DUMP_TOP1=/tmp/exp-check/top1.json \
        swift test --filter RealCoreExportTests
    python scripts/reference/llamacpp_adapter_check.py /tmp/exp-check/top1.json [--transformers]

It holds the token sequences (~1,000 positions), our engine's next-token top-1 at every position
for core + adapter and for the merged f16 core, the exported GGUF LoRA and merged GGUF paths, and
our merged-core logits at the last position of the first sequences.

Reported:
  1. llama.cpp, core + exported GGUF LoRA (Llama(model_path=core, lora_path=...)) vs our core + adapter;
  2. llama.cpp, merged f16 GGUF vs our merged-core top-1;
  3. how many positions the adapter changes llama.cpp's own top-1 (so agreement is not trivial);
  4. with --transformers: transformers on the merged f16 GGUF (gguf_file=...) vs llama.cpp and vs
     our logits (max-abs difference at the dumped positions).
"""
import json
import os
import sys

import numpy as np


def llama_top1(model_path, sequences, lora_path=None):
    from llama_cpp import Llama
    n_ctx = max(len(s) for s in sequences) + 8
    llm = Llama(model_path=model_path, lora_path=lora_path, n_ctx=n_ctx, logits_all=True,
                n_threads=2, n_batch=n_ctx, verbose=False)
    top1, last = [], []
    for seq in sequences:
        llm.reset()
        llm.eval(seq)
        scores = np.asarray(llm.scores[: len(seq)])
        top1.append(scores.argmax(axis=1).tolist())
        last.append(scores[-1].copy())
    del llm
    return top1, last


def agreement(a, b):
    same = sum(int(x == y) for sa, sb in zip(a, b) for x, y in zip(sa, sb))
    total = sum(len(s) for s in a)
    return same, total


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) != 1:
        print(__doc__)
        sys.exit(2)
    data = json.load(open(args[0]))
    seqs = data["sequences"]
    core, lora, merged = data["core"], data["lora_gguf"], data["merged_gguf"]
    print(f"{len(seqs)} sequences, {sum(map(len, seqs))} positions")

    base_top1, _ = llama_top1(core, seqs)
    lora_top1, _ = llama_top1(core, seqs, lora_path=lora)
    merged_top1, merged_last = llama_top1(merged, seqs)

    s, t = agreement(lora_top1, data["top1_adapter"])
    print(f"llama.cpp core + GGUF LoRA  vs ours core + adapter : {s}/{t} = {s / t:.4f}")
    s, t = agreement(merged_top1, data["top1_merged"])
    print(f"llama.cpp merged f16 GGUF   vs ours merged core    : {s}/{t} = {s / t:.4f}")
    s, t = agreement(lora_top1, merged_top1)
    print(f"llama.cpp core + LoRA       vs llama.cpp merged    : {s}/{t} = {s / t:.4f}")
    s, t = agreement(base_top1, lora_top1)
    print(f"llama.cpp base              vs llama.cpp + LoRA    : {s}/{t} = {s / t:.4f} "
          f"(the adapter changes {t - s} top-1 tokens)")
    s, t = agreement(base_top1, data["top1_adapter"])
    print(f"llama.cpp base              vs ours core + adapter : {s}/{t} = {s / t:.4f}")

    ours_last = data.get("merged_last_logits", [])
    for i, row in enumerate(ours_last):
        d = np.abs(np.asarray(row) - merged_last[i]).max()
        print(f"merged f16, last position of sequence {i}: max-abs logits ours vs llama.cpp {d:.4f} "
              f"(logit range {np.abs(merged_last[i]).max():.1f})")

    if "--transformers" in sys.argv:
        import torch
        from transformers import AutoModelForCausalLM
        model = AutoModelForCausalLM.from_pretrained(os.path.dirname(merged), gguf_file=os.path.basename(merged),
                                                     dtype=torch.float32)
        model.eval()
        tf_top1 = []
        worst_llama = 0.0
        with torch.no_grad():
            for i, seq in enumerate(seqs):
                logits = model(torch.tensor([seq])).logits[0].numpy()
                tf_top1.append(logits.argmax(axis=1).tolist())
                worst_llama = max(worst_llama, float(np.abs(logits[-1] - merged_last[i]).max()))
                if i < len(ours_last):
                    d = np.abs(logits[-1] - np.asarray(ours_last[i])).max()
                    print(f"merged f16, sequence {i} last position: max-abs logits transformers vs ours {d:.2e}")
        print(f"merged f16, last positions: max-abs logits transformers vs llama.cpp {worst_llama:.4f}")
        s, t = agreement(tf_top1, data["top1_merged"])
        print(f"transformers merged f16     vs ours merged core    : {s}/{t} = {s / t:.4f}")
        s, t = agreement(tf_top1, merged_top1)
        print(f"transformers merged f16     vs llama.cpp merged    : {s}/{t} = {s / t:.4f}")


if __name__ == "__main__":
    main()
