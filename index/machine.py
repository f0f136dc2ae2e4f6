"""The CPU's FP32 peak, to say how much of it embedding uses.

peak = cores x FMA units per core (2) x float32 lanes per vector x 2 FLOPs per FMA x clock

Cores are the CPUs this process may run on; the clock is the "cpu MHz" line of
/proc/cpuinfo (on the KVM test machines the nominal clock, 2600 MHz; turbo is not
seen there); lanes are 16 when the CPU has AVX-512 (torch's kernels use it when
present) and 8 with AVX2. Two FMA units per core is assumed, not read: no file says.
Elsewhere than Linux the peak is unknown (None).
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

FMA_UNITS = 2


@functools.cache
def fp32_peak() -> tuple[float, str] | None:
    """(GFLOP/s, how it was computed), or None when /proc/cpuinfo says too little."""
    try:
        info = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        return None
    fields: dict[str, str] = {}
    for line in info.splitlines():
        name, _, value = line.partition(":")
        fields.setdefault(name.strip(), value.strip())
    try:
        ghz = float(fields["cpu MHz"]) / 1000
    except (KeyError, ValueError):
        return None
    flags = set(fields.get("flags", "").split())
    lanes, isa = (16, "AVX-512") if "avx512f" in flags else (8, "AVX2") if "avx2" in flags else (4, "SSE")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    gflops = cores * FMA_UNITS * lanes * 2 * ghz
    return gflops, f"{cores} cores x {FMA_UNITS} FMA x {lanes} lanes ({isa}) x 2 x {ghz:.2f} GHz"
