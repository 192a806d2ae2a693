"""`make bench`: slotkeeper against a bare Flask app, both under gunicorn, in one bounded run.

Every figure is a ratio to the bare Flask app (bench/hello.py) served in the same run on the
same settings (`gunicorn -k gthread -w 1 --threads 8`), because the machine is shared and
noisy: absolute numbers move with the neighbours, ratios much less.

  cpu          server CPU per request, read from /proc (utime + stime of the gunicorn master
               and its workers) over a phase, divided by its requests: GET /hello, GET
               /health, and POST /appointments/book on distinct slots at LOG_LEVEL=INFO (the
               default) and WARNING
  contention   500 clients hold one slot of capacity 10 at the same moment: exactly 10 win,
               the others get 409, no 5xx; p99 against 500 clients calling GET /hello at once
  lists        GET /slots?page_size=20 and GET /appointments?userId= (one client, p50) with
               1k and with 50k slots stored (1k and 100k appointments); the user has a full
               page (20) of appointments at both sizes
  stall        with 50k slots and 100k appointments stored and the expiry job on (a pass
               every 2 s, the webhook job too): the time of a sweep pass with nothing due
               (slotkeeper_sweep_seconds), and the worst latency of one client calling GET
               /health back to back, against the same client on GET /hello

slotkeeper runs `bench/seeded.py`: the service plus one bench-only endpoint that stores the
large collections in seconds. Prints a table, writes bench/results/latest.json and
bench/results/latest.png. Each phase is bounded by a request count and by time, the whole run
by --budget seconds; the servers are always stopped.
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
TICK = os.sysconf("SC_CLK_TCK")
TARGETS = {
    "book_cpu_vs_hello": 2.5,
    "contention_p99_vs_hello": 1.8,
    "lists_growth": 1.5,
    "sweep_idle_ms": 50,
    "stall_extra_ms": 100,
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """utime + stime of `pid` and of its children still running (gunicorn's workers)."""
    pids = [pid]
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            pids += [int(c) for c in (task / "children").read_text().split()]
    except OSError:
        pass
    total = 0
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / TICK


class Server:
    """gunicorn, one gthread worker with 8 threads, on a free loopback port."""

    def __init__(self, name: str, app: str, env: dict):
        self.name, self.port = name, free_port()
        environment = {
            **os.environ,
            **env,
            "PYTHONPATH": os.pathsep.join([str(ROOT / "bench"), str(ROOT / "src"), str(ROOT)]),
        }
        environment.pop("MONGODB_URI", None)
        RESULTS.mkdir(parents=True, exist_ok=True)
        self.log = open(RESULTS / f"server-{name}.log", "wb")
        command = [sys.executable, "-m", "gunicorn", "-k", "gthread", "-w", "1"]
        command += ["--threads", str(THREADS), "-b", f"127.0.0.1:{self.port}", app]
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=environment,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, path: str, seconds: float = 60) -> None:
        deadline, http_ = time.monotonic() + seconds, Http(self.port, timeout=5)
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited; see {self.log.name}")
            try:
                http_.json("GET", path)
                return
            except (OSError, RuntimeError):
                time.sleep(0.2)
            finally:
                http_.close()
        raise RuntimeError(f"{self.name}: no answer within {seconds:.0f} s")

    def cpu(self) -> float:
        return cpu_seconds(self.process.pid)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        self.log.close()


def with_cpu(server: Server, make_request, count: int, seconds: float, threads=THREADS) -> dict:
    """A load run and the server CPU it cost, per request."""
    before = server.cpu()
    run = drive(server.port, make_request, threads=threads, max_requests=count, max_seconds=seconds)
    spent = server.cpu() - before
    return {**run.summary(), "cpu_ms_per_request": round(spent / max(run.count, 1) * 1000, 3)}


def herd(port: int, make_request, clients: int) -> dict:
    run = drive(
        port, make_request, threads=clients, max_requests=clients, max_seconds=120, barrier=True
    )
    return {**run.summary(), "latencies_ms": [round(x * 1000, 3) for x in run.latencies]}


