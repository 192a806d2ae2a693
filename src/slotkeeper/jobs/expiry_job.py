"""The expiry sweep on a timer: scheduler glue only, like a view without HTTP."""
import logging

from flask import Flask
from flask_apscheduler import APScheduler

from slotkeeper.context import current_repos, now, settings
from slotkeeper.service_layer.expiry import sweep

log = logging.getLogger(__name__)
JOB_ID = "expiry-sweep"


def run_expiry(app: Flask) -> None:
    with app.app_context():
        report = sweep(current_repos(), now())
        if report.expired or report.moves_finished:
            log.info("sweep expired %d hold(s), checked %d slot(s), finished %d move(s)",
                     report.expired, report.slots_checked, report.moves_finished)


def start_expiry_job(app: Flask) -> APScheduler:
    """One scheduler per process; the sweep stays correct when several processes run it."""
    scheduler = APScheduler()
    scheduler.init_app(app)
    with app.app_context():
        interval = settings().expiry_sweep_seconds
    scheduler.add_job(id=JOB_ID, func=run_expiry, args=[app], trigger="interval",
                      seconds=interval, max_instances=1, coalesce=True)
    scheduler.start()
    return scheduler
