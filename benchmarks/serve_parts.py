"""Where one request to `newssearch serve` spends its time beyond the search itself.

    python benchmarks/serve_parts.py --index DIR [--requests 600] [--workers 2]

Runs the app in this process (uvicorn on a free loopback port, searches in --workers
search processes) with timers around the app and around the call to a search process,
and one client (http.client, keep-alive) sending hybrid searches one after another.
Prints, as medians in ms: the client's whole request, the app's time, the time waiting
for the search process, the library's own time inside it (Server-Timing), and the steps
between; then FastAPI's own cost for the search endpoint called in a loop with a stub
in place of the search processes; for each of uvicorn's HTTP parser and event loop
pairs (h11 + asyncio, httptools + uvloop). One JSON object, with the CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import socket
import statistics
import sys
import threading
import time
import urllib.parse
from pathlib import Path

QUERIES = ["troop buildup at the border", "oil prices rise", "new mobile phone launch", "election campaign tax",
           "football club manager sacked", "film wins award", "interest rates", "broadband internet",
           "chancellor budget", "tennis open final"]
WARM = 100  # requests left out of each median


def median_ms(values: list[float]) -> float:
    return round(statistics.median(values[WARM:]) * 1000, 3)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def one_stack(index: Path, workers: int, requests: int, parser: str, loop: str) -> dict[str, float]:
    import uvicorn

    from newssearch.web.app import create_app
    from newssearch.web.processes import ProcessRunner

    runner = ProcessRunner(index, workers)
    timings: dict[str, list[float]] = {"app": [], "to_call": [], "call": [], "after_call": []}
    marks: dict[str, float] = {}
    plain_run = runner.run

    async def timed_run(call, *args):  # type: ignore[no-untyped-def]
        began = time.perf_counter()
        timings["to_call"].append(began - marks["app"])
        answer = await plain_run(call, *args)
        marks["call"] = time.perf_counter()
        timings["call"].append(marks["call"] - began)
        return answer

    runner.run = timed_run  # type: ignore[method-assign]
    app = create_app(runner=runner)

    async def timed_app(scope, receive, send):  # type: ignore[no-untyped-def]
        marks["app"] = time.perf_counter()
        await app(scope, receive, send)
        ended = time.perf_counter()
        if scope["type"] == "http":
            timings["app"].append(ended - marks["app"])
            timings["after_call"].append(ended - marks.get("call", ended))

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(timed_app, host="127.0.0.1", port=port, log_level="warning",
                                           access_log=False, http=parser, loop=loop))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    client: list[float] = []
    library: list[float] = []
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        for number in range(requests):
            query = urllib.parse.urlencode({"q": QUERIES[number % len(QUERIES)], "k": 10})
            began = time.perf_counter()
            connection.request("GET", "/api/search?" + query)
            response = connection.getresponse()
            json.loads(response.read())
            client.append(time.perf_counter() - began)
            library.append(float(response.getheader("Server-Timing").split("dur=")[1]) / 1000)
    finally:
        connection.close()
        server.should_exit = True
        thread.join(timeout=30)
        runner.close()
    return {"client": median_ms(client), "app": median_ms(timings["app"]), "to_call": median_ms(timings["to_call"]),
            "call": median_ms(timings["call"]), "after_call": median_ms(timings["after_call"]),
            "library": median_ms(library), "beyond_library": round(median_ms(client) - median_ms(library), 3)}


def fastapi_alone(calls: int) -> float:
    """The search endpoint through the app, its search process a stub that answers at once."""
    from newssearch.web.app import create_app

    class Stub:
        directory = Path(".")

        async def run(self, call, *args):  # type: ignore[no-untyped-def]
            return b'{"hits":[]}', 0.0

        def close(self) -> None:
            pass

    app = create_app(runner=Stub())  # type: ignore[arg-type]
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": "/api/search", "raw_path": b"/api/search", "root_path": "", "headers": [(b"host", b"x")],
             "query_string": b"q=troop+buildup+at+the+border&k=10", "client": ("127.0.0.1", 1),
             "server": ("127.0.0.1", 2)}

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        pass

    async def loop() -> list[float]:
        times = []
        for _ in range(calls):
            began = time.perf_counter()
            await app(scope, receive, send)
            times.append(time.perf_counter() - began)
        return times

    return median_ms(asyncio.run(loop()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    from newssearch.index.models.machine import cpu_description

    report = {"cpu": cpu_description(), "index": str(args.index), "requests": args.requests,
              "fastapi_search_endpoint_alone_ms": fastapi_alone(2000), "stacks": {}}
    for http_parser, event_loop in (("h11", "asyncio"), ("httptools", "uvloop"), ("h11", "asyncio"),
                                    ("httptools", "uvloop")):
        name = f"{http_parser}+{event_loop}"
        report["stacks"].setdefault(name, []).append(one_stack(args.index, args.workers, args.requests,
                                                               http_parser, event_loop))
    json.dump(report, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
