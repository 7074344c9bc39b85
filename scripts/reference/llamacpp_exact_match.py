#!/usr/bin/env python3
"""Greedy exact-match of llama.cpp (llama-cpp-python) with a GGUF LoRA adapter (or a merged core)
on instruction data, to set beside `swarmtune eval` on the same file.

Usage: scripts/reference/llamacpp_exact_match.py --model CORE.gguf [--lora ADAPTER.gguf] --data EVAL.jsonl
Prompts are rendered exactly as SwarmTune renders them (SmolLM2's ChatML with its default system turn).
"""
import argparse, json, os, sys

from llama_cpp import Llama

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from llamacpp_compat import without_extra_buffer_types  # noqa: E402

SYSTEM = "You are a helpful AI assistant named SmolLM, trained by Hugging Face"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--lora")
    ap.add_argument("--data", required=True)
    ap.add_argument("--max-tokens", type=int, default=48)
    a = ap.parse_args()
    without_extra_buffer_types()
    kw = {"lora_path": a.lora} if a.lora else {}
    llm = Llama(model_path=a.model, n_ctx=512, n_threads=2, verbose=False, **kw)
    end = llm.tokenize(b"<|im_end|>", add_bos=False, special=True)[0]
    rows = [json.loads(l) for l in open(a.data) if l.strip()]
    correct = 0
    for r in rows:
        user = r["instruction"] + (("\n\n" + r["input"]) if r.get("input") else "")
        prompt = f"<|im_start|>system\n{SYSTEM}<|im_end|>\n<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n"
        ids = llm.tokenize(prompt.encode(), add_bos=False, special=True)
        llm.reset()
        llm.eval(ids)
        out = []
        for _ in range(a.max_tokens):
            t = llm.sample(temp=0.0)
            if t == end or t == llm.token_eos():
                break
            out.append(t)
            llm.eval([t])
        text = llm.detokenize(out).decode("utf-8", "replace").strip()
        correct += text == r["output"].strip()
    print(json.dumps({"engine": "llama.cpp", "lora": a.lora, "correct": correct, "total": len(rows),
                      "exactMatch": correct / max(1, len(rows))}))


if __name__ == "__main__":
    main()
