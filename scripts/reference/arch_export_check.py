#!/usr/bin/env python3
"""Checks SwarmTune's exports on the tiny Llama 3 and Qwen2 cores against PEFT and llama.cpp.

Input: the directory the Swift test writes:

    SWARMTUNE_ARCH_EXPORT=/tmp/archexp swift test --filter ArchitectureExportTests
    scripts/reference/arch_export_check.py /tmp/archexp

For each architecture it rebuilds the transformers model of arch_fixtures.py (the same hashed
weights the Swift test wrote to the core; checked against transformers' load of that core), then reports the max |logit difference| at
the prompt's last position between SwarmTune's core + adapter and
  1. PEFT: PeftModel.from_pretrained(model, <peft dir>) (fails on missing or unexpected keys);
  2. llama.cpp (llama-cpp-python, when installed): the core with the exported GGUF LoRA;
  3. llama.cpp: the merged f32 core;
and llama.cpp on the core alone against SwarmTune's core alone. Exits 1 when a figure exceeds its
limit: 1e-4 for transformers and PEFT (both fp32 throughout), 2e-3 for llama.cpp, whose CPU
matmuls round the activations to f16 when the weights are f16 (the cores here are F16).
"""
import json, os, sys

import numpy as np
import torch
from peft import PeftModel
from transformers import AutoModelForCausalLM

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from arch_fixtures import build  # noqa: E402

LIMITS = {"transformers": 1e-4, "PEFT": 1e-4, "llama.cpp": 2e-3}


def original_model(arch):
    """transformers' model of the reference core (the values the Swift test wrote to its GGUF)."""
    return build(arch)[3]


def llama_cpp_logits(core, prompt, lora=None):
    from llama_cpp import Llama
    kwargs = dict(model_path=core, n_ctx=128, n_batch=128, n_threads=2, logits_all=True, verbose=False)
    if lora:
        kwargs["lora_path"] = lora
    llm = Llama(**kwargs)
    llm.eval(prompt)
    return np.array(llm.scores[len(prompt) - 1], dtype=np.float64)


def main():
    d = sys.argv[1]
    with open(os.path.join(d, "arch_export.json")) as f:
        runs = json.load(f)
    try:
        import llama_cpp  # noqa: F401
        have_llama = True
    except ImportError:
        have_llama = False
        print("llama-cpp-python is not installed: only the PEFT check runs")
    failures = []
    for arch, r in runs.items():
        prompt, ours, ours_base = r["prompt"], np.array(r["adapter_logits"]), np.array(r["base_logits"])
        model = original_model(arch)
        cdir, cfile = os.path.split(r["core"])
        back = AutoModelForCausalLM.from_pretrained(cdir, gguf_file=cfile, dtype=torch.float32)
        sd, bsd = model.state_dict(), back.state_dict()
        same = all(torch.equal(sd[k], bsd[k]) for k in sd if k in bsd and "rotary" not in k)
        print(f"{arch}: original weights equal transformers' load of {cfile}: {same}")
        if not same:
            failures.append(f"{arch}: weights")
        with torch.no_grad():
            base = model(input_ids=torch.tensor([prompt])).logits[0, -1].double().numpy()
        peft = PeftModel.from_pretrained(model, r["peft"]).eval()
        with torch.no_grad():
            adapted = peft(input_ids=torch.tensor([prompt])).logits[0, -1].double().numpy()
        figures = {"transformers core alone": np.abs(base - ours_base).max(),
                   "PEFT core + adapter": np.abs(adapted - ours).max()}
        if have_llama:
            figures["llama.cpp core alone"] = np.abs(llama_cpp_logits(r["core"], prompt) - ours_base).max()
            figures["llama.cpp core + GGUF LoRA"] = np.abs(llama_cpp_logits(r["core"], prompt, r["lora_gguf"]) - ours).max()
            figures["llama.cpp merged f32 core"] = np.abs(llama_cpp_logits(r["merged_gguf"], prompt) - ours).max()
        moved = np.abs(ours - ours_base).max()
        for name, v in figures.items():
            limit = LIMITS[name.split()[0]]
            print(f"{arch}: {name} vs SwarmTune, max |logit diff| {v:.3g} (limit {limit:g}; "
                  f"the adapter moves logits by up to {moved:.3g})")
            if not v <= limit:
                failures.append(f"{arch}: {name}")
    print("all within their limits" if not failures else "over the limit: " + ", ".join(failures))
    sys.exit(0 if not failures else 1)


if __name__ == "__main__":
    main()
