#!/usr/bin/env python3
"""Re-quantize a GGUF core with llama.cpp's own quantizer (llama_cpp.llama_model_quantize).

The decode comparisons of issue 13 run swarmtune and llama.cpp on the same file; this makes the
Q4_K_M, Q5_K_M and Q6_K files from the real core the way llama.cpp's llama-quantize would
(allow_requantize: the source is already Q4_1). Output names: <stem>.<TYPE>.from-<src type>.gguf
beside the source unless --out-dir says otherwise.

  .venv-ref/bin/python scripts/reference/llamacpp_quantize.py models/SmolLM2-135M-Instruct.Q4_1.gguf Q4_K_M Q6_K
"""
import argparse
import os
import sys

import llama_cpp

FTYPES = {
    "Q4_0": llama_cpp.LLAMA_FTYPE_MOSTLY_Q4_0,
    "Q4_1": llama_cpp.LLAMA_FTYPE_MOSTLY_Q4_1,
    "Q5_0": llama_cpp.LLAMA_FTYPE_MOSTLY_Q5_0,
    "Q5_1": llama_cpp.LLAMA_FTYPE_MOSTLY_Q5_1,
    "Q8_0": llama_cpp.LLAMA_FTYPE_MOSTLY_Q8_0,
    "Q2_K": llama_cpp.LLAMA_FTYPE_MOSTLY_Q2_K,
    "Q3_K_M": llama_cpp.LLAMA_FTYPE_MOSTLY_Q3_K_M,
    "Q4_K_M": llama_cpp.LLAMA_FTYPE_MOSTLY_Q4_K_M,
    "Q5_K_M": llama_cpp.LLAMA_FTYPE_MOSTLY_Q5_K_M,
    "Q6_K": llama_cpp.LLAMA_FTYPE_MOSTLY_Q6_K,
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("source", help="the GGUF core to re-quantize")
    ap.add_argument("types", nargs="+", choices=sorted(FTYPES), help="llama.cpp file types to make")
    ap.add_argument("--out-dir", help="where to write (default: beside the source)")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args()

    if not os.path.isfile(args.source):
        print(f"llamacpp_quantize: {args.source}: no such file", file=sys.stderr)
        return 1
    out_dir = args.out_dir or os.path.dirname(os.path.abspath(args.source))
    stem = os.path.basename(args.source)
    if stem.endswith(".gguf"):
        stem = stem[: -len(".gguf")]
    base, _, src_type = stem.rpartition(".")
    if not base:
        base, src_type = stem, "source"
    for name in args.types:
        out = os.path.join(out_dir, f"{base}.{name}.from-{src_type}.gguf")
        params = llama_cpp.llama_model_quantize_default_params()
        params.ftype = FTYPES[name]
        params.allow_requantize = True
        params.nthread = args.threads
        rc = llama_cpp.llama_model_quantize(args.source.encode(), out.encode(), params)
        if rc != 0:
            print(f"llamacpp_quantize: llama.cpp failed to write {name} to {out} (code {rc})", file=sys.stderr)
            return 1
        print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
