"""Helpers for the production tests: free loopback ports, a MongoDB that is not there, an
outage switch for the embedded engine, and for the tests that need a server (MONGODB_URI)
a marker and mongod's failCommand failpoint."""

import os
import socket
from contextlib import contextmanager

import pytest

from slotkeeper.database.embedded import SerializedDatabase


def free_port() -> int:
    """A loopback port nothing listens on (bound and released at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def closed_port_uri() -> str:
    return f"mongodb://127.0.0.1:{free_port()}/?serverSelectionTimeoutMS=300"


class Outage:
    """While `error` is set, every operation of the embedded engine raises it, the way the
    driver raises when the database goes away; clearing it brings the database back."""

    def __init__(self):
        self.error: Exception | None = None

    def start(self, error: Exception) -> None:
        self.error = error

    def stop(self) -> None:
        self.error = None


@pytest.fixture
def outage(monkeypatch) -> Outage:
    state = Outage()
    take_lock = SerializedDatabase._lock.fget  # every database and collection operation takes it

    def failing_lock(database):
        if state.error is not None:
            raise state.error
        return take_lock(database)

    monkeypatch.setattr(SerializedDatabase, "_lock", property(failing_lock))
    return state


# a condition read at each test, after pytest_configure may have started the server
needs_server = pytest.mark.skipif(
    "not os.environ.get('MONGODB_URI')",
    reason="needs a MongoDB server: make test runs it on SecantusDB (--secantusdb)",
)


def server_uri() -> str:
    return os.environ["MONGODB_URI"]


@contextmanager
def failpoint(client, data: dict, mode="alwaysOn"):
    """mongod's failCommand test failpoint (SecantusDB has it) for the duration of a block."""
    client.admin.command({"configureFailPoint": "failCommand", "mode": mode, "data": data})
    try:
        yield
    finally:
        client.admin.command({"configureFailPoint": "failCommand", "mode": "off"})
