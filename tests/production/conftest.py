"""Helpers for the production tests: free loopback ports, a MongoDB that is not there, and an
outage switch for the embedded engine."""

import socket

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
