#!/usr/bin/env python3
"""Tiny Llama 3 and Qwen2 cores and their golden figures from transformers + PEFT.

No model file is committed: every weight comes from a counter-based hash that the Swift tests
reproduce (TestSupport's `ReferenceCore` writes the same GGUF from the spec this script writes).
For each architecture the script
  1. lays out the GGUF tensors as llama.cpp's convert_hf_to_gguf.py writes them (names, Q/K rows
     permuted per head for `llama`, not for `qwen2`, which llama.cpp runs with NEOX rope;
     `rope_freqs.weight` from the Llama 3 scaling) and fills each from splitmix64 of
     (tensor index << 32) + element index: matrices k·2^-14, norms 1 + k·2^-13, biases k·2^-12
     for a 12-bit k in [-2048, 2047], so every value is exact in f16 and f32;
  2. builds the model from transformers' own config class (LlamaConfig with Llama 3.1 rope
     scaling, untied output, grouped-query attention; Qwen2Config with q/k/v biases, tied
     embeddings, rope base 1e6) and loads those values (Q/K rows un-permuted);
  3. writes the GGUF with gguf-py (to --gguf-dir, not committed) and checks that transformers
     loads it back (`gguf_file=`) with the same weights (for Llama 3 transformers' GGUF loader does
     not read rope scaling, so it is compared with the same weights under plain rope);
  4. records last-position logits of two prompts and LoRA loss and gradient norms with PEFT on all
     seven projections, the adapter values from the same counter-based hash as lora_fixtures.py.

Output (committed): Tests/LMTests/Fixtures/tiny-<arch>.json, holding the spec (hyper-parameters,
vocabulary, tensor list) and the figures.
Usage: scripts/reference/arch_fixtures.py [--out-dir Tests/LMTests/Fixtures] [--gguf-dir /tmp/arch-cores]
"""
import argparse, json, math, os, sys

import numpy as np
import torch
import gguf
import transformers
from transformers import LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM, AutoModelForCausalLM
from peft import LoraConfig, get_peft_model

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lora_fixtures import hashed, splitmix, MODULES  # noqa: E402

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


