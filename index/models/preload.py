"""Loading an index's light query model early, in a background thread.

A cold `newssearch query` spends most of its time importing numpy, FAISS and SQLite
helpers and building the ONNX session. onnxruntime lets go of the GIL while it builds
a session, so the two can overlap: the command line starts the load before the heavy
imports (`start`), and the archive picks the result up when it embeds the query
(`take`). Only the standard library is imported here; the settings are read with
sqlite3 directly. When anything is off (no index, no light model, a changed file)
nothing is started and the archive loads the model itself, saying why.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ..storage.locations import DATABASE_NAME

_started: dict[Path, Background] = {}


class Background:
    """A function running in a thread; `result()` waits for it and returns its value
    or raises its exception."""

    def __init__(self, function: Callable[..., Any], *args: Any):
        self._outcome: tuple[Any, BaseException | None] = (None, None)
        self._thread = threading.Thread(target=self._run, args=(function, *args), daemon=True)
        self._thread.start()

    def _run(self, function: Callable[..., Any], *args: Any) -> None:
        try:
            self._outcome = (function(*args), None)
        except BaseException as error:  # noqa: BLE001 - handed to the caller by result()
            self._outcome = (None, error)

    def result(self) -> Any:
        self._thread.join()
        value, error = self._outcome
        if error is not None:
            raise error
        return value


def signature(path: Path) -> dict[str, int]:
    stat = path.stat()
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def changed(folder: Path, settings: dict[str, Any]) -> str | None:
    """Why the light model's files in `folder` are not the ones recorded at export, or None."""
    files = {settings["file"]: settings["signature"]}
    if "weights" in settings:
        files[settings["weights"]] = settings.get("weights_signature")
    for name, recorded in files.items():
        try:
            if signature(folder / name) != recorded:
                return f"{name} changed since it was exported"
        except OSError as error:
            return f"{name}: {error.strerror or error}"
    return None


def load_light_model(model: str, folder: Path, settings: dict[str, Any]) -> Any:
    from .query_model import OnnxEmbedder

    return OnnxEmbedder(model, folder, settings)


def start(folder: Path) -> None:
    """Start loading the light query model of the index in `folder`, if it has a usable one."""
    folder = folder.expanduser().resolve()
    if folder in _started:
        return
    try:
        connection = sqlite3.connect(f"file:{quote(str(folder / DATABASE_NAME))}?mode=ro", uri=True)
        try:
            rows = dict(connection.execute("SELECT key, value FROM settings WHERE key IN ('model', 'query_model')"))
        finally:
            connection.close()
        model, settings = json.loads(rows["model"]), json.loads(rows["query_model"])
        if not settings or changed(folder, settings):
            return
    except (sqlite3.Error, OSError, KeyError, TypeError, ValueError):
        return
    _started[folder] = Background(load_light_model, model, folder, settings)


def take(folder: Path) -> Background | None:
    """The load started for `folder`, if any (each is taken once)."""
    return _started.pop(folder.expanduser().resolve(), None)
