#!/usr/bin/env python3
"""Reference LoRA training speed for `swarmtune bench train --reference`: PyTorch + PEFT, fp32,
weights dequantized from the same GGUF, same batch shape, rank and targets, AdamW.
Prints one JSON line: {"engine", "tokensPerSecond", "secondsPerStep", "peakRSSBytes"}.
"""
import argparse, json, os, resource, time

import torch
from transformers import AutoModelForCausalLM
from peft import LoraConfig, get_peft_model

NAMES = {"q": "q_proj", "k": "k_proj", "v": "v_proj", "o": "o_proj", "gate": "gate_proj", "up": "up_proj", "down": "down_proj"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--seq-len", type=int, default=128)
    ap.add_argument("--rank", type=int, default=8)
    ap.add_argument("--targets", default="q,k,v,o")
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    d, f = os.path.split(os.path.abspath(a.model))
    model = AutoModelForCausalLM.from_pretrained(d, gguf_file=f, dtype=torch.float32)
    cfg = LoraConfig(r=a.rank, lora_alpha=2 * a.rank, lora_dropout=0.0,
                     target_modules=[NAMES[t] for t in a.targets.split(",")], task_type="CAUSAL_LM")
    pm = get_peft_model(model, cfg)
    pm.train()
    opt = torch.optim.AdamW([p for p in pm.parameters() if p.requires_grad], lr=1e-4)
    g = torch.Generator().manual_seed(1)
    ids = torch.randint(100, 49000, (a.batch, a.seq_len), generator=g)
    labels = ids.clone()
    labels[:, : a.seq_len // 4] = -100

    def step():
        opt.zero_grad()
        pm(input_ids=ids, labels=labels).loss.backward()
        opt.step()

    step()  # warm-up
    t0 = time.perf_counter()
    for _ in range(a.steps):
        step()
    dt = (time.perf_counter() - t0) / a.steps
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"engine": "pytorch+peft", "tokensPerSecond": a.batch * a.seq_len / dt, "secondsPerStep": dt,
                      "peakRSSBytes": rss}))


if __name__ == "__main__":
    main()
