"""Running the app with uvicorn: what `newssearch serve` does."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Sequence

from .. import InputError
from .app import create_app
from .pool import ArchivePool, ThreadRunner, index_folders
from .processes import ProcessRunner

LOOPBACK = {"127.0.0.1", "::1", "localhost"}


DEFAULT_MAX_WORKERS = 8


def serve(index: str | os.PathLike | Sequence[str | os.PathLike] | None, host: str, port: int,
          workers: int | None = None,
          say: Callable[[str], None] = print) -> None:
    """Open the index, bind the address, and serve until interrupted: HTTP in this
    process, the searches on its threads (workers=1) or in `workers` search processes
    (default: one per core, at most 8, each search on one thread; measured in
    benchmarks/serve_load.py)."""
    import uvicorn

    if workers is None:  # each process holds the query model and the vectors: at most DEFAULT_MAX_WORKERS
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        workers = min(cores, DEFAULT_MAX_WORKERS)

    pool = ArchivePool(index_folders(index))
    pool.warm_up()
    for notice in pool.notices:
        say(f"Note: {notice}")
    try:
        listener = listen(host, port)
    except OSError as error:
        pool.close()
        raise InputError(f"cannot listen on {host}:{port} ({error.strerror})") from None
    bound = listener.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    if host not in LOOPBACK:
        say(f"Note: listening on {host}: the archive is visible to every machine that can reach this one")
    try:
        if workers > 1:
            pool.close()
            runner: ThreadRunner | ProcessRunner = ProcessRunner(pool.directories, workers)
        else:
            runner = ThreadRunner(pool)
        try:
            processes = f" (searching in {workers} processes)" if workers > 1 else ""
            say(f"Serving {', '.join(str(d) for d in pool.directories)} at http://{shown}:{bound}/{processes}; API docs at /docs; Ctrl-C stops")
            config = uvicorn.Config(create_app(runner=runner), log_level="warning", access_log=False)
            uvicorn.Server(config).run(sockets=[listener])
        finally:
            runner.close()
    finally:
        pool.close()
        listener.close()


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket. Made with the protocol named (IPPROTO_TCP), not 0 as
    socket.create_server makes it: asyncio turns Nagle's algorithm off only on sockets
    that say they are TCP, and with it on, every response waited 40 ms for the client's
    delayed ACK between its headers and its body (benchmarks/serve_load.py)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen(1024)
    except OSError:
        listener.close()
        raise
    return listener
