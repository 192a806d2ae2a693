"""Every error response in one shape: flask-smorest's {code, status, message, errors?}.

Domain errors become HTTP here and only here; conflicts add a stable `reason`.
"""
import logging

import flask_smorest
from flask import Flask
from werkzeug.http import HTTP_STATUS_CODES

from slotkeeper.database.connection import is_unavailable
from slotkeeper.domain.errors import (
    Conflict,
    DatabaseUnavailable,
    DomainError,
    Forbidden,
    Invalid,
    NotFound,
)

log = logging.getLogger(__name__)
STATUS_BY_ERROR = [(NotFound, 404), (Forbidden, 403), (Conflict, 409), (Invalid, 422),
                   (DatabaseUnavailable, 503)]


class Api(flask_smorest.Api):
    """flask-smorest's Api, with a `message` in every error (werkzeug's description if none)."""

    def handle_http_exception(self, error):
        data = getattr(error, "data", None) or {}
        if "message" not in data:
            error.data = {**data, "message": error.description}
        return super().handle_http_exception(error)


def error_body(code: int, message: str, **extra) -> dict:
    return {"code": code, "status": HTTP_STATUS_CODES[code], "message": message, **extra}


def handle_domain_error(err: DomainError):
    code = next(code for cls, code in STATUS_BY_ERROR if isinstance(err, cls))
    extra = {}
    if getattr(err, "reason", None):
        extra["reason"] = err.reason
    if isinstance(err, Invalid):
        extra["errors"] = {err.location: {err.field: [str(err)]}}
    return error_body(code, str(err), **extra), code


def database_down(err: Exception):
    # pymongo's message carries the whole topology description; the start says enough
    log.warning("database unavailable: %s: %.300s", type(err).__name__, err)
    return error_body(503, "The database is unavailable; try again shortly"), 503


def handle_unexpected(err: Exception):
    # MongoEngine re-raises some driver timeouts as its own errors; the cause tells
    if is_unavailable(err):
        return database_down(err)
    log.exception("unhandled error")
    return error_body(500, "Internal server error"), 500


def register_error_handlers(app: Flask) -> None:
    # flask-smorest already renders HTTPException (400, 404, 405, 415, 422 ...) in this shape;
    # driver errors land in handle_unexpected, where timeouts and lost connections
    # (ServerSelectionTimeoutError, AutoReconnect, NetworkTimeout, ...) become 503
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(Exception, handle_unexpected)