def worst_latency(port: int, path: str, seconds: float) -> dict:
    run = drive(
        port, lambda i: ("GET", path, None), threads=1, max_requests=10**6, max_seconds=seconds
    )
    return {**run.summary(), "max_ms": round(max(run.latencies) * 1000, 2)}


class Catalogue:
    """Free slots made through the API (POST /slots/generate), handed out one per booking."""

    def __init__(self, http_: Http, tag: str):
        self.http = http_
        self.services = [
            http_.json("POST", "/api/v1/services", {"name": f"Bench {tag} {i}"}, 201)["id"]
            for i in range(SERVICES)
        ]
        self.next_day = {s: date.today() + timedelta(days=2) for s in self.services}
        self.free, self.calls = [], 0

    def make(self, count: int) -> None:
        goal = len(self.free) + count
        while len(self.free) < goal:
            service = self.services[self.calls % SERVICES]
            days = min(50, -(-(goal - len(self.free)) // SLOTS_PER_DAY))
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
            self.free += [slot["id"] for slot in made["slots"]]
            self.calls += 1

    def take(self, n: int) -> list[str]:
        taken, self.free = self.free[:n], self.free[n:]
        return taken


def book_each(slots: list[str], tag: str):
    def request(i):
        return "POST", "/api/v1/appointments/book", {"slotId": slots[i], "userId": f"{tag}-{i}"}

    return request


def booking_cpu(server: Server, http_: Http, args, tag: str) -> dict:
    catalogue = Catalogue(http_, tag)
    catalogue.make(args.bookings + 200)
    drive(server.port, book_each(catalogue.take(200), f"warm-{tag}"), THREADS, 200, 30)  # warm-up
    slots = catalogue.take(args.bookings)
    return with_cpu(server, book_each(slots, tag), args.bookings, args.seconds * 6)


def contention(server: Server, http_: Http, clients: int, seats: int) -> dict:
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
    run = herd(
        server.port,
        lambda i: ("POST", "/api/v1/appointments/hold", {"slotId": slot, "userId": f"herd-{i}"}),
        clients,
    )
    after = http_.json("GET", f"/api/v1/slots/{slot}")
    statuses = run["statuses"]
    return {
        **run,
        "clients": clients,
        "capacity": seats,
        "winners": statuses.get(201, 0),
        "refused_409": statuses.get(409, 0),
        "server_errors": sum(n for s, n in statuses.items() if s >= 500) + run["errors"],
        "slot_after": {k: after[k] for k in ("heldSeats", "bookedSeats", "status")},
    }


def lists(server: Server, samples: int, seconds: float) -> dict:
    out = {}
    for name, path in (
        ("slots", "/api/v1/slots?page_size=20"),
        ("appointments", "/api/v1/appointments?userId=user-7"),
    ):
        drive(server.port, lambda i, p=path: ("GET", p, None), 1, 5, seconds)  # warm-up
        run = drive(server.port, lambda i, p=path: ("GET", p, None), 1, samples, seconds)
        out[name] = run.summary()
    return out


def seed_to(http_: Http, stored: dict, slots: int, appointments: int, users: int) -> float:
    """Store slots and appointments up to the counts; `users` share the new appointments."""
    started = time.perf_counter()
    while stored["slots"] < slots:
        n = min(10_000, slots - stored["slots"])
        want = -(-(appointments - stored["appointments"]) * n // (slots - stored["slots"]))
        body = {"slots": n, "appointments": max(want, n), "users": users}
        made = http_.json("POST", "/bench/seed", body, 201)
        stored["slots"] += made["slots"]
        stored["appointments"] += made["appointments"]
    return round(time.perf_counter() - started, 1)


def sweep_seconds(http_: Http) -> dict:
    """The sweep histogram from /metrics: passes, their mean, and how many took <= 50 ms."""
    status, body = http_.request("GET", "/metrics")
    values = {}
    for line in body.decode().splitlines():
        if line.startswith("slotkeeper_sweep_seconds"):
            name, value = line.rsplit(" ", 1)
            values[name] = float(value)
    return {
        "passes": values.get("slotkeeper_sweep_seconds_count", 0),
        "sum_s": values.get("slotkeeper_sweep_seconds_sum", 0),
        "within_50ms": values.get('slotkeeper_sweep_seconds_bucket{le="0.05"}', 0),
    }


def slotkeeper_env(log_level: str) -> dict:
    return {
        "EXPIRY_JOB_ENABLED": "true",
        "EXPIRY_SWEEP_SECONDS": "2",
        "WEBHOOK_JOB_SECONDS": "2",
        "LOG_LEVEL": log_level,
    }


def measure(args) -> dict:
    results = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "loadavg_before": os.getloadavg(),
        },
        "config": vars(args),
    }
    hello = Server("hello", "hello:app", {})
    try:
        hello.wait_ready("/hello")
        say_hello = lambda i: ("GET", "/hello", None)  # noqa: E731
        with_cpu(hello, say_hello, 500, 10)  # warm-up
        results["hello"] = with_cpu(hello, say_hello, args.bookings * 2, args.seconds * 6)
        results["hello_herd"] = herd(hello.port, say_hello, args.clients)
        results["hello_stall"] = worst_latency(hello.port, "/hello", args.stall_seconds)
    finally:
        hello.stop()
    print("bare Flask measured", flush=True)

    app = Server("slotkeeper-info", "seeded:app", slotkeeper_env("INFO"))
    try:
        app.wait_ready("/api/v1/health")
        http_ = Http(app.port)
        stored = {"slots": 0, "appointments": 0}
        results["seed_s"] = {"1k": seed_to(http_, stored, 1000, 1000, 50)}
        results["lists_1k"] = {**lists(app, args.samples, args.seconds), "stored": dict(stored)}
        health = lambda i: ("GET", "/api/v1/health", None)  # noqa: E731
        results["health"] = with_cpu(app, health, args.bookings * 2, args.seconds * 6)
        results["book_info"] = booking_cpu(app, http_, args, "info")
        results["contention"] = contention(app, http_, args.clients, 10)
        print("bookings and contention measured", flush=True)
        results["seed_s"]["50k"] = seed_to(http_, stored, 50_000, 100_000, 5000)
        results["lists_50k"] = {**lists(app, args.samples, args.seconds), "stored": dict(stored)}
        before = sweep_seconds(http_)
        results["stall"] = worst_latency(app.port, "/api/v1/health", args.stall_seconds)
        after = sweep_seconds(http_)
        passes = after["passes"] - before["passes"]
        results["sweep"] = {
            "passes": passes,
            "mean_ms": round((after["sum_s"] - before["sum_s"]) / max(passes, 1) * 1000, 2),
            "within_50ms": after["within_50ms"] - before["within_50ms"],
        }
        http_.close()
    finally:
        app.stop()
    print("lists and stall measured", flush=True)

    app = Server("slotkeeper-warning", "seeded:app", slotkeeper_env("WARNING"))
    try:
        app.wait_ready("/api/v1/health")
        http_ = Http(app.port)
        results["book_warning"] = booking_cpu(app, http_, args, "warning")
        http_.close()
    finally:
        app.stop()
    results["machine"]["loadavg_after"] = os.getloadavg()
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5, help="time unit of the load runs")
    parser.add_argument("--bookings", type=int, default=3000, help="bookings per CPU phase")
    parser.add_argument("--clients", type=int, default=500, help="clients in the herds")
    parser.add_argument("--samples", type=int, default=50, help="requests per list figure")
    parser.add_argument("--stall-seconds", type=float, default=8, help="the stall phase")
    parser.add_argument("--budget", type=float, default=600, help="hard limit of the run, s")
    args = parser.parse_args(argv)

    def over_budget(*_):
        sys.exit(f"bench: over the {args.budget:.0f} s budget")

    signal.signal(signal.SIGALRM, over_budget)
    signal.alarm(int(args.budget))
    try:
        results = measure(args)
    finally:
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
