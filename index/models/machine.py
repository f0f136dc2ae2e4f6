"""What the CPU can do: its instruction-set flags, and its peak for the number format
embedding computes in, to say how much of it indexing uses.

FP32:  cores x FMA units per core (2) x float32 lanes per vector x 2 FLOPs per FMA x clock
BF16:  cores x 1024 FLOPs per cycle x clock, on CPUs with AMX (Intel's figure for the
       AMX-BF16 tile unit of Sapphire Rapids; the matrix products run there)

Cores are the CPUs this process may run on; the clock is the "cpu MHz" line of
/proc/cpuinfo (on the KVM test machines the nominal clock, 2600 MHz; turbo is not
seen there); lanes are 16 when the CPU has AVX-512 (torch's kernels use it when
present) and 8 with AVX2. Two FMA units per core is assumed, not read: no file says.
On AMD CPUs with AVX-512 the peak is unknown: Zen 4 splits each 512-bit FMA in two
halves, later cores may not, and nothing here tells them apart.
Elsewhere than Linux the flags and the peak are unknown (empty, None).
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

FMA_UNITS = 2
AMX_BF16_FLOPS_PER_CYCLE = 1024


@functools.cache
def _cpuinfo() -> dict[str, str]:
    try:
        info = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        return {}
    fields: dict[str, str] = {}
    for line in info.splitlines():
        name, _, value = line.partition(":")
        fields.setdefault(name.strip(), value.strip())
    return fields


def cpu_flags() -> frozenset[str]:
    return frozenset(_cpuinfo().get("flags", "").split())


def has_amx_bf16() -> bool:
    """Whether the CPU multiplies bfloat16 matrices in hardware tiles (Intel AMX)."""
    return {"amx_bf16", "amx_tile"} <= cpu_flags()


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def peak(precision: str = "fp32") -> tuple[float, str] | None:
    """(GFLOP/s, how it was computed) for "fp32" or "bf16", or None when unknown."""
    try:
        ghz = float(_cpuinfo()["cpu MHz"]) / 1000
    except (KeyError, ValueError):
        return None
    cores = _cores()
    if precision == "bf16":
        if not has_amx_bf16():
            return None
        return (cores * AMX_BF16_FLOPS_PER_CYCLE * ghz,
                f"{cores} cores x {AMX_BF16_FLOPS_PER_CYCLE} BF16 FLOPs/cycle (AMX) x {ghz:.2f} GHz")
    flags = cpu_flags()
    if "avx512f" in flags and _cpuinfo().get("vendor_id") == "AuthenticAMD":
        return None  # Zen 4 runs a 512-bit FMA as two 256-bit halves, Zen 5 may not: unknown
    lanes, isa = (16, "AVX-512") if "avx512f" in flags else (8, "AVX2") if "avx2" in flags else (4, "SSE")
    gflops = cores * FMA_UNITS * lanes * 2 * ghz
    return gflops, f"{cores} cores x {FMA_UNITS} FMA x {lanes} lanes ({isa}) x 2 x {ghz:.2f} GHz"


# The flags that decide which kernels the model's matrix products can use.
SPEED_FLAGS = ("avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "avx512_fp16", "amx_bf16", "amx_int8")


def cpu_model() -> str:
    return _cpuinfo().get("model name", "unknown CPU")


def cpu_description() -> str:
    """The CPU's model name and its speed-relevant flags, for benchmark output:
    e.g. "Intel(R) Xeon(R) Processor, 2 CPUs, flags avx2 fma avx512f amx_bf16"."""
    flags = cpu_flags()
    model = cpu_model()
    shown = " ".join(flag for flag in SPEED_FLAGS if flag in flags) or "unknown"
    return f"{model}, {len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count()} CPUs, flags {shown}"
