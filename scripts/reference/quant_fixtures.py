#!/usr/bin/env python3
"""Golden fixtures for SwarmTune's Quant module.

The expected values come from gguf-py (`gguf.quants`), a numpy implementation of ggml's formats
that shares no code with ours. For every block type the script builds a few blocks with seeded
random contents plus edge values, decodes them with `gguf.quants.dequantize`, and for the formats
whose reference quantizer gguf-py implements (F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0) also encodes
seeded float inputs with `gguf.quants.quantize`. It also records the NF4 levels rebuilt from the
QLoRA construction (normal quantiles) so the tests can check the hard-coded code book.

The cases for Q5_0, Q5_1, Q2_K, Q3_K and Q5_K (added later) draw from their own generator
(SEED + 1), so adding them left every earlier case's bytes unchanged.

Output: Tests/QuantTests/Fixtures/quant_golden.json (bytes and float32 values as little-endian hex).

Usage: /work/venv-ref/venv/bin/python scripts/reference/quant_fixtures.py [OUTPUT]
Requires: gguf (0.19), numpy. The normal quantile function for NF4 comes from torch when it is
installed, otherwise from Python's statistics.NormalDist (both accurate to about 1e-15, far inside
the test's 2e-7); the fixture records which one was used.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import gguf
from gguf import GGMLQuantizationType as T
from gguf.quants import dequantize, quantize

SEED = 20250611
rng = np.random.default_rng(SEED)
# The generator of the types added after the first fixture (Q5_0, Q5_1, Q2_K, Q3_K, Q5_K).
rng_new = np.random.default_rng(SEED + 1)

# fp16 bit patterns worth checking: zeros, subnormals, normals at the ends, infinities, NaNs.
F16_EDGES = [0x0000, 0x8000, 0x0001, 0x8001, 0x0200, 0x03FF, 0x0400, 0x83FF, 0x3C00, 0xBC00, 0x3555,
             0x7BFF, 0xFBFF, 0x7C00, 0xFC00, 0x7E00, 0x7C01, 0xFE00, 0x7FFF]
BF16_EDGES = [0x0000, 0x8000, 0x0001, 0x007F, 0x0080, 0x3F80, 0xBF80, 0x7F7F, 0xFF7F, 0x7F80, 0xFF80,
              0x7FC0, 0x7F81, 0xFFC1, 0x4049]


def f32_hex(values) -> str:
    return np.asarray(values, dtype="<f4").tobytes().hex()


def u16_bytes(values) -> bytes:
    return np.asarray(values, dtype="<u2").tobytes()


def sane_f16(count: int, spread: float = 0.05) -> list[int]:
    """fp16 bit patterns of random scales, both signs, magnitudes like real models'."""
    values = rng.normal(0.0, spread, count).astype(np.float16)
    return [int(v) for v in values.view("<u2")]


def random_bytes(count: int) -> bytes:
    return rng.integers(0, 256, count, dtype=np.uint8).tobytes()


def decode_case(qtype: T, name: str, raw: bytes) -> dict:
    data = np.frombuffer(raw, dtype=np.uint8).copy()
    values = np.asarray(dequantize(data, qtype), dtype=np.float32).reshape(-1)
    return {"type": qtype.name, "name": name, "elements": int(values.size),
            "bytes": raw.hex(), "expected": f32_hex(values)}


def encode_case(qtype: T, name: str, values: np.ndarray) -> dict:
    values = np.asarray(values, dtype=np.float32)
    with np.errstate(over="ignore"):                  # overflow to fp16 infinity is a tested edge
        encoded = np.asarray(quantize(values, qtype))
    raw = encoded.view(np.uint8).tobytes()
    return {"type": qtype.name, "name": name, "elements": int(values.size),
            "input": f32_hex(values), "expected": raw.hex()}


def q4_0_block(d: int) -> bytes:
    return u16_bytes([d]) + random_bytes(16)


def q4_1_block(d: int, m: int) -> bytes:
    return u16_bytes([d, m]) + random_bytes(16)


def q8_0_block(d: int) -> bytes:
    return u16_bytes([d]) + random_bytes(32)


def q4_k_block(d: int, dmin: int, scales: bytes | None = None) -> bytes:
    return u16_bytes([d, dmin]) + (scales if scales is not None else random_bytes(12)) + random_bytes(128)


def q6_k_block(d: int, scales: bytes | None = None) -> bytes:
    return random_bytes(128 + 64) + (scales if scales is not None else random_bytes(16)) + u16_bytes([d])


