#!/usr/bin/env python3
"""Checks that adapters written by SwarmTune load in PEFT and compute what they should.

For each adapter directory: builds the tiny random Llama of peft_fixture.py, loads the adapter
with PeftModel.from_pretrained (failing on missing or unexpected keys), checks every loaded
factor equals the file's tensor, and checks the forward pass equals a hand-computed one: for
LoRA, the base model with W + scale·B·A merged in; for DoRA, PEFT's merge_and_unload output
against that hand merge with the magnitude applied. Prints one line per adapter.

Usage: SWARMTUNE_PEFT_EXPORT=/tmp/x swift test --filter PEFTExportTests
       scripts/reference/peft_verify.py /tmp/x/swift_lora_f32 /tmp/x/swift_dora_bf16 ...
"""
import json, os, sys

import torch
from safetensors import safe_open
from peft import PeftModel

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peft_fixture import tiny_model  # noqa: E402


def verify(path):
    with open(os.path.join(path, "adapter_config.json")) as f:
        cfg = json.load(f)
    base = tiny_model()
    reference = tiny_model()
    ids = torch.randint(0, 64, (2, 7), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        base_logits = base(ids).logits.clone()
    model = PeftModel.from_pretrained(base, path)
    model.eval()
    with safe_open(os.path.join(path, "adapter_model.safetensors"), "pt") as f:
        meta = f.metadata()
        stored = {k: f.get_tensor(k).float() for k in f.keys()}
    loaded = {}
    for name, p in model.named_parameters():
        if "lora_" in name:
            key = name.replace(".default", "")
            if key.endswith("lora_magnitude_vector.weight"):
                key = key[: -len(".weight")]
            loaded[key] = p.detach().float()
    missing = sorted(set(loaded) - set(stored))
    extra = sorted(set(stored) - set(loaded))
    assert not missing and not extra, f"missing in file {missing[:3]}, not loaded {extra[:3]}"
    for k in stored:
        assert torch.equal(loaded[k], stored[k]), f"{k} differs after loading"

    r, alpha = cfg["r"], cfg["lora_alpha"]
    scale = alpha / (r ** 0.5) if cfg.get("use_rslora") else alpha / r
    with torch.no_grad():
        peft_logits = model(ids).logits
        for name, module in reference.named_modules():
            prefix = "base_model.model." + name
            a = stored.get(prefix + ".lora_A.weight")
            if a is None:
                continue
            b = stored[prefix + ".lora_B.weight"]
            w = module.weight + scale * (b @ a)
            m = stored.get(prefix + ".lora_magnitude_vector")
            if m is not None:
                w = m.unsqueeze(1) * w / w.norm(p=2, dim=1, keepdim=True)
            module.weight.copy_(w)
        hand_logits = reference(ids).logits
    diff = (peft_logits - hand_logits).abs().max().item()
    moved = (peft_logits - base_logits).abs().max().item()
    assert diff < 1e-4, f"PEFT forward differs from the hand merge by {diff}"
    assert moved > 1e-3, "the adapter does not change the output"
    print(f"OK {path}: {len(stored)} tensors, scale {scale:.4f}, |peft - hand merge| = {diff:.2e}, "
          f"|adapted - base| = {moved:.3f}, provenance seed {meta.get('swarmtune.seed')}")


if __name__ == "__main__":
    for p in sys.argv[1:]:
        verify(p)
