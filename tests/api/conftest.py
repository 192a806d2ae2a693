"""Fixtures for the API tests: checks of the error shape and of UTC output, whole-state
snapshots (a refused request must change nothing) and a guard that no request got a 5xx."""

import json
from datetime import datetime

import pytest

LISTS = ("/api/v1/services", "/api/v1/slots", "/api/v1/appointments")


class Check:
    """Assertions every API test needs, spoken in the contract's terms."""

    def __init__(self, client):
        self.client = client

    def error(self, response, code: int, reason: str | None = None) -> dict:
        """The response is flask-smorest's error shape with this code (and this reason)."""
        assert response.status_code == code, (response.status_code, response.get_data(as_text=True))
        assert response.is_json, response.get_data(as_text=True)
        body = response.json
        assert body["code"] == code
        assert isinstance(body["status"], str) and body["status"]
        assert isinstance(body["message"], str) and body["message"]
        if reason is not None:
            assert body.get("reason") == reason, body
        return body

    def invalid(self, response, location: str, *fields: str) -> dict:
        """A 422 whose errors[location] names each of `fields`."""
        body = self.error(response, 422)
        assert set(fields) <= set(body["errors"][location]), body
        return body

    @staticmethod
    def utc(text: str) -> datetime:
        """The instant an output date-time names; fails unless it is written in UTC."""
        assert text.endswith(("Z", "+00:00")), text
        return datetime.fromisoformat(text.replace("Z", "+00:00"))

    def listing(self, path: str, **query) -> list:
        response = self.client.get(path, query_string=query)
        assert response.status_code == 200, response.json
        return response.json

    @staticmethod
    def pagination(response) -> dict:
        return json.loads(response.headers["X-Pagination"])

    def everything(self, path: str) -> list:
        items, page = [], 1
        while True:
            response = self.client.get(path, query_string={"page": page, "page_size": 100})
            assert response.status_code == 200, response.json
            items += response.json
            if "next_page" not in self.pagination(response):
                return items
            page += 1

    def state(self) -> dict:
        """Every service, slot and appointment as the API shows them."""
        return {path: self.everything(path) for path in LISTS}


@pytest.fixture
def check(client) -> Check:
    return Check(client)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if call.when == "call":
        item.call_failed = report.failed  # no_server_errors need not repeat a failure
    return report


@pytest.fixture
def no_server_errors(app, request):
    """Fails the test when any of its requests got a 5xx (known-bug xfail tests excepted)."""
    seen = []
    inner = app.wsgi_app

    def guarded(environ, start_response):
        def recording(status, headers, exc_info=None):
            if status.startswith("5"):
                seen.append(f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']} -> {status}")
            return start_response(status, headers, exc_info)

        return inner(environ, recording)

    app.wsgi_app = guarded
    yield seen
    app.wsgi_app = inner
    if request.node.get_closest_marker("xfail") is None and not getattr(
        request.node, "call_failed", False
    ):
        assert not seen, f"server errors: {seen}"


@pytest.fixture
def now(clock) -> datetime:
    """The 'now' the test starts at (the clock may move on later)."""
    return clock.now
