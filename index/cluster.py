"""Embedding on a Ray cluster: `newssearch index PATH... --ray ADDRESS`.

Embedding is over 90% of indexing time, so that is what goes to the cluster. This
process still reads, splits and writes: it sorts each batch's new texts by length as a
local run does, cuts them into the same forward passes (FORWARD_BATCH texts), and sends
each pass to the cluster as a Ray task. The tasks run in parallel on every CPU the
cluster has; their vectors come back in order and are written in one SQLite transaction
per batch, as locally. The next batch's passes are sent before a batch is written
(`Indexer(pipelined=True)`), so the cluster embeds while this process writes. A pass
embeds the same texts with the same padding wherever it runs, so the index equals a
local build (vectors within float tolerance on another CPU).

Every worker loads the model by name, once per worker process, in the precision this
process settled (one format for the whole index). A task whose worker or node dies is
run again elsewhere (Ray's task retries); if the cluster cannot finish a batch, that
batch is rolled back, everything committed before it is kept, and running the same
command again carries on from there (unchanged articles are skipped).
"""

from __future__ import annotations

import functools
import os
import socket
import threading
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..errors import ClusterError, ModelError, first_line
from .models.embedders import FORWARD_BATCH, Embedder, load_embedder

LOCAL = "local"  # start a Ray runtime on this machine for the run
CONNECT_SECONDS = 10  # to reach a given address before Ray is asked to (Ray itself retries for minutes)
PASSES_IN_FLIGHT_PER_CPU = 2  # forward passes submitted per cluster CPU at a time: none waits for the next
TASK_RETRIES = 5  # runs of one forward pass whose worker died before the batch is given up


_loaded: dict[tuple[str, str], Embedder] = {}
_loaded_lock = threading.Lock()


def _worker_embed(model: str, precision: str, texts: list[str]) -> np.ndarray:
    """One forward pass, on a Ray worker: the model is loaded once per worker process."""
    key = (model, precision)
    with _loaded_lock:
        if key not in _loaded:
            _loaded[key] = load_embedder(model, precision)
        embedder = _loaded[key]
    return embedder.embed(texts)


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise ClusterError("indexing on a Ray cluster needs Ray: pip install 'newssearch[cluster]'") from None
    return ray


def connect(address: str) -> Any:
    """The ray module, connected to the cluster at `address` ("auto": the one this
    machine belongs to, or $RAY_ADDRESS; "local": a new Ray runtime on this machine)."""
    _reachable(address)
    ray = _ray()
    if ray.is_initialized():
        return ray
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    try:
        ray.init(address=None if address == LOCAL else address, logging_level="ERROR", log_to_driver=False,
                 include_dashboard=False, configure_logging=False)
    except Exception as error:  # noqa: BLE001 - Ray raises many types (connection, authentication, version)
        raise ClusterError(f"cannot connect to the Ray cluster at '{address}': {first_line(error)}") from None
    return ray


def _reachable(address: str) -> None:
    """Fail at once on a host:port nothing listens at (Ray would retry for minutes)."""
    if address in ("auto", LOCAL):
        return
    host, _, port = address.split("://", 1)[-1].rpartition(":")
    if not host or not port.isdigit():
        raise ClusterError(f"'{address}' is not a Ray address: give host:port, auto or local")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_SECONDS).close()
    except OSError as error:
        raise ClusterError(f"cannot connect to the Ray cluster at '{address}': "
                           f"{error.strerror or type(error).__name__}") from None


class RayEmbedder:
    """An Embedder whose forward passes run as tasks on a Ray cluster; tokenising (to
    split and sort texts) and the model's settings come from the local model."""

    def __init__(self, local: Any, address: str = "auto"):
        self.local = local
        self.name = local.name
        self.address = address
        self._ray: Any = None
        self._task: Any = None

    # The Embedder protocol, answered locally ------------------------------------------
    @property
    def dimension(self) -> int:
        return self.local.dimension

    @property
    def normalized(self) -> bool:
        return self.local.normalized

    @property
    def max_tokens(self) -> int:
        return self.local.max_tokens

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return self.local.count_tokens(texts)

    @property
    def precision(self) -> str:
        return getattr(self.local, "precision", "fp32")

    @precision.setter
    def precision(self, requested: str) -> None:
        self.local.precision = requested

    @property
    def precision_choice(self) -> Any:
        return getattr(self.local, "precision_choice", None)

    @property
    def matmul_parameters(self) -> int:
        return getattr(self.local, "matmul_parameters", 0)

    # Embedding, on the cluster --------------------------------------------------------
    @property
    def cluster_cpus(self) -> int:
        ray = self._connected()
        return max(1, int(ray.cluster_resources().get("CPU", 1)))

    @property
    def texts_per_call(self) -> int:
        """Texts the indexer hands over at a time: enough passes to keep every CPU busy."""
        return FORWARD_BATCH * PASSES_IN_FLIGHT_PER_CPU * self.cluster_cpus

    def _connected(self) -> Any:
        if self._ray is None:
            ray = connect(self.address)
            self._task = ray.remote(num_cpus=1, max_retries=TASK_RETRIES, retry_exceptions=False)(_worker_embed)
            self._ray = ray
        return self._ray

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return self.submit(texts)()

    def submit(self, texts: Sequence[str]) -> Callable[[], np.ndarray]:
        """Start the forward passes of `texts` on the cluster; the returned call waits
        for their vectors, in order."""
        if not texts:
            return lambda: np.zeros((0, self.dimension), dtype=np.float32)
        self._connected()
        precision = self.precision
        passes = [list(texts[start:start + FORWARD_BATCH]) for start in range(0, len(texts), FORWARD_BATCH)]
        return functools.partial(self._gather, [self._task.remote(self.name, precision, chunk) for chunk in passes])

    def _gather(self, pending: list[Any]) -> np.ndarray:
        ray = self._ray
        try:
            return np.vstack(ray.get(pending)).astype(np.float32, copy=False)
        except ray.exceptions.RayError as error:
            for ref in pending:
                ray.cancel(ref, force=True)
            cause = getattr(error, "cause", None) or error
            if isinstance(cause, ModelError):
                raise ModelError(f"a Ray worker cannot load the model: {cause}") from None
            raise ClusterError(f"the Ray cluster could not embed a batch ({first_line(cause)}); that batch was rolled "
                               "back, everything committed before it is kept, and running the same command "
                               "again carries on") from None


def on_cluster(local: Embedder, address: str) -> RayEmbedder:
    """`local` with its forward passes sent to the Ray cluster at `address`; connects
    at once, so a wrong address fails before anything is read."""
    embedder = RayEmbedder(local, address)
    embedder._connected()
    return embedder
