"""One log line and one metric tick per booking decision: who, which slot, result, reason.

It reads the decision off the HTTP exchange of the appointment endpoints, after the view
and the error handlers have answered, so neither the domain nor the views carry logging.
"""

import logging

from flask import Flask, current_app, request
from flask_smorest.utils import get_appcontext
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from slotkeeper.observability.metrics import metrics_of
from slotkeeper.observability.request_id import current_request_id

log = logging.getLogger("slotkeeper.decisions")

OPERATIONS = {
    "appointments.Bookings": "book",
    "appointments.Holds": "hold",
    "appointments.Confirmation": "confirm",
    "appointments.Cancellation": "cancel",
    "appointments.Rescheduling": "reschedule",
}
SENT_FIELDS = {"userId", "slotId", "seats"}
ERROR_ANSWER = "slotkeeper.error_answer"  # in the request's environ
REASONS = {400: "BAD_REQUEST", 404: "NOT_FOUND", 422: "INVALID", 503: "DATABASE_UNAVAILABLE"}


def _short(value):
    """A loggable scalar: refused input can be anything, of any size (an integer beyond 64
    bits, which a JSON log line cannot carry as a number, is written as text)."""
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return value
    if isinstance(value, int) and -(2**63) <= value < 2**64:
        return value
    return str(value)[:200]


def _reason(code: int, body: dict) -> str | None:
    if code < 400:
        return None
    return body.get("reason") or REASONS.get(code) or HTTP_STATUS_CODES.get(code, "ERROR").upper()


def _sent_body() -> dict:
    try:
        sent = request.get_json(silent=True)
    except (RecursionError, ValueError):  # JSON the parser already refused with a 400
        return {}
    except HTTPException:  # a body cut short, malformed chunks, over the size limit: no body
        return {}
    return sent if isinstance(sent, dict) else {}


def answered_error(body: dict) -> dict:
    """Keep the error answer a handler makes (`body`, returned as is), for the decision to
    read its reason without parsing the response back."""
    request.environ[ERROR_ANSWER] = body
    return body


def _body(response) -> dict:
    """The answer's body. An accepted operation's is read as its view's schema dumped it
    (flask-smorest keeps that for ETags; every operation here answers through one), a refusal's
    as the error handler made it, so the answer is not parsed back from its JSON."""
    code = response.status_code
    made = get_appcontext().get("result_dump") if code < 400 else request.environ.get(ERROR_ANSWER)
    if isinstance(made, dict) and (code < 400 or made.get("code") == code):
        return made
    body = response.get_json(silent=True) if response.is_json else None
    return body if isinstance(body, dict) else {}


def describe(operation: str, response) -> dict:
    """The decision as structured fields (camelCase like the API, plus the request id)."""
    body = _body(response)
    code = response.status_code
    made = body if code < 400 else {}
    # what was sent is read (the request's JSON parsed again) only where the answer is silent
    sent = {} if made.keys() >= SENT_FIELDS else _sent_body()
    return {
        "event": "booking_decision",
        "operation": operation,
        "result": "accepted" if code < 400 else "refused" if code < 500 else "failed",
        "reason": _reason(code, body),
        "httpStatus": code,
        "userId": _short(made.get("userId", sent.get("userId"))),
        "slotId": _short(made.get("slotId", sent.get("slotId"))),
        "appointmentId": _short(made.get("id", (request.view_args or {}).get("appointment_id"))),
        "seats": _short(made.get("seats", sent.get("seats"))),
        "appointmentStatus": made.get("status"),
        "idempotencyKey": _short(request.headers.get("Idempotency-Key")),
        "request_id": current_request_id(),
    }


def _record(response):
    operation = OPERATIONS.get(request.endpoint)
    if operation is None:
        return response
    code = response.status_code
    level = logging.WARNING if code >= 500 else logging.INFO
    if log.isEnabledFor(level):
        decision = describe(operation, response)
        reason = decision["reason"]
        log.log(
            level,
            "%s %s%s",
            operation,
            decision["result"],
            f" ({reason})" if reason else "",
            extra=decision,
        )
    else:  # nothing to log: the body is read only for a refusal's reason
        reason = _reason(code, _body(response)) if code >= 400 else None
    metrics = metrics_of(current_app)
    if metrics is not None:
        metrics.decision(operation, code, reason)
    return response


def install(app: Flask) -> None:
    app.after_request(_record)
