"""Load on `newssearch serve`: latency and throughput with 1, 8 and 32 concurrent
clients on loopback, and errors while `newssearch index` writes to the same index.

    python benchmarks/serve_load.py --index DIR [--clients 1,8,32] [--seconds 15] [--rounds 3]
                                    [--write-during FOLDER] [--warm 300] [--workers 2]

DIR is an index (e.g. the BBC set: `newssearch index ../shared/data/bbc/raw --index DIR`).
The server is started as a child process (`newssearch serve --port 0`), and a second
child process drives it: each client is a thread with its own keep-alive HTTP
connection sending hybrid searches one after another for --seconds (bounded in time
and count), recording each latency, the server's own time (its Server-Timing header)
and every non-200 answer or failed request; --rounds times over, alternating the
client counts, medians reported. With --write-during FOLDER, 8 clients keep searching
while `newssearch index FOLDER` adds those articles to the same index, until
that run ends. The cost of the HTTP layer: in each round, just before the one-client
run, the library's own warm `Archive.search` is timed on the same queries in this
process (p50; searching as the server's processes do, one thread per search with
--workers 2 or more), and the one client's p50 less that is the round's cost; the
median round is reported. Prints one JSON object, with the CPU it ran on.

Everything talks to 127.0.0.1 only. The index is copied to a temporary folder first,
so the write run leaves the given index as it was.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

QUERIES = ["troop buildup at the border", "oil prices rise", "new mobile phone launch", "election campaign tax",
           "football club manager sacked", "film wins award", "interest rates", "broadband internet",
           "chancellor budget", "tennis open final"]
MAX_REQUESTS_PER_CLIENT = 20_000

CLIENT = r"""
import http.client, json, sys, threading, time, urllib.parse
port, clients, seconds, queries, limit = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), json.loads(sys.argv[4]), int(sys.argv[5])
results = [[] for _ in range(clients)]
errors = [0] * clients
inside = [[] for _ in range(clients)]  # the server's own time per search (Server-Timing), ms
start = threading.Barrier(clients + 1)

def client(number):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    start.wait()
    deadline = time.monotonic() + seconds
    sent = 0
    while time.monotonic() < deadline and sent < limit:
        query = queries[(number + sent) % len(queries)]
        began = time.perf_counter()
        try:
            connection.request("GET", "/api/search?" + urllib.parse.urlencode({"q": query, "k": 10}))
            response = connection.getresponse()
            body = response.read()
            if response.status != 200 or not json.loads(body)["hits"]:
                errors[number] += 1
            else:
                inside[number].append(float(response.getheader("Server-Timing", "search;dur=nan").split("dur=")[1]))
        except Exception:
            errors[number] += 1
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        results[number].append(time.perf_counter() - began)
        sent += 1

threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
for thread in threads:
    thread.start()
start.wait()
began, cpu = time.perf_counter(), time.process_time()
for thread in threads:
    thread.join()
wall, cpu = time.perf_counter() - began, time.process_time() - cpu
print(json.dumps({"latencies": [x for r in results for x in r], "errors": sum(errors), "wall": wall, "cpu": cpu,
                  "inside": [x for r in inside for x in r]}))
