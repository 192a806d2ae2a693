"""What a request or a job needs from the running app: settings, repositories and the clock."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from flask import current_app

from slotkeeper.config import Settings
from slotkeeper.repositories import Repositories

EXTENSION = "slotkeeper"


def utc_now() -> datetime:
    """Now, at the millisecond precision MongoDB stores, so answers match what is stored."""
    moment = datetime.now(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


@dataclass
class AppState:
    settings: Settings
    engine: str
    clock: Callable[[], datetime] = utc_now
    repos: Repositories = field(default_factory=Repositories)


def state() -> AppState:
    return current_app.extensions[EXTENSION]


def current_repos() -> Repositories:
    return state().repos


def settings() -> Settings:
    return state().settings


def now() -> datetime:
    """The one reading of the clock for an operation (tests inject their own clock)."""
    return state().clock()
