"""The expiry sweep on a timer (and, in the same scheduler, the webhook deliveries of
jobs/webhook_job.py and the opening hours of jobs/horizon_job.py): scheduler glue only, like
a view without HTTP.

At most one scheduler runs per process. It is started by create_app in the process that
serves (each gunicorn worker, never the master: the config refuses preload_app, and a
forked child does not inherit the parent's scheduler thread) and stopped on exit: by
gunicorn's worker_exit hook on SIGTERM, or by atexit elsewhere.
"""

import atexit
import logging
import os
import threading
import time

from flask import Flask
from flask_apscheduler import APScheduler

from slotkeeper.context import current_repos, now, settings
from slotkeeper.database.connection import is_unavailable
from slotkeeper.jobs.horizon_job import JOB_ID as HORIZON_JOB_ID
from slotkeeper.jobs.horizon_job import run_horizon
from slotkeeper.jobs.webhook_job import JOB_ID as WEBHOOK_JOB_ID
from slotkeeper.jobs.webhook_job import run_webhooks
from slotkeeper.observability.metrics import metrics_of
from slotkeeper.service_layer.expiry import sweep

log = logging.getLogger(__name__)
JOB_ID = "expiry-sweep"

_guard = threading.Lock()
_running: dict[int, APScheduler] = {}  # pid -> the scheduler that process started


def run_expiry(app: Flask) -> None:
    """One sweep; a database outage is logged in one line and the next run tries again."""
    with app.app_context():
        try:
            started = time.perf_counter()
            report = sweep(current_repos(), now())
            metrics = metrics_of(app)
            if metrics is not None:
                held = current_repos().slots.seats_held()
                metrics.swept(report.expired, held, time.perf_counter() - started)
        except Exception as err:
            if not is_unavailable(err):
                raise
            log.warning("expiry sweep skipped, the database is unavailable: %s", type(err).__name__)
            return
        if report.expired or report.moves_finished:
            log.info(
                "sweep expired %d hold(s), checked %d slot(s), finished %d move(s)",
                report.expired,
                report.slots_checked,
                report.moves_finished,
                extra={
                    "event": "sweep",
                    "expired": report.expired,
                    "slotsChecked": report.slots_checked,
                    "movesFinished": report.moves_finished,
                },
            )


def start_expiry_job(app: Flask) -> APScheduler | None:
    """Start this process's scheduler for `app`; None when one already runs here."""
    with _guard:
        current = _running.get(os.getpid())
        if current is not None and current.running:
            log.warning("an expiry scheduler already runs in this process; not starting another")
            return None
        scheduler = APScheduler()
        scheduler.init_app(app)
        with app.app_context():
            jobs = [
                (JOB_ID, run_expiry, settings().expiry_sweep_seconds),
                (WEBHOOK_JOB_ID, run_webhooks, settings().webhook_job_seconds),
                (HORIZON_JOB_ID, run_horizon, settings().horizon_job_seconds),
            ]
        for job_id, run, seconds in jobs:
            scheduler.add_job(
                id=job_id,
                func=run,
                args=[app],
                trigger="interval",
                seconds=seconds,
                max_instances=1,
                coalesce=True,
            )
        scheduler.start()
        _running[os.getpid()] = scheduler
        return scheduler


def stop_expiry_job(wait: bool = True) -> bool:
    """Stop this process's scheduler, letting a sweep in progress finish; whether one ran."""
    with _guard:
        scheduler = _running.pop(os.getpid(), None)
    if scheduler is None or not scheduler.running:
        return False
    scheduler.shutdown(wait=wait)
    log.info("expiry scheduler stopped")
    return True


# a sweep is safe to interrupt, but a clean stop avoids a traceback from a dying thread pool
atexit.register(stop_expiry_job)
