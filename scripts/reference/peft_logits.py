#!/usr/bin/env python3
"""Last-position logits of transformers' model of a GGUF core with a PEFT adapter applied, for
checking that SwarmTune's adapters load in PEFT and compute the same function.

Usage: scripts/reference/peft_logits.py --adapter DIR --ids IDS.json --out OUT.json [--model CORE.gguf]
IDS.json holds a list of token-id lists; OUT.json gets {"logits": [[...vocab floats...], ...]} unless
--slice is given, in which case only the top 64 indices and every 193rd are kept (for fixtures).
"""
import argparse, json, os

import torch
from transformers import AutoModelForCausalLM
from peft import PeftModel


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=os.path.join(root, "models", "SmolLM2-135M-Instruct.Q4_1.gguf"))
    ap.add_argument("--adapter", required=True)
    ap.add_argument("--ids", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--slice", action="store_true")
    a = ap.parse_args()
    d, f = os.path.split(os.path.abspath(a.model))
    base = AutoModelForCausalLM.from_pretrained(d, gguf_file=f, dtype=torch.float32)
    model = PeftModel.from_pretrained(base, a.adapter).eval()
    rows = []
    for ids in json.load(open(a.ids)):
        with torch.no_grad():
            logits = model(torch.tensor([ids])).logits[0, -1].double()
        if a.slice:
            idx = sorted(set(torch.topk(logits, 64).indices.tolist()) | set(range(0, logits.shape[0], 193)))
            rows.append({"ids": ids, "indices": idx, "logits": [round(float(logits[i]), 5) for i in idx]})
        else:
            rows.append({"ids": ids, "logits": [float(x) for x in logits]})
    json.dump({"rows": rows}, open(a.out, "w"))
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
