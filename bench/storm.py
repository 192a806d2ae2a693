"""One load phase of `make bench` against any checkout, to compare two versions in turn.

    python bench/storm.py [--root CHECKOUT] [--what book|refused-hold|hello]
                          [--level INFO|WARNING] [--requests 1500] [--clients 8]
                          [--spy out.txt]

Serves `seeded:app` (or bench/hello.py for `hello`) of CHECKOUT (default: this one) with
this interpreter, on the settings of `make bench`, sends the requests from 8 clients (or
--clients) and
prints the server CPU per request read from /proc, and how much of it the worker's main
thread (gunicorn's event loop) spent. `book` books distinct free slots;
`refused-hold` holds one full slot (every hold but none is refused, the contention path).
With --spy, `py-spy record --gil` samples the worker meanwhile (raw stacks, one per line,
for flame graphs or counting). The machine is shared: run the versions in turn, twice.
"""

import argparse
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run as bench  # noqa: E402
from driver import Http, drive  # noqa: E402

VENV_BIN = Path(sys.executable).parent


def worker_of(server: bench.Server) -> str:
    pid = server.process.pid
    return Path(f"/proc/{pid}/task/{pid}/children").read_text().split()[0]


def main_thread_cpu(server: bench.Server) -> float:
    """CPU seconds of the worker's main thread: gunicorn's event loop, which accepts
    connections and hands them to the request threads."""
    worker = worker_of(server)
    fields = Path(f"/proc/{worker}/task/{worker}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / bench.TICK


def spy(server: bench.Server, out: str) -> subprocess.Popen:
    worker = worker_of(server)
    command = [str(VENV_BIN / "py-spy"), "record", "--gil", "-r", "200", "-f", "raw"]
    process = subprocess.Popen(
        [*command, "-o", out, "--pid", worker],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1.5)  # py-spy attaches
    return process


def requests_for(what: str, http_: Http, count: int):
    if what == "hello":
        return lambda i: ("GET", "/hello", None)
    catalogue = bench.Catalogue(http_, "storm")
    catalogue.make(count + 201)
    warm = catalogue.take(200)
    drive(http_.port, bench.book_each(warm, "warm"), bench.THREADS, len(warm), 30)
    if what == "book":
        return bench.book_each(catalogue.take(count), "storm")
    [full] = catalogue.take(1)
    http_.json("POST", "/api/v1/appointments/book", {"slotId": full, "userId": "first"}, 201)
    return lambda i: ("POST", "/api/v1/appointments/hold", {"slotId": full, "userId": f"r{i}"})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=str(bench.ROOT), help="the checkout to serve")
    parser.add_argument("--what", choices=("book", "refused-hold", "hello"), default="book")
    parser.add_argument("--level", default="INFO")
    parser.add_argument("--requests", type=int, default=1500)
    parser.add_argument("--clients", type=int, default=bench.THREADS, help="concurrent clients")
    parser.add_argument("--spy", help="write py-spy's raw samples of the worker here")
    args = parser.parse_args()
    bench.ROOT = Path(args.root).resolve()
    bench.RESULTS = bench.ROOT / "bench" / "results"
    if args.what == "hello":
        server = bench.Server("storm-hello", "hello:app", {})
        ready = "/hello"
    else:
        server = bench.Server("storm", "seeded:app", bench.slotkeeper_env(args.level))
        ready = "/api/v1/health"
    try:
        server.wait_ready(ready)
        http_ = Http(server.port)
        make_request = requests_for(args.what, http_, args.requests)
        http_.close()
        if args.what == "hello":  # the others warmed up by booking while making slots
            bench.with_cpu(server, make_request, 500, 30)
        sampler = spy(server, args.spy) if args.spy else None
        loop_before = main_thread_cpu(server)
        run = bench.with_cpu(server, make_request, args.requests, 120, threads=args.clients)
        loop_ms = (main_thread_cpu(server) - loop_before) / max(run["requests"], 1) * 1000
        if sampler is not None:
            sampler.send_signal(2)  # SIGINT: py-spy writes its file and exits
            sampler.wait(30)
    finally:
        server.stop()
    print(
        f"{args.what} {args.level if args.what != 'hello' else ''} "
        f"{run['cpu_ms_per_request']} ms server CPU per request, {run['rps']} req/s, "
        f"p99 {run['p99_ms']} ms, statuses {run['statuses']}, {args.clients} clients; "
        f"gunicorn's event loop {loop_ms:.3f} ms of it ({bench.ROOT})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
