"""Run an iterator in a background thread, a few items ahead of its consumer.

The indexer reads and parses files this way while the main thread embeds: torch
releases the GIL inside its kernels, so parsing the next batch costs the embedding
little. Items arrive in order; an exception in the producer is raised in the
consumer; a consumer that stops early (an error, a break) stops the producer too.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

_DONE = object()


class _Failed:
    def __init__(self, error: BaseException):
        self.error = error


def prefetch(items: Iterable[T], depth: int = 2) -> Iterator[T]:
    """Yield what `items` yields, computed up to `depth` items ahead in a thread."""
    ready: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        iterator = iter(items)
        try:
            for item in iterator:
                if not put(item):
                    return
            put(_DONE)
        except BaseException as error:  # handed to the consumer, raised there
            put(_Failed(error))
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=produce, name="newssearch-reader", daemon=True)
    thread.start()
    try:
        while True:
            item = ready.get()
            if item is _DONE:
                return
            if isinstance(item, _Failed):
                raise item.error
            yield item
    finally:
        stop.set()
        # The producer ends at its next item; it is not waited for longer than this, so
        # a read blocked on a pipe (standard input) cannot hold the consumer up.
        thread.join(timeout=1.0)
