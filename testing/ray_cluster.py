"""A real Ray cluster on this machine, for tests and benchmarks: a head node and more
nodes started with `ray start`, each with its own raylet and CPUs, on loopback, with a
fresh authentication token; torn down by killing only its own processes (those that
name its temporary folder, and their children), never another Ray on the machine."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

RAY = Path(sys.executable).with_name("ray")
START_SECONDS = 120
RAY_DEFAULT_PORTS = {6379, 8265, 10001, 52365}  # GCS, dashboard, client server, dashboard agent


def free_port() -> int:
    """A loopback port nothing listens at, and none Ray takes by default."""
    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port not in RAY_DEFAULT_PORTS:
            return port


def processes() -> dict[int, tuple[int, str]]:
    """pid -> (parent pid, command line) of every process on the machine."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        found[int(entry.name)] = (parent, command)
    return found


def with_children(pids: set[int]) -> set[int]:
    table = processes()
    found = set(pids)
    while True:
        more = {pid for pid, (parent, _) in table.items() if parent in found} - found
        if not more:
            return found
        found |= more


def kill(pids: set[int]) -> None:
    for pid in pids - {os.getpid()}:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


class LocalCluster:
    """`with LocalCluster(nodes=2) as cluster:` a head and nodes - 1 more, each with
    `cpus` CPUs; `cluster.address` and `cluster.env` (the token) for the drivers."""

    def __init__(self, nodes: int = 2, cpus: int = 1):
        self.nodes, self.cpus = nodes, cpus
        self.address = ""
        self.env: dict[str, str] = {}
        self.node_ports: list[int] = []  # node manager port of each node after the head
        self._temp = ""

    def __enter__(self) -> LocalCluster:
        # Short: Ray's socket paths under it must fit in 107 bytes.
        self._temp = tempfile.mkdtemp(prefix="nsray-", dir="/tmp")
        self.env = {**os.environ, "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32),
                    "RAY_USAGE_STATS_ENABLED": "0"}
        port = free_port()
        self.address = f"127.0.0.1:{port}"
        try:
            self._ray("start", "--head", "--node-ip-address", "127.0.0.1", "--port", str(port), "--num-cpus",
                      str(self.cpus), "--include-dashboard", "false", "--disable-usage-stats",
                      "--temp-dir", self._temp)
            for _ in range(self.nodes - 1):
                self.node_ports.append(free_port())
                self._ray("start", "--address", self.address, "--node-ip-address", "127.0.0.1", "--num-cpus",
                          str(self.cpus), "--node-manager-port", str(self.node_ports[-1]))
        except BaseException:
            self.__exit__()
            raise
        return self

    def _ray(self, *arguments: str) -> None:
        done = subprocess.run([str(RAY), *arguments], env=self.env, capture_output=True, text=True,
                              timeout=START_SECONDS)
        if done.returncode != 0:
            raise RuntimeError(f"ray {arguments[0]} failed: {done.stderr[-2000:]}")

    def node(self, number: int) -> set[int]:
        """Node `number`'s (1: the first after the head) raylet and the processes under it."""
        port = self.node_ports[number - 1]
        raylets = {pid for pid, (_, command) in processes().items()
                   if "raylet/raylet" in command and f"--node_manager_port={port}" in command}
        return with_children(raylets)

    def running(self, task: str, number: int) -> bool:
        """Whether a worker of node `number` is running the remote function `task`."""
        table = processes()
        return any(table.get(pid, (0, ""))[1].startswith(f"ray::{task}") for pid in self.node(number))

    def __exit__(self, *_: object) -> None:
        ours = {pid for pid, (_, command) in processes().items() if self._temp and self._temp in command}
        kill(with_children(ours))
        shutil.rmtree(self._temp, ignore_errors=True)
