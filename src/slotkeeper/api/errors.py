"""Every error response in one shape: flask-smorest's {code, status, message, errors?}.

Domain errors become HTTP here and only here; conflicts add a stable `reason`.
"""

import json
import logging
from collections.abc import Iterator
from typing import Any

import flask_smorest
from flask import Flask, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.http import HTTP_STATUS_CODES

from slotkeeper.api.blueprint import reject_unknown_query_parameters
from slotkeeper.api.docs import finish_document
from slotkeeper.api.schemas import ErrorSchema
from slotkeeper.database.connection import is_unavailable
from slotkeeper.domain.errors import (
    Conflict,
    DatabaseUnavailable,
    DomainError,
    Forbidden,
    Invalid,
    NotFound,
)
from slotkeeper.observability.decisions import answered_error

log = logging.getLogger(__name__)
MAX_BODY_BYTES = 1024 * 1024
TOO_LARGE = f"The body is larger than 1 MiB ({MAX_BODY_BYTES} bytes); send a smaller one."
STATUS_BY_ERROR = [
    (NotFound, 404),
    (Forbidden, 403),
    (Conflict, 409),
    (Invalid, 422),
    (DatabaseUnavailable, 503),
]


class Api(flask_smorest.Api):
    """flask-smorest's Api, with a `message` in every error: validation errors name each
    field and what it expects; others say werkzeug's description if nothing more precise."""

    ERROR_SCHEMA = ErrorSchema

    def init_app(self, app: Flask, *args: Any, **kwargs: Any) -> None:
        self.example_ids: dict[str, str] = {}
        super().init_app(app, *args, **kwargs)
        app.extensions["slotkeeper.api"] = self
        if app.config.get("MAX_CONTENT_LENGTH") is None:
            app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
        app.before_request(refuse_large_bodies)
        reject_unknown_query_parameters(app, self)

    def point_examples_at(self, ids: dict[str, str]) -> None:
        """Let the document's examples name these ids (placeholder -> id) instead."""
        self.example_ids = dict(ids)

    def document(self) -> dict:
        return finish_document(self.spec.to_dict(), self.example_ids)

    def _openapi_json(self):
        return current_app.response_class(
            json.dumps(self.document(), indent=2), mimetype="application/json"
        )

    def handle_http_exception(self, error):
        data = getattr(error, "data", None) or {}
        if error.code == 413:
            error.data = {**data, "message": TOO_LARGE}
        elif "message" not in data:
            errors = data.get("errors", data.get("messages"))
            message = describe_errors(errors) if errors else None
            error.data = {**data, "message": message or error.description}
        return super().handle_http_exception(error)


def refuse_large_bodies() -> None:
    """A body over the limit is a 413 before any view sees it: a declared length at once; a
    body sent in chunks (no length) is read up to the limit, and a byte more is refused
    (werkzeug cuts such a body off at the limit and would hand the view its beginning)."""
    limit = request.max_content_length
    if limit is None:
        return
    if request.content_length is not None:
        if request.content_length > limit:
            raise RequestEntityTooLarge()
        return
    if request.environ.get("wsgi.input_terminated"):
        request.get_data(cache=True)
        request.stream.read(1)  # raises RequestEntityTooLarge past the limit


def _flatten(errors, path: str = "") -> Iterator[tuple[str, str]]:
    """(field path, message) pairs of marshmallow's nested error messages."""
    if isinstance(errors, dict):
        for key, value in errors.items():
            if key == "_schema":
                yield from _flatten(value, path)
            elif isinstance(key, int):
                yield from _flatten(value, f"{path}[{key}]")
            else:
                yield from _flatten(value, f"{path}.{key}" if path else str(key))
    elif isinstance(errors, list | tuple):
        for item in errors:
            yield from _flatten(item, path)
    else:
        yield path, str(errors)


def _phrase(message: str) -> str:
    """ "A whole number." -> "a whole number", to follow a field's name."""
    message = message.rstrip(".")
    if message[:1].isupper() and not message[1:2].isupper():
        message = message[0].lower() + message[1:]
    return message


def describe_errors(errors: dict) -> str:
    """One sentence naming each field and what it expects, from `errors` by location:
    {"json": {"startTime": [...]}} -> "startTime: a date-time with an offset, like ..."."""
    parts = []
    for location, by_field in errors.items():
        for path, message in _flatten(by_field):
            parts.append(f"{path or WHOLE.get(location, location)}: {_phrase(message)}")
    return "; ".join(dict.fromkeys(parts))


WHOLE = {"json": "the body", "query": "the query", "headers": "the headers"}


def error_body(code: int, message: str, **extra) -> dict:
    return {"code": code, "status": HTTP_STATUS_CODES[code], "message": message, **extra}


def handle_domain_error(err: DomainError):
    code = next(code for cls, code in STATUS_BY_ERROR if isinstance(err, cls))
    extra: dict[str, object] = {}
    reason = getattr(err, "reason", None)
    if reason:
        extra["reason"] = reason
    message = str(err)
    if isinstance(err, Invalid):
        errors = {err.location: {err.field: [message]}}
        extra["errors"] = errors
        message = describe_errors(errors)  # names the field, as validation does
    return answered_error(error_body(code, message, **extra)), code


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
