#!/usr/bin/env python3
"""Golden PEFT adapter directories for SwarmTune's Adapters tests.

Builds a tiny random LlamaForCausalLM (2 layers, hidden 16, intermediate 24, 4 heads of 4,
2 key/value heads), wraps it with PEFT, gives every factor a seeded non-trivial value and saves
two adapters with save_pretrained:

  peft_tiny/       LoRA r=2, alpha=4, targets q_proj and down_proj, float32
  peft_tiny_dora/  DoRA r=2, alpha=8, rsLoRA, targets k_proj and v_proj, bfloat16

plus expected.json (the tiny model's dimensions and every tensor's dtype, shape and values as
PEFT holds them in memory) for the Swift tests to compare against. PEFT's README.md is dropped.

Usage: scripts/reference/peft_fixture.py [--out Tests/AdaptersTests/Fixtures]
"""
import argparse, json, os, shutil

import torch
from transformers import LlamaConfig, LlamaForCausalLM
from peft import LoraConfig, get_peft_model

TINY = dict(vocab_size=64, hidden_size=16, intermediate_size=24, num_hidden_layers=2,
            num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64)


def tiny_model(seed=0):
    torch.manual_seed(seed)
    return LlamaForCausalLM(LlamaConfig(**TINY))


def build(out_dir, name, lora_config, dtype, seed):
    model = tiny_model()
    peft_model = get_peft_model(model, lora_config)
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for pname, p in peft_model.named_parameters():
            if "lora_" in pname:
                p.copy_(torch.randn(p.shape, generator=gen) * 0.1 + (1.0 if "magnitude" in pname else 0.0))
    peft_model = peft_model.to(dtype)
    path = os.path.join(out_dir, name)
    shutil.rmtree(path, ignore_errors=True)
    peft_model.save_pretrained(path)
    readme = os.path.join(path, "README.md")
    if os.path.exists(readme):
        os.remove(readme)
    from safetensors import safe_open
    tensors = {}
    with safe_open(os.path.join(path, "adapter_model.safetensors"), "pt") as f:
        for key in sorted(f.keys()):
            t = f.get_tensor(key)
            tensors[key] = {"dtype": str(t.dtype).replace("torch.", ""), "shape": list(t.shape),
                            "values": [float(v) for v in t.float().flatten().tolist()]}
    return tensors


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(root, "Tests", "AdaptersTests", "Fixtures"))
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    expected = {"model": TINY, "adapters": {}}
    expected["adapters"]["peft_tiny"] = build(a.out, "peft_tiny", LoraConfig(
        r=2, lora_alpha=4, lora_dropout=0.0, target_modules=["q_proj", "down_proj"],
        bias="none", task_type="CAUSAL_LM"), torch.float32, seed=1)
    expected["adapters"]["peft_tiny_dora"] = build(a.out, "peft_tiny_dora", LoraConfig(
        r=2, lora_alpha=8, lora_dropout=0.05, target_modules=["k_proj", "v_proj"], use_dora=True,
        use_rslora=True, bias="none", task_type="CAUSAL_LM"), torch.bfloat16, seed=2)
    with open(os.path.join(a.out, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")
    print("wrote", a.out)


if __name__ == "__main__":
    main()
