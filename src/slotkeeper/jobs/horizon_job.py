"""Opening hours on a timer, in the same scheduler as the expiry sweep: scheduler glue.

Each run keeps every active scheduled service's slots laid up to its horizon. Laying is
idempotent and safe in several processes at once (see service_layer/opening_hours.py), so
every app process runs it; the first run of a day lays the new day, the others find nothing
to lay.
"""

import logging

from flask import Flask

from slotkeeper.context import current_repos, now
from slotkeeper.database.connection import is_unavailable
from slotkeeper.service_layer.opening_hours import extend_horizons

log = logging.getLogger(__name__)
JOB_ID = "opening-hours-horizon"


def run_horizon(app: Flask) -> None:
    """One run; a database outage is logged in one line and the next run tries again."""
    with app.app_context():
        try:
            report = extend_horizons(current_repos(), now())
        except Exception as err:
            if not is_unavailable(err):
                raise
            log.warning("horizon run skipped, the database is unavailable: %s", type(err).__name__)
            return
        if report.created or report.removed:
            log.info(
                "horizon: %d slot(s) laid, %d removed, over %d scheduled service(s)",
                report.created,
                report.removed,
                report.services,
                extra={
                    "event": "horizon",
                    "created": report.created,
                    "removed": report.removed,
                    "services": report.services,
                },
            )