def decode_cases() -> list[dict]:
    cases = []
    # Plain floats.
    f32_edges = np.array([0.0, -0.0, 1.0, -2.5, np.inf, -np.inf, np.nan, 1e-45, -1e-45, 1.17549435e-38,
                          3.4028235e38, -3.4028235e38], dtype=np.float32)
    f32_values = np.concatenate([f32_edges, rng.normal(0, 1, 52).astype(np.float32)])
    cases.append(decode_case(T.F32, "edges+random", f32_values.astype("<f4").tobytes()))
    f16_bits = F16_EDGES + [int(v) for v in rng.integers(0, 1 << 16, 237)]
    cases.append(decode_case(T.F16, "edges+random", u16_bytes(f16_bits)))
    bf16_bits = BF16_EDGES + [int(v) for v in rng.integers(0, 1 << 16, 241)]
    cases.append(decode_case(T.BF16, "edges+random", u16_bytes(bf16_bits)))

    # Q4_0: random blocks, then edge scales (zero, negative zero, subnormal, largest, negative).
    cases.append(decode_case(T.Q4_0, "random", b"".join(q4_0_block(d) for d in sane_f16(6))))
    cases.append(decode_case(T.Q4_0, "edge-scales",
                             b"".join(q4_0_block(d) for d in [0x0000, 0x8000, 0x0001, 0x7BFF, 0xFBFF, 0x3C00])))

    cases.append(decode_case(T.Q4_1, "random",
                             b"".join(q4_1_block(d, m) for d, m in zip(sane_f16(6), sane_f16(6, 0.5)))))
    cases.append(decode_case(T.Q4_1, "edge-scales",
                             b"".join(q4_1_block(d, m) for d, m in [(0x0000, 0x0000), (0x0001, 0x8001),
                                                                    (0x7BFF, 0xFBFF), (0x3C00, 0x7BFF)])))

    cases.append(decode_case(T.Q8_0, "random", b"".join(q8_0_block(d) for d in sane_f16(6))))
    cases.append(decode_case(T.Q8_0, "edge-scales",
                             b"".join(q8_0_block(d) for d in [0x0000, 0x03FF, 0x7BFF, 0xFBFF, 0x7C00])))

    cases.append(decode_case(T.Q4_K, "random",
                             b"".join(q4_k_block(d, m) for d, m in zip(sane_f16(3, 0.01), sane_f16(3, 0.01)))))
    cases.append(decode_case(T.Q4_K, "edge-scales",
                             q4_k_block(0x0000, 0x0000) + q4_k_block(0x7BFF, 0x0001, bytes([0xFF] * 12))
                             + q4_k_block(0x0001, 0x7BFF, bytes([0x00] * 12))))

    cases.append(decode_case(T.Q6_K, "random", b"".join(q6_k_block(d) for d in sane_f16(3, 0.01))))
    cases.append(decode_case(T.Q6_K, "edge-scales",
                             q6_k_block(0x0000) + q6_k_block(0x0001, bytes([0x80] * 16))
                             + q6_k_block(0x7BFF, bytes([0x7F, 0x80, 0xFF, 0x01] * 4))))
    return cases


# ---- Q5_0, Q5_1, Q2_K, Q3_K, Q5_K (their own generator, rng_new) --------------------------------

def new_bytes(count: int) -> bytes:
    return rng_new.integers(0, 256, count, dtype=np.uint8).tobytes()


def new_f16(count: int, spread: float = 0.05) -> list[int]:
    values = rng_new.normal(0.0, spread, count).astype(np.float16)
    return [int(v) for v in values.view("<u2")]


def q5_0_block(d: int, qh: bytes | None = None) -> bytes:
    return u16_bytes([d]) + (qh if qh is not None else new_bytes(4)) + new_bytes(16)


def q5_1_block(d: int, m: int, qh: bytes | None = None) -> bytes:
    return u16_bytes([d, m]) + (qh if qh is not None else new_bytes(4)) + new_bytes(16)


def q2_k_block(d: int, dmin: int, scales: bytes | None = None) -> bytes:
    return (scales if scales is not None else new_bytes(16)) + new_bytes(64) + u16_bytes([d, dmin])


def q3_k_block(d: int, scales: bytes | None = None, hmask: bytes | None = None) -> bytes:
    return ((hmask if hmask is not None else new_bytes(32)) + new_bytes(64)
            + (scales if scales is not None else new_bytes(12)) + u16_bytes([d]))


def q5_k_block(d: int, dmin: int, scales: bytes | None = None, qh: bytes | None = None) -> bytes:
    return (u16_bytes([d, dmin]) + (scales if scales is not None else new_bytes(12))
            + (qh if qh is not None else new_bytes(32)) + new_bytes(128))