def llama_unpermute(w, n_head):
    """The inverse of llama_permute: a GGUF `llama` file's Q/K rows back in Hugging Face order."""
    return w.reshape(n_head, w.shape[0] // n_head // 2, 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def llama3_rope_factors(cfg):
    """convert_hf_to_gguf.py's Llama 3 `rope_freqs`: 1 / (scaled inverse frequency / inverse frequency)."""
    rs = cfg.rope_parameters
    base = rs["rope_theta"]
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


def make_config(arch, vocab_size, eos):
    common = dict(vocab_size=vocab_size, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                  num_attention_heads=4, num_key_value_heads=2, rms_norm_eps=1e-5, max_position_embeddings=256,
                  eos_token_id=eos, bos_token_id=eos)
    if arch == "llama3":
        return LlamaConfig(**common, tie_word_embeddings=False,
                           rope_parameters={"rope_type": "llama3", "rope_theta": 10000.0, "factor": 8.0,
                                            "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                            "original_max_position_embeddings": 64})
    return Qwen2Config(**common, tie_word_embeddings=True, rope_parameters={"rope_type": "default", "rope_theta": 1e6},
                       use_sliding_window=False)


# Fill kinds: the scale of the 12-bit hashed integer k in [-2048, 2047] and the offset added.
FILLS = {"matrix": (2.0 ** -14, 0.0), "norm": (2.0 ** -13, 1.0), "bias": (2.0 ** -12, 0.0)}


def hashed_values(tensor_index, count, fill):
    """splitmix64 of (tensor_index << 32) + i, top 12 bits as k - 2048, times the fill's scale."""
    idx = np.arange(count, dtype=np.uint64) + np.uint64(tensor_index << 32)
    with np.errstate(over="ignore"):
        z = splitmix(idx)
    k = (z >> np.uint64(52)).astype(np.int64) - 2048
    scale, offset = FILLS[fill]
    return (k.astype(np.float64) * scale + offset).astype(np.float32)


def tensor_layout(arch, cfg):
    """The GGUF tensors in file order: (name, numpy shape [rows, cols] or [n], type, fill)."""
    d, h, hd = cfg.hidden_size, cfg.intermediate_size, cfg.hidden_size // cfg.num_attention_heads
    kv = cfg.num_key_value_heads * hd
    out = [("token_embd.weight", [cfg.vocab_size, d], "f16", "matrix")]
    if not cfg.tie_word_embeddings:
        out.append(("output.weight", [cfg.vocab_size, d], "f16", "matrix"))
    out.append(("output_norm.weight", [d], "f32", "norm"))
    if arch == "llama3":
        out.append(("rope_freqs.weight", [hd // 2], "f32", "values"))
    for i in range(cfg.num_hidden_layers):
        b = f"blk.{i}."
        out += [(b + "attn_norm.weight", [d], "f32", "norm"), (b + "attn_q.weight", [d, d], "f16", "matrix"),
                (b + "attn_k.weight", [kv, d], "f16", "matrix"), (b + "attn_v.weight", [kv, d], "f16", "matrix")]
        if arch == "qwen2":
            out += [(b + "attn_q.bias", [d], "f32", "bias"), (b + "attn_k.bias", [kv], "f32", "bias"),
                    (b + "attn_v.bias", [kv], "f32", "bias")]
        out += [(b + "attn_output.weight", [d, d], "f16", "matrix"), (b + "ffn_norm.weight", [d], "f32", "norm"),
                (b + "ffn_gate.weight", [h, d], "f16", "matrix"), (b + "ffn_up.weight", [h, d], "f16", "matrix"),
                (b + "ffn_down.weight", [d, h], "f16", "matrix")]
    return out


def gguf_tensors(arch, cfg):
    """Every GGUF tensor's values (numpy, file layout) by name, and the spec entries for the JSON."""
    values, spec = {}, []
    for index, (name, shape, dtype, fill) in enumerate(tensor_layout(arch, cfg)):
        if fill == "values":
            v = llama3_rope_factors(cfg)
        else:
            v = hashed_values(index, int(np.prod(shape)), fill).reshape(shape)
        values[name] = v
        entry = {"name": name, "shape": list(reversed(shape)), "type": dtype, "fill": fill}
        if fill == "values":
            entry["values"] = [float(x) for x in v]
        spec.append(entry)
    return values, spec


def make_model(arch, cfg, values):
    """transformers' model of `cfg` holding the GGUF values (Q/K rows back in Hugging Face order)."""
    model = (LlamaForCausalLM if arch == "llama3" else Qwen2ForCausalLM)(cfg)
    t = lambda name: torch.from_numpy(np.ascontiguousarray(values[name], dtype=np.float32))  # noqa: E731
    sd = {"model.embed_tokens.weight": t("token_embd.weight"), "model.norm.weight": t("output_norm.weight")}
    if not cfg.tie_word_embeddings:
        sd["lm_head.weight"] = t("output.weight")
    for i in range(cfg.num_hidden_layers):
        p, b = f"model.layers.{i}.", f"blk.{i}."
        q, k = values[b + "attn_q.weight"], values[b + "attn_k.weight"]
        if arch == "llama3":
            q, k = llama_unpermute(q, cfg.num_attention_heads), llama_unpermute(k, cfg.num_key_value_heads)
        sd[p + "self_attn.q_proj.weight"] = torch.from_numpy(np.ascontiguousarray(q))
        sd[p + "self_attn.k_proj.weight"] = torch.from_numpy(np.ascontiguousarray(k))
        sd[p + "self_attn.v_proj.weight"] = t(b + "attn_v.weight")
        if arch == "qwen2":
            for n in "qkv":
                sd[p + f"self_attn.{n}_proj.bias"] = t(b + f"attn_{n}.bias")
        sd[p + "self_attn.o_proj.weight"] = t(b + "attn_output.weight")
        sd[p + "input_layernorm.weight"] = t(b + "attn_norm.weight")
        sd[p + "post_attention_layernorm.weight"] = t(b + "ffn_norm.weight")
        sd[p + "mlp.gate_proj.weight"] = t(b + "ffn_gate.weight")
        sd[p + "mlp.up_proj.weight"] = t(b + "ffn_up.weight")
        sd[p + "mlp.down_proj.weight"] = t(b + "ffn_down.weight")
    missing, unexpected = model.load_state_dict(sd, strict=False)
    missing = [m for m in missing if not (cfg.tie_word_embeddings and m == "lm_head.weight")]
    assert not missing and not unexpected, (missing, unexpected)
    return model.float().eval()


def metadata(arch, cfg):
    """The hyper-parameters the GGUF carries, as written under `<arch>.` (also in the JSON spec)."""
    return {"context_length": cfg.max_position_embeddings, "embedding_length": cfg.hidden_size,
            "block_count": cfg.num_hidden_layers, "feed_forward_length": cfg.intermediate_size,
            "attention.head_count": cfg.num_attention_heads, "attention.head_count_kv": cfg.num_key_value_heads,
            "rope.dimension_count": cfg.hidden_size // cfg.num_attention_heads,
            "rope.freq_base": float(cfg.rope_parameters["rope_theta"]), "attention.layer_norm_rms_epsilon": cfg.rms_norm_eps,
            "vocab_size": cfg.vocab_size}


def write_gguf(path, arch, cfg, values, spec, tokens, types, merges, eos):
    w = gguf.GGUFWriter(path, "llama" if arch == "llama3" else "qwen2")
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
    for entry in spec:
        v = values[entry["name"]]
        w.add_tensor(entry["name"], np.ascontiguousarray(v.astype(np.float16 if entry["type"] == "f16" else np.float32)))
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
    loss = float(out.loss.detach())
    pm.unload()
    return {"rank": rank, "alpha": alpha, "bBound": b_bound, "modules": MODULES, "loss": loss, "gradNorms": norms}


def build(arch):
    """(config, GGUF values by name, tensor spec, transformers model) of one tiny core."""
    tokens, _, _ = vocabulary()
    cfg = make_config(arch, len(tokens), tokens.index("<|endoftext|>"))
    values, spec = gguf_tensors(arch, cfg)
    return cfg, values, spec, make_model(arch, cfg, values)


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap = argparse.ArgumentParser()
    ap.add_argument("--out-dir", default=os.path.join(root, "Tests", "LMTests", "Fixtures"))
    ap.add_argument("--gguf-dir", default="/tmp/arch-cores", help="where the GGUF files go (not committed)")
    a = ap.parse_args()
    os.makedirs(a.gguf_dir, exist_ok=True)
    tokens, types, merges = vocabulary()
    eos = tokens.index("<|endoftext|>")
    for arch in ["llama3", "qwen2"]:
        cfg, values, spec, model = build(arch)
        path = os.path.join(a.gguf_dir, f"tiny-{arch}.gguf")
        write_gguf(path, arch, cfg, values, spec, tokens, types, merges, eos)
        # Prompts: 40 and 96 tokens (past the Llama 3 scaling's 64 original positions).
        prompts = [[(i * 37 + 11) % 256 for i in range(40)], [(i * i * 13 + 5 * i + 3) % len(tokens) for i in range(96)]]
        with torch.no_grad():
            last = [model(input_ids=torch.tensor([p])).logits[0, -1].tolist() for p in prompts]
        d, f = os.path.split(path)
        back = AutoModelForCausalLM.from_pretrained(d, gguf_file=f, dtype=torch.float32).eval()
        reference = model
        if arch == "llama3":
            # transformers' GGUF loader does not read Llama 3 rope scaling: compare the load-back
            # with the same weights under plain rope, which checks names and the Q/K permutation.
            plain_cfg = LlamaConfig(**{**cfg.to_dict(), "rope_parameters": {"rope_type": "default", "rope_theta": 10000.0}})
            reference = make_model(arch, plain_cfg, values)
        with torch.no_grad():
            diff = float((back(input_ids=torch.tensor([prompts[1]])).logits[0]
                          - reference(input_ids=torch.tensor([prompts[1]])).logits[0]).abs().max())
        print(f"{arch}: transformers' load of the GGUF vs the model it was written from"
              f"{' (plain rope)' if arch == 'llama3' else ''}: max |logit diff| {diff:.3g}")
        ids = [[(i * 7919 + b * 104729 + 17) % len(tokens) for i in range(32)] for b in range(2)]
        labels = [[-100 if i < 8 else t for i, t in enumerate(row)] for row in ids]
        lora = lora_golden(model, ids, labels)
        result = {"meta": {"generator": "scripts/reference/arch_fixtures.py", "torch": torch.__version__,
                           "transformers": transformers.__version__, "peft": __import__("peft").__version__,
                           "loadBackMaxDiff": diff},
                  "spec": {"architecture": "llama" if arch == "llama3" else "qwen2", "name": f"tiny-{arch}",
                           "preTokenizer": "llama-bpe" if arch == "llama3" else "qwen2",
                           "metadata": metadata(arch, cfg), "tokens": tokens, "tokenTypes": [int(t) for t in types],
                           "merges": merges, "eosID": eos, "tensors": spec},
                  "prompts": prompts, "lastLogits": last, "lora": dict(lora, ids=ids, labels=labels)}
        with open(os.path.join(a.out_dir, f"tiny-{arch}.json"), "w") as fh:
            json.dump(result, fh)
        print(f"{arch}: wrote {path} ({os.path.getsize(path)} bytes, not committed); LoRA loss {lora['loss']:.6f}")


if __name__ == "__main__":
    main()
