"""Logs, request ids and metrics: wired into the app by install(), read nowhere else."""

from flask import Flask

from slotkeeper.config import Settings
from slotkeeper.observability import decisions, metrics, request_id
from slotkeeper.observability.logging import configure_logging, install_access_log


def install(app: Flask, settings: Settings) -> None:
    """JSON logs with request ids, one log line per booking decision, /metrics."""
    configure_logging(settings.log_level, settings.log_format)
    request_id.install(app)
    install_access_log(app)
    if settings.metrics_enabled:
        metrics.install(app)
    decisions.install(app)


__all__ = ["install"]
