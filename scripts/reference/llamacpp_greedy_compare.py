#!/usr/bin/env python3
"""Greedy generation of SwarmTune and llama.cpp (llama-cpp-python) on the same GGUF file.

For each prompt, both render it in SmolLM2's chat template (ChatML with the default system turn)
and decode greedily; the texts are compared. Where they differ, the first differing token is
located in llama.cpp's own decode and its top-2 logit gap there is printed: a gap of a few
hundredths is a near tie (two kernels rounding differently pick different tokens), a large gap
is a real disagreement.

With --transformers, transformers (fp32, the file's weights dequantized by gguf-py) decodes the
same prompts greedily too, and at each point where llama.cpp parts from SwarmTune the script
prints how far llama.cpp's logits are from transformers' there (llama.cpp rounds activations to
8 bits for quantized weights, so its logits carry an error of its own); SwarmTune's text is
compared with transformers' as well.

Usage: scripts/reference/llamacpp_greedy_compare.py --model CORE.gguf [--swarmtune .build/release/swarmtune] [--transformers]
"""
import argparse, subprocess

import numpy as np
import os, sys
from llama_cpp import Llama

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from llamacpp_compat import without_extra_buffer_types  # noqa: E402

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--swarmtune", default=".build/release/swarmtune")
    ap.add_argument("--max-tokens", type=int, default=48)
    ap.add_argument("--transformers", action="store_true")
    a = ap.parse_args()
    hf = None
    if a.transformers:
        import torch
        from transformers import AutoModelForCausalLM
        torch.set_num_threads(2)
        d, f = os.path.split(os.path.abspath(a.model))
        hf = AutoModelForCausalLM.from_pretrained(d, gguf_file=f, dtype=torch.float32).eval()
    same_hf = 0
    without_extra_buffer_types()
    llm = Llama(model_path=a.model, n_ctx=512, n_threads=2, logits_all=True, verbose=False)
    end = llm.tokenize(b"<|im_end|>", add_bos=False, special=True)[0]
    same = 0
    for p in PROMPTS:
        prompt = f"<|im_start|>system\n{SYSTEM}<|im_end|>\n<|im_start|>user\n{p}<|im_end|>\n<|im_start|>assistant\n"
        llm.reset()
        ids = llm.tokenize(prompt.encode(), add_bos=False, special=True)
        llm.eval(ids)
        out, gaps = [], []
        for _ in range(a.max_tokens):
            logits = np.array(llm.scores[llm.n_tokens - 1])
            top = np.argsort(logits)[-2:]
            gaps.append(float(logits[top[1]] - logits[top[0]]))
            t = int(top[1])
            if t == end:
                break
            out.append(t)
            llm.eval([t])
        ref = llm.detokenize(out).decode("utf-8", errors="replace")
        hf_text = None
        if hf is not None:
            import torch
            seq = list(ids)
            with torch.no_grad():
                for _ in range(a.max_tokens):
                    t = int(hf(input_ids=torch.tensor([seq])).logits[0, -1].argmax())
                    if t == end:
                        break
                    seq.append(t)
            hf_text = llm.detokenize(seq[len(ids):]).decode("utf-8", errors="replace")
        ours = subprocess.run([a.swarmtune, "generate", "--model", a.model, "--chat", "--greedy", "--prompt", p,
                               "--max-tokens", str(a.max_tokens), "--threads", "2"],
                              capture_output=True, text=True, check=True).stdout.rstrip("\n")
        if hf_text is not None:
            same_hf += hf_text == ours
            print(f"  transformers (fp32 from the file) {'equals' if hf_text == ours else 'DIFFERS from'} swarmtune"
                  + ("" if hf_text == ours else f": {hf_text!r}"))
        if ours == ref:
            same += 1
            print(f"same ({len(out)} tokens): {p!r} -> {ref!r}")
            continue
        # The first token where the texts part: the longest prefix of llama.cpp's tokens ours starts with.
        k = 0
        while k < len(out) and ours.startswith(llm.detokenize(out[:k + 1]).decode("utf-8", errors="replace")):
            k += 1
        print(f"DIFFERENT at token {k} (llama.cpp's top-2 gap there {gaps[k] if k < len(gaps) else float('nan'):.3f}; "
              f"smallest gap before it {min(gaps[:k]) if k else float('nan'):.3f}): {p!r}\n  llama.cpp: {ref!r}\n  swarmtune: {ours!r}")
        if hf is not None and k < len(out):
            import torch
            prefix = list(ids) + out[:k]
            with torch.no_grad():
                h = hf(input_ids=torch.tensor([prefix])).logits[0, -1].double().numpy()
            llm.reset()
            llm.eval(prefix)
            l = np.array(llm.scores[llm.n_tokens - 1], dtype=np.float64)
            top = np.argsort(h)[-2:]
            print(f"  there: llama.cpp's logits vs transformers' max |diff| {np.abs(l - h).max():.3f}; transformers' top-2 gap "
                  f"{h[top[1]] - h[top[0]]:.3f}, its choice {'= swarmtune' if ours.startswith(llm.detokenize(out[:k] + [int(top[1])]).decode('utf-8', errors='replace')) else '= llama.cpp' if int(top[1]) == out[k] else 'neither'}")
    print(f"{same} of {len(PROMPTS)} prompts give the same greedy text as llama.cpp"
          + (f"; {same_hf} of {len(PROMPTS)} the same as transformers" if hf is not None else ""))


if __name__ == "__main__":
    main()