"""


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def library_warm(index: Path, searches: int, parallel: bool) -> float:
    from newssearch import Archive

    with Archive.open(index) as archive:
        archive.parallel_search = parallel
        for query in QUERIES:
            archive.search(query, k=10)
        times = []
        for number in range(searches):
            began = time.perf_counter()
            archive.search(QUERIES[number % len(QUERIES)], k=10)
            times.append(time.perf_counter() - began)
    return statistics.median(times) * 1000


def start_server(index: Path, workers: int) -> tuple[subprocess.Popen, int]:
    server = subprocess.Popen([sys.executable, "-m", "newssearch.cli", "serve", "--index", str(index), "--port", "0",
                               "--workers", str(workers)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = server.stderr.readline()
        if "Serving" in line:
            return server, int(line.split("http://127.0.0.1:")[1].split("/")[0])
        if not line and server.poll() is not None:
            break
    server.kill()
    raise SystemExit(f"the server did not start: {server.stderr.read()}")


def drive(port: int, clients: int, seconds: float) -> dict[str, float]:
    done = subprocess.run([sys.executable, "-c", CLIENT, str(port), str(clients), str(seconds), json.dumps(QUERIES),
                           str(MAX_REQUESTS_PER_CLIENT)], capture_output=True, text=True, timeout=seconds + 120)
    if done.returncode:
        raise SystemExit(done.stderr)
    result = json.loads(done.stdout)
    latencies = result["latencies"]
    return {"clients": clients, "requests": len(latencies), "errors": result["errors"],
            "throughput_per_s": round(len(latencies) / result["wall"], 1),
            "p50_ms": round(percentile(latencies, 0.5) * 1000, 2), "p95_ms": round(percentile(latencies, 0.95) * 1000, 2),
            "server_search_p50_ms": round(percentile(result["inside"], 0.5), 2) if result["inside"] else None,
            "client_cpu_ms_per_request": round(result["cpu"] * 1000 / max(1, len(latencies)), 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--clients", default="1,8,32")
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--rounds", type=int, default=3, help="runs of each client count; medians are reported")
    parser.add_argument("--warm", type=int, default=300, help="library searches timed before the server starts")
    parser.add_argument("--write-during", type=Path, help="a folder to index into the (copied) index under load")
    parser.add_argument("--workers", type=int, default=2, help="server processes (serve --workers; each search "
                        "then keeps to one thread when there are 2 or more)")
    args = parser.parse_args()

    from newssearch.index.models.machine import cpu_description

    with tempfile.TemporaryDirectory(prefix="newssearch-load-") as scratch:
        index = Path(scratch) / "index"
        shutil.copytree(args.index, index)
        # The HTTP layer's cost is measured against the library searching as the server's
        # processes do: on one thread each with several processes, else as it chooses.
        # The library is timed again just before each round's one-client run (the
        # server idle meanwhile), so a slower spell of a shared host hits both alike.
        one_thread = args.workers == 1
        report: dict = {"cpu": cpu_description(), "index": str(args.index), "seconds_per_run": args.seconds,
                        "library_warm_p50_ms_two_threads": round(library_warm(index, args.warm, True), 2),
                        "library_rounds_ms": [], "runs": []}
        server, port = start_server(index, args.workers)
        report["workers"] = args.workers
        try:
            drive(port, 1, 2)  # warm the server's processes and caches
            for _ in range(args.rounds):  # rounds alternate the client counts: noise hits each alike
                for clients in (int(c) for c in args.clients.split(",")):
                    if clients == 1:
                        report["library_rounds_ms"].append(round(library_warm(index, args.warm, one_thread), 2))
                    report["runs"].append(drive(port, clients, args.seconds))
            if args.write_during:
                writer = subprocess.Popen([sys.executable, "-m", "newssearch.cli", "index", str(args.write_during),
                                           "--index", str(index), "--quiet"],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                time.sleep(1.0)
                during = []
                while writer.poll() is None:
                    during.append(drive(port, 8, min(args.seconds, 10)))
                writer.wait()
                report["during_index"] = {"index_exit_code": writer.returncode, "runs": during,
                                          "errors": sum(run["errors"] for run in during),
                                          "requests": sum(run["requests"] for run in during)}
        finally:
            server.terminate()
            server.wait(timeout=30)
    report["medians"] = medians = []
    for clients in dict.fromkeys(run["clients"] for run in report["runs"]):
        runs = [run for run in report["runs"] if run["clients"] == clients]
        medians.append({"clients": clients, "rounds": len(runs), "errors": sum(run["errors"] for run in runs),
                        **{key: round(statistics.median(run[key] for run in runs), 2)
                           for key in ("throughput_per_s", "p50_ms", "p95_ms", "server_search_p50_ms")}})
    report["library_warm_p50_ms"] = round(statistics.median(report["library_rounds_ms"]), 2) \
        if report["library_rounds_ms"] else None
    one = next((run for run in medians if run["clients"] == 1), None)
    if one:
        singles = [run["p50_ms"] for run in report["runs"] if run["clients"] == 1]
        costs = [single - library for single, library in zip(singles, report["library_rounds_ms"])]
        report["http_cost_rounds_ms"] = [round(cost, 2) for cost in costs]
        report["http_cost_p50_ms"] = round(statistics.median(costs), 2)
        for run in medians:
            run["throughput_vs_one_client"] = round(run["throughput_per_s"] / one["throughput_per_s"], 2)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
