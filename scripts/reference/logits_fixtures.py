#!/usr/bin/env python3
"""Golden logits from an independent implementation (transformers, fp32, weights dequantized
from the same GGUF) for SwarmTune's forward-pass tests.

Usage: scripts/reference/logits_fixtures.py [--model models/SmolLM2-135M-Instruct.Q4_1.gguf]
                                            [--out Tests/LMTests/Fixtures/logits_golden.json]
Writes, per prompt: the token ids, a slice of the last-position logits (the reference top 64
plus every 193rd index), and the 32-token greedy continuation with each step's top-2 gap.
"""
import argparse, json, os, sys

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

PROMPTS = [
    ("plain", "The capital of France is"),
    ("plain", "def fibonacci(n):\n    \"\"\"Return the n-th Fibonacci number.\"\"\"\n"),
    ("chat", "What is 17 multiplied by 3?"),
    ("chat", "Write a haiku about gossip protocols."),
    ("plain", "Once upon a time, in a village by the sea, there lived"),
    ("chat", "Convert 5 kilometres to metres and explain briefly."),
]


def main():
    ap = argparse.ArgumentParser()
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap.add_argument("--model", default=os.path.join(root, "models", "SmolLM2-135M-Instruct.Q4_1.gguf"))
    ap.add_argument("--out", default=os.path.join(root, "Tests", "LMTests", "Fixtures", "logits_golden.json"))
    ap.add_argument("--steps", type=int, default=32)
    args = ap.parse_args()
    d, f = os.path.split(os.path.abspath(args.model))
    torch.manual_seed(0)
    tok = AutoTokenizer.from_pretrained(d, gguf_file=f)
    model = AutoModelForCausalLM.from_pretrained(d, gguf_file=f, torch_dtype=torch.float32)
    model.eval()
    cases = []
    for kind, text in PROMPTS:
        if kind == "chat":
            rendered = tok.apply_chat_template([{"role": "user", "content": text}], tokenize=False, add_generation_prompt=True)
        else:
            rendered = text
        ids = tok(rendered, add_special_tokens=False)["input_ids"]
        with torch.no_grad():
            logits = model(torch.tensor([ids])).logits[0, -1].double()
        top = torch.topk(logits, 64).indices.tolist()
        idx = sorted(set(top) | set(range(0, logits.shape[0], 193)))
        # greedy continuation with the KV cache, step by step, recording top-2 gaps
        seq = list(ids)
        steps = []
        with torch.no_grad():
            out = model(torch.tensor([seq]), use_cache=True)
            past = out.past_key_values
            last = out.logits[0, -1]
            for _ in range(args.steps):
                v, i = torch.topk(last, 2)
                nxt = int(i[0])
                steps.append({"token": nxt, "gap": float(v[0] - v[1])})
                seq.append(nxt)
                out = model(torch.tensor([[nxt]]), past_key_values=past, use_cache=True)
                past = out.past_key_values
                last = out.logits[0, -1]
        cases.append({
            "kind": kind, "text": text, "rendered": rendered, "ids": ids,
            "logit_indices": idx, "logits": [round(float(logits[j]), 5) for j in idx],
            "greedy": steps,
        })
        print(f"{kind}: {len(ids)} tokens, top1 {top[0]}, continuation: {tok.decode([s['token'] for s in steps])!r}", file=sys.stderr)
    meta = {"generator": "scripts/reference/logits_fixtures.py", "torch": torch.__version__,
            "transformers": __import__("transformers").__version__, "model": f}
    with open(args.out, "w") as fh:
        json.dump({"meta": meta, "cases": cases}, fh, indent=1)
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
