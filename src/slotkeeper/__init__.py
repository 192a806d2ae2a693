"""slotkeeper: an appointment-booking service that never overbooks."""

from collections.abc import Callable
from datetime import datetime

from flask import Flask

from slotkeeper import observability
from slotkeeper.api.docs import ASSETS_URL, register_docs_assets
from slotkeeper.api.errors import Api, register_error_handlers
from slotkeeper.auth import guard as auth
from slotkeeper.auth import ratelimit
from slotkeeper.config import Settings, load_settings
from slotkeeper.context import EXTENSION, AppState, utc_now
from slotkeeper.database.connection import connect

API_DESCRIPTION = """Book seats of time slots without ever overbooking.

* **Services** are what gets booked, **slots** are time windows of a service with seats,
  **appointments** claim seats of a slot: `hold` (PENDING until `expiresAt`, then `confirm`)
  or `book` (BOOKED at once).
* Date-times are ISO 8601 with an offset; input without one is a 422. Output is UTC.
* Errors: `{"code", "status", "message"}`, plus `errors` for validation (422) and a stable
  `reason` for conflicts (409). A malformed id in a path is a 404. The `message` of a 422
  names each field and what it expects.
* Unknown fields in a body and unknown query parameters are a 422; a body that is not JSON is
  a 400; a body over 1 MiB is a 413.
* Lists are paginated: `page` (from 1), `page_size` (default 20, max 100); the
  `X-Pagination` header holds the totals.
* When the database does not answer in time, any endpoint answers 503 in the same error
  shape; the request may be retried.
* Every response carries `X-Request-ID`: the one the request sent (when it is at most 200
  letters, digits and `._:;=/+@-`), else a new one; the service's logs carry it too.
* **Authentication**, when the service runs with it: `Authorization: Bearer <JWT>` (the
  **Authorize** button). The token's `sub` is the user id; `roles` may hold `admin`. Reading
  the catalogue is public, changing it needs `admin`; a user books for themselves and sees and
  changes only their own appointments (someone else's answers 404), `admin` any. 401 (with
  `WWW-Authenticate: Bearer`) without a valid token, 403 without the role. Each operation's
  description says what it needs. With a rate limit configured, book, hold and reschedule may
  answer 429 with `Retry-After`.
"""
AUTH_ON = "\n**This instance:** authentication is on.\n"
AUTH_OFF = (
    "\n**This instance:** authentication is off: every endpoint is open, tokens are "
    "ignored and `userId` is required in book and hold.\n"
)


def create_app(settings: Settings | None = None, clock: Callable[[], datetime] = utc_now) -> Flask:
    """The application, connected to the database `settings` names (default: the environment's)."""
    settings = settings or load_settings()
    app = Flask(__name__)
    app.config.update(_openapi_config())
    observability.install(app, settings)
    engine = connect(settings)
    app.extensions[EXTENSION] = AppState(settings=settings, engine=engine, clock=clock)
    _register_api(app, settings)
    if settings.expiry_job_enabled:
        from slotkeeper.jobs.expiry_job import start_expiry_job

        start_expiry_job(app)
    from slotkeeper.cli import register_commands

    register_commands(app)
    return app


def _register_api(app: Flask, settings: Settings) -> None:
    from slotkeeper.api.appointments.routes import blp as appointments
    from slotkeeper.api.opening_hours.routes import blp as opening_hours
    from slotkeeper.api.operations.routes import blp as operations
    from slotkeeper.api.services.routes import blp as services
    from slotkeeper.api.slots.routes import blp as slots
    from slotkeeper.api.waitlist.routes import blp as waitlist
    from slotkeeper.api.webhooks.routes import blp as webhooks

    mode = AUTH_ON if settings.auth_enabled else AUTH_OFF
    api = Api(app, spec_kwargs={"info": {"description": API_DESCRIPTION + mode}})
    auth.install(app, api, settings)
    for blueprint in (services, opening_hours, slots, appointments, waitlist, webhooks, operations):
        api.register_blueprint(blueprint)
    ratelimit.install(app, settings)  # wraps views registered above
    register_docs_assets(app)
    register_error_handlers(app)


def _openapi_config() -> dict:
    return {
        "API_TITLE": "slotkeeper",
        "API_VERSION": "1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "/api-docs",
        "OPENAPI_SWAGGER_UI_URL": ASSETS_URL,
    }
