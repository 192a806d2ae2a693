"""X-Request-ID: honour a sane incoming one, else make one up; echo it on every response."""

import re
import uuid

from flask import Flask, g, has_request_context, request

HEADER = "X-Request-ID"
# ids from proxies and tracers (uuids, hex, "Root=1-5f..-..;Parent=..") fit; newlines,
# spaces and megabyte headers, which could forge or flood log lines, do not
SANE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:;=/+@-]{0,199}")


def current_request_id() -> str | None:
    """The id of the request being served, or None outside a request."""
    if not has_request_context():
        return None
    if "request_id" not in g:
        incoming = request.headers.get(HEADER, "")
        g.request_id = incoming if SANE.fullmatch(incoming) else uuid.uuid4().hex
    return g.request_id


def _assign() -> None:  # a before_request hook that returned the id would become the response
    current_request_id()


def _echo(response):
    response.headers[HEADER] = current_request_id()
    return response


def install(app: Flask) -> None:
    app.before_request(_assign)
    app.after_request(_echo)
