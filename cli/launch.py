"""The `newssearch` command's entry point.

Parsing the command line imports the whole library (numpy, FAISS, SQLite helpers):
about half of a cold query. A query's light model can load meanwhile, so before
handing the arguments to the Typer app this looks for a `query` command and its
`--index`, and starts that load (`index/models/preload.py`). A wrong guess costs nothing:
the archive loads the model itself when no load was started for its folder.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import NoReturn

# Not the public surface (`newssearch`): starting the query model's load has to happen
# before the library imports, which is what makes it pay (benchmarks/cold_query.py),
# and these two modules import nothing heavy.
from ..index.models import preload
from ..index.storage.locations import default_index_dir


def _option(arguments: list[str], long: str, short: str | None = None) -> str | None:
    for number, argument in enumerate(arguments):
        if argument in (long, short) and number + 1 < len(arguments):
            return arguments[number + 1]
        if argument.startswith(long + "="):
            return argument.split("=", 1)[1]
    return None


def main() -> None:
    arguments = sys.argv[1:]
    query = arguments[:1] == ["query"]
    if query and _option(arguments, "--mode", "-m") != "keyword":
        given = _option(arguments, "--index")
        preload.start(Path(given) if given else default_index_dir())
    from .app import main as run

    if not query:
        run()
        return
    try:
        run()
        code: object = 0
    except SystemExit as done:
        code = done.code
    leave(code)


def leave(code: object) -> NoReturn:
    """End a query's process once its output is written. Nothing is left to clean up
    (the index is closed, and a vector file the query rebuilt was saved before that),
    so the interpreter's teardown, which frees the model, FAISS and every module one by
    one, is skipped: about 0.1 s of a 0.5 s cold query."""
    if code is None:
        code = 0
    elif not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`| head`): what was written is all the reader wanted
            pass
    os._exit(code)
