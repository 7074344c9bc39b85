#!/usr/bin/env python3
"""Tiny Llama 3 and Qwen2 cores (random weights) and their golden figures from transformers + PEFT.

For each architecture the script
  1. builds the model from transformers' own config class (LlamaConfig with Llama 3.1 rope
     scaling, untied output, grouped-query attention; Qwen2Config with q/k/v biases, tied
     embeddings, rope base 1e6), with seeded random weights rounded to f16 so the F16 GGUF holds
     them exactly;
  2. writes it to GGUF with gguf-py as llama.cpp's convert_hf_to_gguf.py does: tensor names, Q/K
     rows permuted per head for `llama` (not for `qwen2`, which llama.cpp runs with NEOX rope),
     `rope_freqs.weight` from the Llama 3 scaling, a small byte-level BPE tokenizer
     (`tokenizer.ggml.pre` = "llama-bpe" / "qwen2");
  3. loads the GGUF back with transformers (`gguf_file=`) and checks it gives the original
     model's logits (printed; for Llama 3 transformers' GGUF loader does not read rope scaling,
     so only the Qwen2 load-back is expected to agree at every position);
  4. records last-position logits of two prompts (the original model, fp32) and LoRA loss and
     gradient norms with PEFT on all seven projections, the adapter values from the same
     counter-based hash as lora_fixtures.py (Hugging Face row order).

Outputs (committed): Tests/LMTests/Fixtures/tiny-<arch>.gguf and tiny-<arch>.json.
Usage: scripts/reference/arch_fixtures.py [--out-dir Tests/LMTests/Fixtures]
"""
import argparse, json, math, os, sys

import numpy as np
import torch
import gguf
import transformers
from transformers import LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM, AutoModelForCausalLM
from peft import LoraConfig, get_peft_model

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lora_fixtures import hashed, MODULES  # noqa: E402

VOCAB_MERGES = [("Ġ", "t"), ("h", "e"), ("Ġt", "he"), ("i", "n"), ("Ġ", "a"), ("e", "r"), ("o", "n"), ("Ġ", "s"),
                ("r", "e"), ("a", "t"), ("e", "n"), ("Ġ", "w"), ("o", "r"), ("i", "t"), ("Ġ", "c"), ("e", "s")]
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return [chr(c) for _, c in sorted(zip(bs, cs))]


def vocabulary():
    tokens = bytes_to_unicode()
    for a, b in VOCAB_MERGES:
        tokens.append(a + b)
    types = [gguf.TokenType.NORMAL] * len(tokens)
    tokens += SPECIALS
    types += [gguf.TokenType.CONTROL] * len(SPECIALS)
    return tokens, types, [f"{a} {b}" for a, b in VOCAB_MERGES]


def llama_permute(w, n_head):
    """convert_hf_to_gguf.py's LlamaModel.permute: each head's rotary pairs made adjacent."""
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def llama3_rope_factors(cfg):
    """convert_hf_to_gguf.py's Llama 3 `rope_freqs`: 1 / (scaled inverse frequency / inverse frequency)."""
    rs = cfg.rope_parameters if hasattr(cfg, "rope_parameters") else cfg.rope_scaling
    base = rs.get("rope_theta", getattr(cfg, "rope_theta", 10000.0))
    dim = cfg.hidden_size // cfg.num_attention_heads
    freqs = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.float32) / dim))
    factor, low, high = rs["factor"], rs["low_freq_factor"], rs["high_freq_factor"]
    old = rs["original_max_position_embeddings"]
    low_wavelen, high_wavelen = old / low, old / high
    out = []
    for f in freqs.tolist():
        wavelen = 2 * math.pi / f
        if wavelen < high_wavelen:
            out.append(1.0)
        elif wavelen > low_wavelen:
            out.append(factor)
        else:
            smooth = (old / wavelen - low) / (high - low)
            out.append(1 / ((1 - smooth) / factor + smooth))
    return np.array(out, dtype=np.float32)


