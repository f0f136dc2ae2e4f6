"""Search processes fed from one queue (`serve --workers N`, web/serve.py).

`ProcessRunner` runs the server's library calls in N processes, each with its own
`ArchivePool` (pool.py) and searching on one thread. The server's process only speaks
HTTP, and every call goes to a free search process: the one free most recently, whose
caches are warm, or, when all are busy, the first that frees up, in the order the calls
came. Processes that share a listening socket instead each keep the keep-alive
connections they happened to accept: 8 clients split 5 to 3 left five of them waiting
longer than three (benchmarks/serve_load.py, docs/benchmarks.md)."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import pickle
import signal
import struct
import sys
import traceback
from collections import deque
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, TypeVar

from .. import NewssearchError
from .calls import Refused, SearchProcessError, status_of
from .pool import ArchivePool

Result = TypeVar("Result")
READ_SIZE = 1 << 20
CALL_TIMEOUT = 120.0  # seconds a call may take before its process is stopped (and replaced)


class _SearchProcess:
    """One search process and the pipe to it."""

    def __init__(self, directories: list[Path], setup: Callable[[], None] | None):
        context = multiprocessing.get_context("spawn")  # none inherits the server's threads
        self.connection, theirs = context.Pipe()
        self.process = context.Process(target=_serve_calls, args=(theirs, [str(d) for d in directories], setup),
                                       daemon=True,
                                       name="newssearch-search")
        self.process.start()
        theirs.close()

    def wait_ready(self) -> None:
        answer = self._receive()
        if answer != ("ready",):
            raise SearchProcessError(f"a search process did not start: {answer[1] if len(answer) > 1 else answer}")

    def _receive(self) -> tuple:
        try:
            return pickle.loads(self.connection.recv_bytes())
        except (EOFError, OSError):
            return ("died", f"a search process stopped (exit code {self.process.exitcode})")

    def call(self, loop: asyncio.AbstractEventLoop, message: bytes, done: Callable[[tuple], None]) -> None:
        """Send a call; `done` gets the answer on the event loop once it has all come.
        The answer is read as it arrives (the event loop may have made the pipe
        non-blocking), in multiprocessing's framing: a 4-byte length (-1, then 8 bytes,
        past 2 GiB), then the bytes."""
        received = bytearray()
        try:
            descriptor = self.connection.fileno()
            os.set_blocking(descriptor, True)  # a send is never cut short
            self.connection.send_bytes(message)
        except OSError:
            loop.call_soon(done, ("died", "a search process stopped"))
            return

        def readable() -> None:
            try:
                chunk = os.read(descriptor, READ_SIZE)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                chunk = b""
            if not chunk:
                loop.remove_reader(descriptor)
                done(("died", f"a search process stopped (exit code {self.process.exitcode})"))
                return
            received.extend(chunk)
            start, size = 4, struct.unpack("!i", received[:4])[0] if len(received) >= 4 else None
            if size == -1:
                start, size = 12, struct.unpack("!Q", received[4:12])[0] if len(received) >= 12 else None
            if size is not None and len(received) >= start + size:
                loop.remove_reader(descriptor)
                done(pickle.loads(received[start:start + size]))

        loop.add_reader(descriptor, readable)

    def stop(self, timeout: float = 5.0) -> None:
        self.connection.close()  # its loop ends on EOF
        self.process.join(timeout)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout)


def _serve_calls(connection: Connection, directories: list[str], setup: Callable[[], None] | None) -> None:
    """A search process: answers calls from its pipe until the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the server, which stops these
    try:
        if setup is not None:
            setup()
        pool = ArchivePool([Path(d) for d in directories], parallel_search=False)
        pool.warm_up()
    except Exception as error:  # noqa: BLE001 - reported to the server, which stops
        connection.send_bytes(pickle.dumps(("error", str(error) or type(error).__name__)))
        return
    connection.send_bytes(pickle.dumps(("ready",)))
    while True:
        try:
            call, args = pickle.loads(connection.recv_bytes())
        except (EOFError, OSError):
            break
        try:
            answer: tuple = ("ok", call(pool.archive(), *args))
        except NewssearchError as error:  # its own class may not pickle: its message and status do
            answer = ("refused", str(error), status_of(error))
        except Exception:  # noqa: BLE001 - a bug: logged here, a 500 there
            traceback.print_exc(file=sys.stderr)
            answer = ("error", "internal error")
        try:
            message = pickle.dumps(answer)
        except Exception:  # noqa: BLE001 - an answer that cannot pickle is a bug, not a dead process
            traceback.print_exc(file=sys.stderr)
            message = pickle.dumps(("error", "internal error"))
        connection.send_bytes(message)
    pool.close()


