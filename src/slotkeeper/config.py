"""Settings: the only module that reads the environment (and a .env file when present)."""
import os
from datetime import timedelta
from dataclasses import dataclass, fields, replace
from typing import Mapping


class ConfigError(ValueError):
    """A setting with a value the service cannot start with; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    mongodb_uri: str | None = None
    mongodb_db: str = "slotkeeper"
    mongodb_timeout_ms: int = 5000
    host: str = "127.0.0.1"
    port: int = 8000
    hold_ttl_seconds: int = 120
    expiry_sweep_seconds: int = 30
    expiry_job_enabled: bool = True
    log_level: str = "INFO"
    demo_data: bool = False

    @property
    def hold_ttl(self) -> timedelta:
        return timedelta(seconds=self.hold_ttl_seconds)

    @property
    def engine(self) -> str:
        return "mongodb" if self.mongodb_uri else "embedded"

    def with_overrides(self, **overrides) -> "Settings":
        return replace(self, **overrides)


LOG_LEVELS = {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}
BOUNDS = {"port": (1, 65535), "hold_ttl_seconds": (1, 7 * 24 * 3600),
          "expiry_sweep_seconds": (1, 24 * 3600), "mongodb_timeout_ms": (100, 120000)}


def _parse(name: str, kind, raw: str):
    variable = name.upper()
    if kind is bool:
        if raw.lower() in {"1", "true", "yes", "on"}:
            return True
        if raw.lower() in {"0", "false", "no", "off", ""}:
            return False
        raise ConfigError(f"{variable} must be true or false, got {raw!r}")
    if kind is int:
        low, high = BOUNDS[name]
        try:
            value = int(raw)
        except ValueError:
            raise ConfigError(f"{variable} must be a whole number, got {raw!r}") from None
        if not low <= value <= high:
            raise ConfigError(f"{variable} must be between {low} and {high}, got {value}")
        return value
    return raw or None if name == "mongodb_uri" else raw


def load_settings(environ: Mapping[str, str] | None = None, dotenv: bool = True) -> Settings:
    """Settings from the environment; a wrong value raises ConfigError naming the variable."""
    if environ is None:
        if dotenv:
            from dotenv import load_dotenv
            load_dotenv(override=False)
        environ = os.environ
    values = {}
    for f in fields(Settings):
        raw = environ.get(f.name.upper())
        if raw is not None:
            values[f.name] = _parse(f.name, f.type, raw.strip())
    settings = Settings(**values)
    if settings.log_level.upper() not in LOG_LEVELS:
        raise ConfigError(f"LOG_LEVEL must be one of {sorted(LOG_LEVELS)}, got {settings.log_level!r}")
    return settings.with_overrides(log_level=settings.log_level.upper())