def new_decode_cases() -> list[dict]:
    cases = []
    cases.append(decode_case(T.Q5_0, "random", b"".join(q5_0_block(d) for d in new_f16(6))))
    cases.append(decode_case(T.Q5_0, "edge-scales+high-bits",
                             q5_0_block(0x0000) + q5_0_block(0x8000, bytes([0xFF] * 4))
                             + q5_0_block(0x0001, bytes([0x00] * 4)) + q5_0_block(0x7BFF, bytes([0xFF] * 4))
                             + q5_0_block(0xFBFF, bytes([0x55, 0xAA, 0x0F, 0xF0])) + q5_0_block(0x3C00)))

    cases.append(decode_case(T.Q5_1, "random",
                             b"".join(q5_1_block(d, m) for d, m in zip(new_f16(6), new_f16(6, 0.5)))))
    cases.append(decode_case(T.Q5_1, "edge-scales+high-bits",
                             q5_1_block(0x0000, 0x0000) + q5_1_block(0x0001, 0x8001, bytes([0xFF] * 4))
                             + q5_1_block(0x7BFF, 0xFBFF, bytes([0xFF] * 4))
                             + q5_1_block(0x3C00, 0x7BFF, bytes([0x00, 0xFF, 0x0F, 0xF0]))))

    cases.append(decode_case(T.Q2_K, "random",
                             b"".join(q2_k_block(d, m) for d, m in zip(new_f16(2, 0.01), new_f16(2, 0.01)))))
    cases.append(decode_case(T.Q2_K, "edge-scales",
                             q2_k_block(0x0000, 0x0000) + q2_k_block(0x7BFF, 0x0001, bytes([0xFF] * 16))
                             + q2_k_block(0x0001, 0xFBFF, bytes([0x0F, 0xF0, 0x00, 0x5A] * 4))))

    cases.append(decode_case(T.Q3_K, "random", b"".join(q3_k_block(d) for d in new_f16(2, 0.01))))
    cases.append(decode_case(T.Q3_K, "edge-scales+high-bits",
                             q3_k_block(0x0000) + q3_k_block(0x7BFF, bytes([0xFF] * 12), bytes([0x00] * 32))
                             + q3_k_block(0x8001, bytes([0x00] * 12), bytes([0xFF] * 32))))

    cases.append(decode_case(T.Q5_K, "random",
                             b"".join(q5_k_block(d, m) for d, m in zip(new_f16(2, 0.01), new_f16(2, 0.01)))))
    cases.append(decode_case(T.Q5_K, "edge-scales+high-bits",
                             q5_k_block(0x0000, 0x0000) + q5_k_block(0x7BFF, 0x0001, bytes([0xFF] * 12), bytes([0xFF] * 32))
                             + q5_k_block(0x0001, 0x7BFF, bytes([0x00] * 12), bytes([0x00] * 32))))
    return cases


def new_encode_cases() -> list[dict]:
    """gguf-py's Q5_0 and Q5_1 quantizers (bit-exact with ggml's quantize_row_q5_*_ref)."""
    normal = (rng_new.normal(0, 1, 8 * 32) * np.repeat(10.0 ** rng_new.uniform(-3, 1, 8), 32)).astype(np.float32)
    zeros = np.zeros(32, dtype=np.float32)
    constant = np.full(32, 0.75, dtype=np.float32)
    negative_constant = np.full(32, -3.0, dtype=np.float32)
    outlier = np.concatenate([rng_new.normal(0, 0.01, 31), [40.0]]).astype(np.float32)
    # Q5_0 with extreme -16 has d = 1, so x + 16.5 lands on integers (ties of the truncation).
    ties_q5 = np.array([-16.0] + [k / 2 for k in range(-15, 16)], dtype=np.float32)
    tiny = np.concatenate([[1e-8, -3e-8], rng_new.normal(0, 1e-8, 30)]).astype(np.float32)
    blocks = np.concatenate([normal, zeros, constant, negative_constant, outlier, ties_q5, tiny])
    return [encode_case(qtype, "random+edges", blocks) for qtype in (T.Q5_0, T.Q5_1)]


