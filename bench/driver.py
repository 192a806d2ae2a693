"""A compact threaded HTTP load driver: one keep-alive http.client connection per thread.

Every run is bounded twice, by a request count and by wall time, so it always stops.
"""

import http.client
import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field


class Http:
    """One keep-alive connection to the service; reconnects when the server closed it."""

    def __init__(self, port: int, timeout: float = 120.0):
        self.port, self.timeout, self.conn = port, timeout, None

    def request(self, method: str, path: str, body=None) -> tuple[int, bytes]:
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"} if data is not None else {}
        reused = self.conn is not None
        try:
            return self._send(method, path, data, headers)
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            if not reused:
                raise
        # the server closed the idle keep-alive connection before reading this request
        return self._send(method, path, data, headers)

    def _send(self, method, path, data, headers) -> tuple[int, bytes]:
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            self.conn.request(method, path, body=data, headers=headers)
            response = self.conn.getresponse()
            payload = response.read()
        except (http.client.HTTPException, OSError):
            self.close()
            raise
        if (response.getheader("Connection") or "").lower() == "close":
            self.close()
        return response.status, payload

    def json(self, method: str, path: str, body=None, expect: int = 200):
        status, payload = self.request(method, path, body)
        if status != expect:
            raise RuntimeError(f"{method} {path} -> {status}: {payload[:300]!r}")
        return json.loads(payload)

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


@dataclass
class Run:
    """What one load run saw: a latency (seconds) and a status per request, and its duration."""

    latencies: list = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    errors: int = 0  # requests that got no HTTP answer at all
    elapsed: float = 0.0

    @property
    def count(self) -> int:
        return len(self.latencies)

    @property
    def rps(self) -> float:
        return self.count / self.elapsed if self.elapsed else 0.0

    def percentile(self, p: float) -> float:
        """The p-th percentile latency in milliseconds (nearest rank)."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
        return ordered[rank] * 1000

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500) + self.errors

    def summary(self) -> dict:
        return {
            "requests": self.count,
            "elapsed_s": round(self.elapsed, 3),
            "rps": round(self.rps, 1),
            "statuses": dict(sorted(self.statuses.items())),
            "errors": self.errors,
            "p50_ms": round(self.percentile(50), 2),
            "p95_ms": round(self.percentile(95), 2),
            "p99_ms": round(self.percentile(99), 2),
        }


def drive(
    port: int,
    make_request,
    threads: int,
    max_requests: int,
    max_seconds: float,
    barrier: bool = False,
) -> Run:
    """Send make_request(i) -> (method, path, body) for i = 0, 1, ... from `threads` threads,
    until max_requests are sent or max_seconds have passed. With barrier=True every thread
    sends its first request at the same moment (a thundering herd)."""
    run, lock, counter = Run(), threading.Lock(), iter(range(max_requests))
    start_line = threading.Barrier(threads) if barrier else None
    started = [0.0]

    def worker():
        http_ = Http(port)
        if start_line is not None:
            start_line.wait()
        deadline = started[0] + max_seconds
        try:
            while time.perf_counter() < deadline:
                with lock:
                    i = next(counter, None)
                if i is None:
                    return
                method, path, body = make_request(i)
                sent = time.perf_counter()
                try:
                    status, _ = http_.request(method, path, body)
                except (http.client.HTTPException, OSError):
                    with lock:
                        run.errors += 1
                    continue
                took = time.perf_counter() - sent
                with lock:
                    run.latencies.append(took)
                    run.statuses[status] += 1
        finally:
            http_.close()

    pool = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    started[0] = time.perf_counter()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(max_seconds + 130)  # a request may take up to the client timeout
    run.elapsed = time.perf_counter() - started[0]
    return run
