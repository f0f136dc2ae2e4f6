"""Run `newssearch index` in a child process with the fake embedder and measure it:
wall time, the child's peak RSS (its own VmHWM, read as it exits: the rusage of a
child forked from a big test process would report the parent's high-water mark), and
its RSS sampled from /proc while it runs, to see whether memory grows with the input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

# The child: the fake embedder registered, files made unreadable if asked, then the CLI.
INDEXER = """
import json, sys
from newssearch.testing.fake import FAKE_MODEL, FakeEmbedder
from newssearch.testing.nasty import unreadable
from newssearch.cli.app import app
from newssearch.index.models import embedders

embedders.register_embedder(FAKE_MODEL, lambda name: FakeEmbedder())
denied = json.loads(sys.argv[1])
try:
    with unreadable(denied):
        app(["index", "--model", FAKE_MODEL, "--json", "--quiet", *sys.argv[3:]])
finally:
    with open("/proc/self/status") as status, open(sys.argv[2], "w") as peak:
        peak.write(next(line.split()[1] for line in status if line.startswith("VmHWM:")))  # kB
"""


@dataclass
class Measured:
    returncode: int
    seconds: float
    peak_rss: int  # bytes, the kernel's high-water mark for the child
    report: dict
    stderr: str
    samples: list[tuple[float, int]] = field(default_factory=list)  # (seconds, RSS bytes)


def _rss(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def index_measured(paths: list[str | os.PathLike], index: str | os.PathLike, denied: list[str] = (),
                   sample_every: float = 0.5) -> Measured:
    """Index `paths` into `index` in a child process and measure it."""
    peak_file = Path(index).parent / f".peak-{os.getpid()}-{time.monotonic_ns()}"
    command = [sys.executable, "-c", INDEXER, json.dumps([str(p) for p in denied]), str(peak_file),
               "--index", str(index), *[str(p) for p in paths]]
    environment = {**os.environ, "NEWSSEARCH_INDEX": str(index)}
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environment)
    samples: list[tuple[float, int]] = []
    done = threading.Event()

    def sample() -> None:
        while not done.wait(sample_every):
            rss = _rss(child.pid)
            if rss is not None:
                samples.append((time.perf_counter() - started, rss))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    errors: list[bytes] = []
    reader = threading.Thread(target=lambda: errors.append(child.stderr.read()), daemon=True)
    reader.start()
    output = child.stdout.read()
    reader.join()
    child.stdout.close()
    child.stderr.close()
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    child.returncode = os.waitstatus_to_exitcode(status)  # reaped here, so Popen must not wait again
    lines = output.decode("utf-8", "replace").strip().splitlines()
    report = json.loads(lines[-1]) if lines else {}
    try:
        peak = int(peak_file.read_text()) * 1024
        peak_file.unlink()
    except (OSError, ValueError):
        peak = usage.ru_maxrss * 1024  # an upper bound
    return Measured(child.returncode, seconds, peak, report, b"".join(errors).decode("utf-8", "replace"), samples)
