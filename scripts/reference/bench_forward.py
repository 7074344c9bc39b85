#!/usr/bin/env python3
"""Reference forward-pass speeds for `swarmtune bench forward --reference`.

Runs the same token ids through transformers (fp32, weights dequantized from the GGUF) and
llama.cpp (llama-cpp-python on the same GGUF file), and prints one JSON line per engine:
{"engine", "prefillTokensPerSecond", "decodeTokensPerSecond", "peakRSSBytes"}.
Each engine runs in its own subprocess so peak RSS is its own.
"""
import argparse, json, os, resource, subprocess, sys, time


def bench_transformers(model, ids, decode, threads):
    import torch
    from transformers import AutoModelForCausalLM
    torch.set_num_threads(threads)
    d, f = os.path.split(os.path.abspath(model))
    m = AutoModelForCausalLM.from_pretrained(d, gguf_file=f, dtype=torch.float32).eval()
    with torch.no_grad():
        m(torch.tensor([ids[:8]]))
        t0 = time.perf_counter()
        out = m(torch.tensor([ids]), use_cache=True)
        t1 = time.perf_counter()
        past, last = out.past_key_values, out.logits[0, -1]
        for _ in range(decode):
            nxt = int(torch.argmax(last))
            out = m(torch.tensor([[nxt]]), past_key_values=past, use_cache=True)
            past, last = out.past_key_values, out.logits[0, -1]
        t2 = time.perf_counter()
    return len(ids) / (t1 - t0), decode / (t2 - t1)


def bench_llamacpp(model, ids, decode, threads):
    from llama_cpp import Llama
    llm = Llama(model_path=model, n_ctx=len(ids) + decode + 8, n_threads=threads, n_threads_batch=threads,
                n_batch=512, verbose=False, logits_all=False)
    llm.eval(ids[:8])
    llm.reset()
    t0 = time.perf_counter()
    llm.eval(ids)
    t1 = time.perf_counter()
    for _ in range(decode):
        nxt = llm.sample(temp=0.0)  # greedy
        llm.eval([nxt])
    t2 = time.perf_counter()
    return len(ids) / (t1 - t0), decode / (t2 - t1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--ids", required=True, help="JSON file with the prompt token ids")
    ap.add_argument("--decode-tokens", type=int, default=128)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--engine", choices=["transformers", "llama.cpp"], help="run one engine in this process")
    a = ap.parse_args()
    ids = json.load(open(a.ids))
    if a.engine:
        fn = bench_transformers if a.engine == "transformers" else bench_llamacpp
        try:
            p, d = fn(a.model, ids, a.decode_tokens, a.threads)
        except ImportError as e:
            print(f"bench_forward: {a.engine} unavailable: {e}", file=sys.stderr)
            return
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        print(json.dumps({"engine": a.engine, "prefillTokensPerSecond": p, "decodeTokensPerSecond": d, "peakRSSBytes": rss}))
        return
    for engine in ["transformers", "llama.cpp"]:
        r = subprocess.run([sys.executable, __file__, "--model", a.model, "--ids", a.ids, "--decode-tokens",
                            str(a.decode_tokens), "--threads", str(a.threads), "--engine", engine],
                           stdout=subprocess.PIPE, text=True)
        sys.stdout.write(r.stdout)
        sys.stdout.flush()


if __name__ == "__main__":
    main()
