"""Where a booking and a slot listing spend their time, in process, with cProfile.

    python bench/profile_growth.py --slots 50000 --requests 20

Seeds the embedded engine through the API (Flask test client, no HTTP), then profiles
GET /health (the yardstick), bookings on free slots, holds refused by a full slot (the
contention path) and GET /slots?page_size=20, and writes the top functions by own and by
cumulative time to bench/results/profile-<what>-<slots>.txt.
"""

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
RESULTS = ROOT / "bench" / "results"


def seeded_client(slots: int):
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    from slotkeeper import create_app
    from slotkeeper.config import load_settings

    app = create_app(load_settings().with_overrides(expiry_job_enabled=False, mongodb_uri=None))
    client = app.test_client()
    services = [
        client.post("/api/v1/services", json={"name": f"P{i}"}).json["id"] for i in range(5)
    ]
    free, day, call = [], date.today() + timedelta(days=2), 0
    while len(free) < slots:
        days = min(50, -(-(slots - len(free)) // 100))
        made = client.post(
            "/api/v1/slots/generate",
            json={
                "serviceId": services[call % 5],
                "fromDate": day.isoformat(),
                "toDate": (day + timedelta(days=days - 1)).isoformat(),
                "dayStart": "08:00",
                "dayEnd": "16:20",
                "durationMinutes": 5,
                "weekdays": [1, 2, 3, 4, 5, 6, 7],
            },
        ).json
        free += [s["id"] for s in made["slots"]]
        call += 1
        if call % 5 == 0:
            day += timedelta(days=days)
    return client, free


def profiled(name: str, slots: int, calls) -> float:
    profile = cProfile.Profile()
    started = time.perf_counter()
    profile.enable()
    for call in calls:
        call()
    profile.disable()
    per_call = (time.perf_counter() - started) / len(calls) * 1000
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out).strip_dirs()
    out.write(f"{name}: {len(calls)} calls, {per_call:.1f} ms each (under cProfile)\n")
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(40)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"profile-{name}-{slots}.txt").write_text(out.getvalue())
    print(out.getvalue().splitlines()[0])
    return per_call


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slots", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=50, help="bookings and refusals")
    parser.add_argument("--lists", type=int, default=5, help="GET /slots requests")
    args = parser.parse_args()
    client, free = seeded_client(args.slots)
    n, full = args.requests, free.pop()
    assert (
        client.post(
            "/api/v1/appointments/book", json={"slotId": full, "userId": "first"}
        ).status_code
        == 201
    )
    book = [
        lambda i=i: client.post(
            "/api/v1/appointments/book", json={"slotId": free[i], "userId": f"p{i}"}
        )
        for i in range(n)
    ]
    refused = [
        lambda i=i: client.post(
            "/api/v1/appointments/hold", json={"slotId": full, "userId": f"r{i}"}
        )
        for i in range(n)
    ]
    health = [lambda: client.get("/api/v1/health")] * n
    listing = [lambda: client.get("/api/v1/slots?page_size=20")] * args.lists
    for name, calls in (
        ("health", health),
        ("book", book),
        ("refused-hold", refused),
        ("list", listing),
    ):
        profiled(name, args.slots, calls)
    return 0


if __name__ == "__main__":
    sys.exit(main())
