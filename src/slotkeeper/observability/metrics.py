"""Prometheus metrics at /metrics: request latency by endpoint, booking counters, seats held.

Every app gets its own CollectorRegistry, so apps created side by side (tests) never collide.
Under gunicorn with PROMETHEUS_MULTIPROC_DIR set, prometheus_client keeps the values in files
shared by the workers and the exporter serves their sum, whichever worker is scraped.
"""

from flask import Flask
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_flask_exporter import PrometheusMetrics

EXTENSION = "slotkeeper.metrics"
ACCEPTED = {
    "book": "bookings",
    "hold": "holds",
    "confirm": "confirmations",
    "cancel": "cancellations",
    "reschedule": "reschedules",
}


class BookingMetrics:
    """The domain's counters and the seats-held gauge, registered in one registry."""

    def __init__(self, registry: CollectorRegistry):
        self.accepted = {
            operation: Counter(
                f"slotkeeper_{name}",
                f"{operation} requests answered 2xx (repeats included)",
                registry=registry,
            )
            for operation, name in ACCEPTED.items()
        }
        self.conflicts = Counter(
            "slotkeeper_conflicts",
            "Requests refused with 409, by reason",
            ["operation", "reason"],
            registry=registry,
        )
        self.expirations = Counter(
            "slotkeeper_expirations",
            "Seats' holds the expiry sweep expired or reclaimed",
            registry=registry,
        )
        # each worker's sweep sees the same database: show the latest reading, not a sum
        self.seats_held = Gauge(
            "slotkeeper_seats_held",
            "Seats held by PENDING appointments, as of the last sweep",
            registry=registry,
            multiprocess_mode="mostrecent",
        )

        self.sweep_seconds = Histogram(
            "slotkeeper_sweep_seconds",
            "Time of one expiry sweep pass, the seats-held reading included",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=registry,
        )

    def decision(self, operation: str, code: int, reason: str | None) -> None:
        if code < 400:
            self.accepted[operation].inc()
        elif code == 409:
            self.conflicts.labels(operation, reason or "CONFLICT").inc()

    def swept(self, expired: int, seats_held: int, seconds: float) -> None:
        self.expirations.inc(expired)
        self.seats_held.set(seats_held)
        self.sweep_seconds.observe(seconds)


def metrics_of(app: Flask) -> BookingMetrics | None:
    """The app's booking metrics, or None when METRICS_ENABLED is off."""
    return app.extensions.get(EXTENSION)


def install(app: Flask) -> None:
    registry = CollectorRegistry()
    # label by endpoint (view name), not path: ids in paths would make a series per appointment
    PrometheusMetrics(app, registry=registry, group_by="endpoint")
    app.extensions[EXTENSION] = BookingMetrics(registry)
