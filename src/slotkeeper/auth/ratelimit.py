"""Rate limits on book, hold and reschedule (flask-limiter), one budget shared by the three.

The key is the token's sub when the caller signed in, else the client address. Each app gets
its own Limiter (and so its own in-memory counters), created only when RATE_LIMIT_BOOKING is
set: without it nothing is limited and flask-limiter is not even loaded.
"""

import time

from flask import Flask, current_app, request

from slotkeeper.api.errors import error_body
from slotkeeper.auth.guard import signed_in_user
from slotkeeper.config import ConfigError, Settings

EXTENSION = "slotkeeper.ratelimit"
LIMITED = ("appointments.Bookings", "appointments.Holds", "appointments.Rescheduling")


def caller_key() -> str:
    user = signed_in_user()
    return f"user:{user}" if user is not None else f"address:{request.remote_addr or '-'}"


def install(app: Flask, settings: Settings) -> None:
    """Limit the LIMITED endpoints (already registered) to RATE_LIMIT_BOOKING per caller."""
    if not settings.rate_limit_booking:
        return
    from flask_limiter import Limiter, RateLimitExceeded
    from limits.errors import ConfigurationError

    try:
        limiter = Limiter(
            caller_key,
            app=app,
            storage_uri=settings.rate_limit_storage_uri,
            key_prefix="slotkeeper",
        )
    except ConfigurationError as err:
        raise ConfigError(f"RATE_LIMIT_STORAGE_URI cannot be used: {err}") from None
    shared = limiter.shared_limit(settings.rate_limit_booking, scope="booking")
    for endpoint in LIMITED:
        limited = shared(app.view_functions[endpoint])
        app.view_functions[endpoint] = limited  # type: ignore[assignment]  # sync, as given
    app.extensions[EXTENSION] = limiter
    app.register_error_handler(RateLimitExceeded, too_many_requests)


def too_many_requests(err):
    limit = current_app.extensions[EXTENSION].current_limit
    # reset_at is rounded up to the next second already, as flask-limiter's own header does
    wait = max(1, int(limit.reset_at - time.time())) if limit else 1
    body = error_body(
        429, f"Too many booking requests (at most {err.description}); try again in {wait} s."
    )
    return body, 429, {"Retry-After": str(wait)}