def encode_cases() -> list[dict]:
    cases = []
    # Per-block magnitudes vary so blocks get different scales; then edge blocks.
    normal = (rng.normal(0, 1, 8 * 32) * np.repeat(10.0 ** rng.uniform(-3, 1, 8), 32)).astype(np.float32)
    zeros = np.zeros(32, dtype=np.float32)
    constant = np.full(32, 0.75, dtype=np.float32)
    negative_constant = np.full(32, -3.0, dtype=np.float32)
    outlier = np.concatenate([rng.normal(0, 0.01, 31), [40.0]]).astype(np.float32)
    # Ties: for Q8_0 with max|x| = 127 the scale is exactly 1, so k + 0.5 sits on a rounding tie;
    # for Q4_0 with extreme -8 the scale is 1 and x + 8.5 lands on integers.
    ties_q8 = np.array([127.0] + [k + 0.5 for k in range(-16, 15)], dtype=np.float32)
    ties_q4 = np.array([-8.0] + [k / 2 for k in range(-15, 16)], dtype=np.float32)
    tiny = np.concatenate([[1e-8, -3e-8], rng.normal(0, 1e-8, 30)]).astype(np.float32)
    blocks = np.concatenate([normal, zeros, constant, negative_constant, outlier, ties_q8, ties_q4, tiny])
    for qtype in (T.Q4_0, T.Q4_1, T.Q8_0):
        cases.append(encode_case(qtype, "random+edges", blocks))

    # Rounding of plain floats: exact ties between neighbouring halves / bfloat16s, subnormal
    # ties, overflow thresholds, infinities and random values.
    f16_specials = np.array([
        1.0 + 2.0 ** -11, 1.0 + 3 * 2.0 ** -11, -(1.0 + 2.0 ** -11), 1.0 + 2.0 ** -11 + 2.0 ** -20,
        65504.0, 65519.99, 65520.0, 70000.0, -65520.0, 2.0 ** -24, 2.0 ** -25, 3 * 2.0 ** -25,
        2.0 ** -25 + 2.0 ** -40, 2.0 ** -14 - 2.0 ** -25, 2.0 ** -26, 1e-45, 0.0, -0.0,
        np.inf, -np.inf, 0.1, -0.3333333], dtype=np.float32)
    f16_inputs = np.concatenate([f16_specials, rng.normal(0, 100, 106).astype(np.float32)])
    cases.append(encode_case(T.F16, "ties+edges+random", f16_inputs))
    bf16_specials = np.array([
        1.0 + 2.0 ** -8, 1.0 + 3 * 2.0 ** -8, -(1.0 + 2.0 ** -8), 1.0 + 2.0 ** -8 + 2.0 ** -20,
        3.4028235e38, 3.3961776e38, 1e-45, 1.1754942e-38, 0.0, -0.0, np.inf, -np.inf, 0.1, -0.3333333],
        dtype=np.float32)
    bf16_inputs = np.concatenate([bf16_specials, rng.normal(0, 100, 114).astype(np.float32)])
    cases.append(encode_case(T.BF16, "ties+edges+random", bf16_inputs))
    return cases


NF4_QUANTILE_SOURCE = None


def nf4_construction() -> list[float]:
    """NF4 levels from the QLoRA recipe: normal quantiles at evenly spaced probabilities between
    0.5 and 0.9677083 (8 positive, 7 negative), zero, normalised to [-1, 1]."""
    global NF4_QUANTILE_SOURCE
    try:
        import torch
    except ImportError:
        from statistics import NormalDist
        NF4_QUANTILE_SOURCE = "statistics.NormalDist"

        def ppf(p):
            return np.array([NormalDist().inv_cdf(float(x)) for x in p])
    else:
        NF4_QUANTILE_SOURCE = "torch.special.ndtri"

        def ppf(p):
            return torch.special.ndtri(torch.tensor(p, dtype=torch.float64)).numpy()

    offset = 0.9677083
    positive = ppf(np.linspace(offset, 0.5, 9)[:-1]).tolist()
    negative = (-ppf(np.linspace(offset, 0.5, 8)[:-1])).tolist()
    levels = np.array(sorted(positive + [0.0] + negative))
    return [float(x) for x in levels / np.abs(levels).max()]


def main() -> None:
    default = Path(__file__).resolve().parents[2] / "Tests/QuantTests/Fixtures/quant_golden.json"
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else default
    fixture = {
        "generator": "scripts/reference/quant_fixtures.py",
        "gguf_version": getattr(gguf, "__version__", None) or _dist_version("gguf"),
        "numpy_version": np.__version__,
        "seed": SEED,
        "dequantize": decode_cases() + new_decode_cases(),
        "quantize": encode_cases() + new_encode_cases(),
        "nf4_levels_from_construction": nf4_construction(),
    }
    fixture["nf4_quantile_source"] = NF4_QUANTILE_SOURCE
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(fixture, indent=1) + "\n")
    print(f"wrote {out} ({out.stat().st_size} bytes)")


def _dist_version(name: str) -> str | None:
    from importlib.metadata import version
    try:
        return version(name)
    except Exception:
        return None


if __name__ == "__main__":
    main()