class ProcessRunner:
    """Library calls in `processes` search processes, each holding the query model and
    the vectors. `setup`, a module-level function, runs first in each (to register an
    embedder, say). A process that dies is replaced, and the call it was answering is
    asked again of another (or of the replacement), up to once per process; then it is
    refused. A call still unanswered after `timeout` seconds is refused, and its
    process stopped and replaced."""

    def __init__(self, directories: Path | Sequence[Path], processes: int, setup: Callable[[], None] | None = None,
                 timeout: float = CALL_TIMEOUT):
        self.directories = [directories] if isinstance(directories, Path) else list(directories)
        self.directory = self.directories[0]
        self.setup = setup
        self.timeout = timeout
        self._idle: list[_SearchProcess] = []  # a stack: the most recently used on top
        self._waiting: deque[asyncio.Future[_SearchProcess]] = deque()
        self._all: list[_SearchProcess] = []
        try:
            for _ in range(processes):
                self._all.append(_SearchProcess(self.directories, setup))
            for process in self._all:  # they load their models side by side
                process.wait_ready()
        except BaseException:
            self.close()
            raise
        self._idle = list(self._all)

    @property
    def pids(self) -> list[int]:
        return [process.process.pid for process in self._all]

    async def run(self, call: Callable[..., Result], *args: Any) -> Result:
        message = pickle.dumps((call, args))
        answer = await self._ask(message)
        # A process that died is being replaced: ask another, or its replacement. (Once is
        # not enough: processes killed together die one call at a time as they are found.)
        for _ in self._all:
            if answer[0] != "died":
                break
            answer = await self._ask(message)
        if answer[0] == "died":
            answer = ("died", f"{answer[1]}; the call was asked of {len(self._all) + 1} search processes")
        if answer[0] == "ok":
            return answer[1]
        if answer[0] == "refused":
            raise Refused(answer[1], answer[2])
        if answer[0] in ("died", "late"):
            raise SearchProcessError(answer[1])
        raise RuntimeError(answer[1])  # a bug in a search process: its log has the traceback (a 500)

    async def _ask(self, message: bytes) -> tuple:
        loop = asyncio.get_running_loop()
        process = await self._acquire(loop)
        answered: asyncio.Future[tuple] = loop.create_future()

        def done(answer: tuple) -> None:
            # Here, not after the await: a request cancelled meanwhile (its client gone)
            # still gives its process back only once the answer has been read.
            if answer[0] == "died":
                dead = [process] + [other for other in self._idle if not other.process.is_alive()]
                for gone in dead[1:]:
                    self._idle.remove(gone)
                for gone in dead:  # whatever killed one may have killed the others
                    loop.run_in_executor(None, self._replace, gone, loop)
            else:
                self._release(process)
            if not answered.done():
                answered.set_result(answer)

        process.call(loop, message, done)
        try:
            return await asyncio.wait_for(asyncio.shield(answered), self.timeout)
        except asyncio.TimeoutError:
            process.process.kill()  # its pipe closes: `done` hears it died and replaces it
            return ("late", f"the call took longer than {self.timeout:g} s and was stopped")

    async def _acquire(self, loop: asyncio.AbstractEventLoop) -> _SearchProcess:
        if self._idle:
            return self._idle.pop()
        turn: asyncio.Future[_SearchProcess] = loop.create_future()
        self._waiting.append(turn)
        try:
            return await turn
        except asyncio.CancelledError:
            # Cancelled (its client gone) after a process was handed to it: pass it on.
            if turn.done() and not turn.cancelled():
                self._release(turn.result())
            raise

    def _release(self, process: _SearchProcess) -> None:
        while self._waiting:
            turn = self._waiting.popleft()
            if not turn.done():  # not cancelled
                turn.set_result(process)
                return
        self._idle.append(process)

    def _replace(self, dead: _SearchProcess, loop: asyncio.AbstractEventLoop) -> None:
        """On a thread: start a process in place of one that died, then free it. When
        none can start, the dead one is freed instead: a call given it fails at once
        (and tries again), so calls get a 503 rather than wait for ever."""
        dead.stop(timeout=1.0)
        try:
            fresh = _SearchProcess(self.directories, self.setup)
        except OSError:  # cannot even spawn (out of memory, processes, files)
            loop.call_soon_threadsafe(self._release, dead)
            return
        try:
            fresh.wait_ready()
        except SearchProcessError:
            fresh.stop(timeout=1.0)
            loop.call_soon_threadsafe(self._release, dead)
            return
        self._all[self._all.index(dead)] = fresh
        loop.call_soon_threadsafe(self._release, fresh)

    def close(self) -> None:
        for process in self._all:
            process.stop()
