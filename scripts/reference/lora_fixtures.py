#!/usr/bin/env python3
"""Golden LoRA loss and gradient norms from PyTorch + PEFT for SwarmTune's training tests.

The adapter is not random: every value comes from a counter-based hash (splitmix64) that the
Swift test reproduces exactly, so both sides start from the same A and B without shipping them.
Values are defined in PEFT's (Hugging Face) row order; the Swift side permutes q/k rows of B
into the GGUF order itself.

Usage: scripts/reference/lora_fixtures.py [--model models/...gguf] [--out Tests/LMTests/Fixtures/lora_golden.json]
"""
import argparse, json, os

import numpy as np
import torch
from transformers import AutoModelForCausalLM
from peft import LoraConfig, get_peft_model

MODULES = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
MASK = (1 << 64) - 1


def splitmix(x):
    x = (x + np.uint64(0x9E3779B97F4A7C15))
    z = x
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def hashed(layer, module, which, rows, cols, bound):
    base = np.uint64(((layer * 8 + module) * 2 + which) << 32)
    idx = np.arange(rows * cols, dtype=np.uint64) + base
    with np.errstate(over="ignore"):
        h = splitmix(idx)
    u = (h >> np.uint64(40)).astype(np.float64) / float(1 << 24)
    return ((u * 2 - 1) * bound).astype(np.float32).reshape(rows, cols)


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=os.path.join(root, "models", "SmolLM2-135M-Instruct.Q4_1.gguf"))
    ap.add_argument("--out", default=None)
    ap.add_argument("--dora", action="store_true", help="use_dora=True (magnitude starts at the base rows' norms)")
    a = ap.parse_args()
    if a.out is None:
        a.out = os.path.join(root, "Tests", "LMTests", "Fixtures", "lora_dora_golden.json" if a.dora else "lora_golden.json")
    d, f = os.path.split(os.path.abspath(a.model))
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(d, gguf_file=f, dtype=torch.float32)
    rank, alpha, b_bound = 8, 16, 0.01
    cfg = LoraConfig(r=rank, lora_alpha=alpha, lora_dropout=0.0, target_modules=MODULES, bias="none", task_type="CAUSAL_LM",
                     use_dora=a.dora)
    pm = get_peft_model(model, cfg)
    with torch.no_grad():
        for li, layer in enumerate(pm.base_model.model.model.layers):
            for mi, name in enumerate(MODULES):
                mod = getattr(layer.self_attn if name.endswith(("q_proj", "k_proj", "v_proj", "o_proj")) else layer.mlp, name)
                A = mod.lora_A["default"].weight
                B = mod.lora_B["default"].weight
                A.copy_(torch.from_numpy(hashed(li, mi, 0, A.shape[0], A.shape[1], 1 / np.sqrt(A.shape[1]))))
                B.copy_(torch.from_numpy(hashed(li, mi, 1, B.shape[0], B.shape[1], b_bound)))
    # Two sequences of 48 tokens; the first 12 of each are prompt (label -100).
    batch, seq, prompt = 2, 48, 12
    ids = [[(i * 7919 + b * 104729 + 17) % 49000 + 100 for i in range(seq)] for b in range(batch)]
    labels = [[-100 if i < prompt else t for i, t in enumerate(row)] for row in ids]
    out = pm(input_ids=torch.tensor(ids), labels=torch.tensor(labels))
    out.loss.backward()
    norms = {}
    for li, layer in enumerate(pm.base_model.model.model.layers):
        for mi, name in enumerate(MODULES):
            mod = getattr(layer.self_attn if name.endswith(("q_proj", "k_proj", "v_proj", "o_proj")) else layer.mlp, name)
            norms[f"{li}.{name}.A"] = float(mod.lora_A["default"].weight.grad.double().norm())
            norms[f"{li}.{name}.B"] = float(mod.lora_B["default"].weight.grad.double().norm())
            if a.dora:
                norms[f"{li}.{name}.M"] = float(mod.lora_magnitude_vector["default"].weight.grad.double().norm())
    result = {"meta": {"generator": "scripts/reference/lora_fixtures.py", "torch": torch.__version__,
                       "peft": __import__("peft").__version__, "rank": rank, "alpha": alpha, "bBound": b_bound, "dora": a.dora,
                       "modules": MODULES},
              "ids": ids, "labels": labels, "loss": float(out.loss), "gradNorms": norms}
    with open(a.out, "w") as fh:
        json.dump(result, fh, indent=1)
    print(f"loss {float(out.loss):.6f}; wrote {a.out}")


if __name__ == "__main__":
    main()
