"""`make bench`: slotkeeper under gunicorn, measured in one bounded run.

Starts `gunicorn -w 1 --threads 8 wsgi:app` on a free loopback port (embedded engine, expiry
job off), waits for /health, then measures with a threaded http.client driver:

  ceiling      GET /api/v1/health req/s: the framework's own cost, the yardstick; and the
               same 500 clients as below sending GET /health at one moment (queueing alone)
  list         GET /api/v1/slots?page_size=20 req/s
  book         POST /appointments/book req/s, each request on its own slot
  contention   500 clients hold one slot of capacity 10 at the same moment: exactly 10 win,
               the others get 409, no 5xx; p50/p95/p99 latency
  growth       booking and listing latency with 1k, 10k and 50k slots stored (seeded
               through POST /slots/generate, capacity-1 slots on several services)

Prints one table (each figure and its ratio to the ceiling), writes bench/results/latest.json
and draws bench/results/latest.png. Every phase is bounded by a request count and by time,
and the whole run by --budget seconds; the server is always stopped.
"""

import argparse
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from driver import Http, drive  # noqa: E402
from report import draw, table  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
THREADS = 8
SLOTS_PER_DAY = 100  # 08:00 to 16:20 in 5-minute slots
SERVICES = 5
TARGETS = {"book_vs_ceiling": 0.5, "contention_p99_ms": 250, "growth_book_ratio": 2.0}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn with one worker process (the embedded engine is single-process), 8 threads."""

    def __init__(self, port: int, log_level: str):
        env = {
            **os.environ,
            "EXPIRY_JOB_ENABLED": "false",
            "LOG_LEVEL": log_level,
            "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
        }
        env.pop("MONGODB_URI", None)
        RESULTS.mkdir(parents=True, exist_ok=True)
        self.log = open(RESULTS / "server.log", "wb")
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            "1",
            "--threads",
            str(THREADS),
            "-b",
            f"127.0.0.1:{port}",
            "wsgi:app",
        ]
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.port = port

    def wait_healthy(self, seconds: float = 60) -> dict:
        deadline, http_ = time.monotonic() + seconds, Http(self.port, timeout=5)
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"gunicorn exited ({self.process.returncode}); see {RESULTS / 'server.log'}"
                )
            try:
                return http_.json("GET", "/api/v1/health")
            except (OSError, RuntimeError):
                time.sleep(0.2)
            finally:
                http_.close()
        raise RuntimeError(f"no healthy answer within {seconds:.0f} s")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        self.log.close()


class Catalogue:
    """Grows the stored slots through the API and hands out slots nobody booked yet."""

    def __init__(self, http_: Http):
        self.http = http_
        self.services = [
            http_.json("POST", "/api/v1/services", {"name": f"Bench {i}"}, 201)["id"]
            for i in range(SERVICES)
        ]
        self.next_day = {s: date.today() + timedelta(days=2) for s in self.services}
        self.stored, self.free, self.calls = 0, [], 0

    def grow_to(self, total: int) -> float:
        """Generate capacity-1 slots until `total` are stored; the seconds it took."""
        started = time.perf_counter()
        while self.stored < total:
            service = self.services[self.calls % SERVICES]
            days = min(50, -(-(total - self.stored) // SLOTS_PER_DAY))  # at most 5000 per call
            first = self.next_day[service]
            body = {
                "serviceId": service,
                "fromDate": first.isoformat(),
                "toDate": (first + timedelta(days=days - 1)).isoformat(),
                "dayStart": "08:00",
                "dayEnd": "16:20",
                "durationMinutes": 5,
                "weekdays": [1, 2, 3, 4, 5, 6, 7],
            }
            made = self.http.json("POST", "/api/v1/slots/generate", body, 201)
            self.next_day[service] = first + timedelta(days=days)
            self.stored += made["created"]
            self.free += [slot["id"] for slot in made["slots"]]
            self.calls += 1
        return time.perf_counter() - started

    def take(self, n: int) -> list[str]:
        taken, self.free = self.free[:n], self.free[n:]
        return taken


def book_each(slots: list[str], tag: str):
    def request(i):
        return "POST", "/api/v1/appointments/book", {"slotId": slots[i], "userId": f"{tag}-{i}"}

    return request


def contention(port: int, http_: Http, clients: int, seats: int) -> dict:
    service = http_.json("POST", "/api/v1/services", {"name": "Contended hall"}, 201)["id"]
    start = (date.today() + timedelta(days=1)).isoformat()
    slot = http_.json(
        "POST",
        "/api/v1/slots",
        {
            "serviceId": service,
            "startTime": f"{start}T18:00:00Z",
            "endTime": f"{start}T20:00:00Z",
            "capacity": seats,
        },
        201,
    )["id"]
    run = drive(
        port,
        lambda i: ("POST", "/api/v1/appointments/hold", {"slotId": slot, "userId": f"herd-{i}"}),
        threads=clients,
        max_requests=clients,
        max_seconds=120,
        barrier=True,
    )
    after = http_.json("GET", f"/api/v1/slots/{slot}")
    return {
        **run.summary(),
        "clients": clients,
        "capacity": seats,
        "winners": run.statuses.get(201, 0),
        "refused_409": run.statuses.get(409, 0),
        "server_errors": run.server_errors,
        "slot_after": {
            k: after[k] for k in ("heldSeats", "bookedSeats", "availableSeats", "status")
        },
        "latencies_ms": [round(x * 1000, 3) for x in run.latencies],
    }


def growth_point(port: int, catalogue: Catalogue, samples: int, seconds: float) -> dict:
    """Latency of one client at a time (no queueing): bookings on free slots, and page 1."""
    book = drive(
        port,
        book_each(catalogue.take(samples), f"grow{catalogue.stored}"),
        threads=1,
        max_requests=samples,
        max_seconds=seconds,
    )
    listing = drive(
        port,
        lambda i: ("GET", "/api/v1/slots?page_size=20", None),
        threads=1,
        max_requests=samples,
        max_seconds=seconds,
    )
    return {"slots": catalogue.stored, "book": book.summary(), "list": listing.summary()}


def measure(port: int, args) -> dict:
    http_ = Http(port)
    results = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "loadavg_before": os.getloadavg(),
        },
        "config": vars(args),
    }
    catalogue = Catalogue(http_)
    results["seed_seconds"] = {args.sizes[0]: round(catalogue.grow_to(args.sizes[0]), 2)}
    quick = dict(threads=THREADS, max_seconds=args.seconds)
    ceiling = drive(port, lambda i: ("GET", "/api/v1/health", None), max_requests=50_000, **quick)
    ceiling_1 = drive(
        port,
        lambda i: ("GET", "/api/v1/health", None),
        threads=1,
        max_requests=args.samples,
        max_seconds=args.seconds,
    )
    listing = drive(
        port, lambda i: ("GET", "/api/v1/slots?page_size=20", None), max_requests=5_000, **quick
    )
    booking = drive(
        port, book_each(catalogue.take(args.bookings), "tp"), max_requests=args.bookings, **quick
    )
    results.update(
        ceiling=ceiling.summary(),
        ceiling_sequential=ceiling_1.summary(),
        list=listing.summary(),
        book=booking.summary(),
    )
    herd = drive(
        port,
        lambda i: ("GET", "/api/v1/health", None),
        threads=args.clients,
        max_requests=args.clients,
        max_seconds=120,
        barrier=True,
    )
    results["ceiling_herd"] = herd.summary()
    results["contention"] = contention(port, http_, args.clients, 10)
    results["growth"] = [growth_point(port, catalogue, args.samples, args.seconds * 4)]
    for size in args.sizes[1:]:
        results["seed_seconds"][size] = round(catalogue.grow_to(size), 2)
        results["growth"].append(growth_point(port, catalogue, args.samples, args.seconds * 4))
    results["machine"]["loadavg_after"] = os.getloadavg()
    http_.close()
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5, help="time bound of each load run")
    parser.add_argument("--bookings", type=int, default=600, help="bookings in the throughput run")
    parser.add_argument("--clients", type=int, default=500, help="clients in the contention run")
    parser.add_argument("--samples", type=int, default=100, help="requests per growth point")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 50_000])
    parser.add_argument("--log-level", default="WARNING", help="the server's LOG_LEVEL")
    parser.add_argument("--budget", type=float, default=900, help="hard limit of the run, s")
    args = parser.parse_args(argv)

    def over_budget(*_):
        sys.exit(f"bench: over the {args.budget:.0f} s budget")

    signal.signal(signal.SIGALRM, over_budget)
    signal.alarm(int(args.budget))
    server = Server(free_port(), args.log_level)
    try:
        health = server.wait_healthy()
        print(f"gunicorn on 127.0.0.1:{server.port}, engine {health['engine']}", flush=True)
        results = measure(server.port, args)
    finally:
        server.stop()
        signal.alarm(0)
    results["targets"] = TARGETS
    print(table(results))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(results, indent=1, default=str))
    draw(results, RESULTS / "latest.png")
    print(f"wrote {RESULTS / 'latest.json'} and {RESULTS / 'latest.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