def make_model(arch, vocab_size, eos):
    common = dict(vocab_size=vocab_size, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                  num_attention_heads=4, num_key_value_heads=2, rms_norm_eps=1e-5, max_position_embeddings=256,
                  eos_token_id=eos, bos_token_id=eos, initializer_range=0.08)
    if arch == "llama3":
        cfg = LlamaConfig(**common, tie_word_embeddings=False,
                          rope_parameters={"rope_type": "llama3", "rope_theta": 10000.0, "factor": 8.0,
                                           "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                           "original_max_position_embeddings": 64})
        model = LlamaForCausalLM(cfg)
    else:
        cfg = Qwen2Config(**common, tie_word_embeddings=True, rope_parameters={"rope_type": "default", "rope_theta": 1e6},
                          use_sliding_window=False)
        model = Qwen2ForCausalLM(cfg)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight"):
                p.copy_(1 + 0.2 * torch.randn_like(p))
            elif name.endswith(".bias"):
                p.copy_(0.3 * torch.randn_like(p))
            p.copy_(p.half().float())  # exactly representable in the F16 file
    return cfg, model.float().eval()


def write_gguf(path, arch, cfg, model, tokens, types, merges, eos):
    ga = "llama" if arch == "llama3" else "qwen2"
    w = gguf.GGUFWriter(path, ga)
    w.add_name(f"tiny-{arch}")
    w.add_context_length(cfg.max_position_embeddings)
    w.add_embedding_length(cfg.hidden_size)
    w.add_block_count(cfg.num_hidden_layers)
    w.add_feed_forward_length(cfg.intermediate_size)
    w.add_head_count(cfg.num_attention_heads)
    w.add_head_count_kv(cfg.num_key_value_heads)
    w.add_rope_dimension_count(cfg.hidden_size // cfg.num_attention_heads)
    w.add_rope_freq_base(float(cfg.rope_parameters["rope_theta"]))
    w.add_layer_norm_rms_eps(cfg.rms_norm_eps)
    w.add_vocab_size(cfg.vocab_size)
    w.add_file_type(gguf.LlamaFileType.MOSTLY_F16)
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("llama-bpe" if arch == "llama3" else "qwen2")
    w.add_token_list(tokens)
    w.add_token_types(types)
    w.add_token_merges(merges)
    w.add_bos_token_id(eos)
    w.add_eos_token_id(eos)
    w.add_add_bos_token(False)
    sd = {k: v.detach().numpy() for k, v in model.state_dict().items()}
    h, hkv = cfg.num_attention_heads, cfg.num_key_value_heads

    def f16(x):
        return np.ascontiguousarray(x.astype(np.float16))

    def f32(x):
        return np.ascontiguousarray(x.astype(np.float32))

    w.add_tensor("token_embd.weight", f16(sd["model.embed_tokens.weight"]))
    if not cfg.tie_word_embeddings:
        w.add_tensor("output.weight", f16(sd["lm_head.weight"]))
    w.add_tensor("output_norm.weight", f32(sd["model.norm.weight"]))
    if arch == "llama3":
        w.add_tensor("rope_freqs.weight", llama3_rope_factors(cfg))
    for i in range(cfg.num_hidden_layers):
        p, b = f"model.layers.{i}.", f"blk.{i}."
        q, k = sd[p + "self_attn.q_proj.weight"], sd[p + "self_attn.k_proj.weight"]
        if arch == "llama3":
            q, k = llama_permute(q, h), llama_permute(k, hkv)
        w.add_tensor(b + "attn_norm.weight", f32(sd[p + "input_layernorm.weight"]))
        w.add_tensor(b + "attn_q.weight", f16(q))
        w.add_tensor(b + "attn_k.weight", f16(k))
        w.add_tensor(b + "attn_v.weight", f16(sd[p + "self_attn.v_proj.weight"]))
        if arch == "qwen2":
            for n in "qkv":
                w.add_tensor(b + f"attn_{n}.bias", f32(sd[p + f"self_attn.{n}_proj.bias"]))
        w.add_tensor(b + "attn_output.weight", f16(sd[p + "self_attn.o_proj.weight"]))
        w.add_tensor(b + "ffn_norm.weight", f32(sd[p + "post_attention_layernorm.weight"]))
        w.add_tensor(b + "ffn_gate.weight", f16(sd[p + "mlp.gate_proj.weight"]))
        w.add_tensor(b + "ffn_up.weight", f16(sd[p + "mlp.up_proj.weight"]))
        w.add_tensor(b + "ffn_down.weight", f16(sd[p + "mlp.down_proj.weight"]))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def lora_golden(model, ids, labels, rank=4, alpha=8, b_bound=0.05):
    cfg = LoraConfig(r=rank, lora_alpha=alpha, lora_dropout=0.0, target_modules=MODULES, bias="none", task_type="CAUSAL_LM")
    pm = get_peft_model(model, cfg)
    with torch.no_grad():
        for li, layer in enumerate(pm.base_model.model.model.layers):
            for mi, name in enumerate(MODULES):
                mod = getattr(layer.self_attn if name in MODULES[:4] else layer.mlp, name)
                A, B = mod.lora_A["default"].weight, mod.lora_B["default"].weight
                A.copy_(torch.from_numpy(hashed(li, mi, 0, A.shape[0], A.shape[1], 1 / np.sqrt(A.shape[1]))))
                B.copy_(torch.from_numpy(hashed(li, mi, 1, B.shape[0], B.shape[1], b_bound)))
    out = pm(input_ids=torch.tensor(ids), labels=torch.tensor(labels))
    out.loss.backward()
    norms = {}
    for li, layer in enumerate(pm.base_model.model.model.layers):
        for mi, name in enumerate(MODULES):
            mod = getattr(layer.self_attn if name in MODULES[:4] else layer.mlp, name)
            norms[f"{li}.{name}.A"] = float(mod.lora_A["default"].weight.grad.double().norm())
            norms[f"{li}.{name}.B"] = float(mod.lora_B["default"].weight.grad.double().norm())
    loss = float(out.loss)
    pm.unload()
    return {"rank": rank, "alpha": alpha, "bBound": b_bound, "modules": MODULES, "loss": loss, "gradNorms": norms}


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap = argparse.ArgumentParser()
    ap.add_argument("--out-dir", default=os.path.join(root, "Tests", "LMTests", "Fixtures"))
    a = ap.parse_args()
    tokens, types, merges = vocabulary()
    eos = tokens.index("<|endoftext|>")
    for seed, arch in enumerate(["llama3", "qwen2"]):
        torch.manual_seed(1000 + seed)
        cfg, model = make_model(arch, len(tokens), eos)
        path = os.path.join(a.out_dir, f"tiny-{arch}.gguf")
        write_gguf(path, arch, cfg, model, tokens, types, merges, eos)
        # Prompts: 40 and 96 tokens (past the Llama 3 scaling's 64 original positions).
        prompts = [[(i * 37 + 11) % 256 for i in range(40)], [(i * i * 13 + 5 * i + 3) % len(tokens) for i in range(96)]]
        with torch.no_grad():
            last = [model(input_ids=torch.tensor([p])).logits[0, -1].tolist() for p in prompts]
            full = model(input_ids=torch.tensor([prompts[1]])).logits[0]
        d, f = os.path.split(path)
        back = AutoModelForCausalLM.from_pretrained(d, gguf_file=f, dtype=torch.float32).eval()
        with torch.no_grad():
            bfull = back(input_ids=torch.tensor([prompts[1]])).logits[0]
        diff = (bfull - full).abs().max(dim=-1).values
        if arch == "llama3":
            # transformers' GGUF loader does not read Llama 3 rope scaling: compare the load-back
            # with the original weights under plain rope, which checks names and the Q/K permutation.
            plain = LlamaForCausalLM(LlamaConfig(**{**cfg.to_dict(), "rope_parameters": {"rope_type": "default",
                                                                                          "rope_theta": 10000.0}}))
            plain.load_state_dict(model.state_dict())
            with torch.no_grad():
                pdiff = (back(input_ids=torch.tensor([prompts[1]])).logits[0]
                         - plain.float().eval()(input_ids=torch.tensor([prompts[1]])).logits[0]).abs().max()
            print(f"{arch}: load-back vs the original weights with plain rope, max |logit diff| {float(pdiff):.3g}")
        else:
            pdiff = diff.max()
        print(f"{arch}: transformers' GGUF load-back vs the original model, max |logit diff| "
              f"positions 0-63 {float(diff[:64].max()):.3g}, 64-95 {float(diff[64:].max()):.3g}")
        ids = [[(i * 7919 + b * 104729 + 17) % len(tokens) for i in range(32)] for b in range(2)]
        labels = [[-100 if i < 8 else t for i, t in enumerate(row)] for row in ids]
        lora = lora_golden(model, ids, labels)
        result = {"meta": {"generator": "scripts/reference/arch_fixtures.py", "torch": torch.__version__,
                           "transformers": transformers.__version__, "peft": __import__("peft").__version__,
                           "gguf": gguf.__version__ if hasattr(gguf, "__version__") else "?",
                           "architecture": "llama" if arch == "llama3" else "qwen2",
                           "loadBackMaxDiff": [float(diff[:64].max()), float(diff[64:].max())],
                           "loadBackPlainRopeMaxDiff": float(pdiff)},
                  "prompts": prompts, "lastLogits": last, "lora": dict(lora, ids=ids, labels=labels)}
        with open(os.path.join(a.out_dir, f"tiny-{arch}.json"), "w") as fh:
            json.dump(result, fh)
        print(f"{arch}: wrote {path} ({os.path.getsize(path)} bytes); LoRA loss {lora['loss']:.6f}")


if __name__ == "__main__":
    main()
