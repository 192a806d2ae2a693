"""Settings: the only module that reads the environment (and a .env file when present)."""

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import timedelta
from urllib.parse import unquote, urlsplit


class ConfigError(ValueError):
    """A setting with a value the service cannot start with; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    mongodb_uri: str | None = None
    mongodb_db: str = "slotkeeper"
    mongodb_timeout_ms: int = 5000
    migrate_on_start: bool = False
    migrations_dir: str | None = None
    migration_timeout_seconds: int = 3600
    host: str = "127.0.0.1"
    port: int = 8000
    web_concurrency: int = 1
    web_threads: int = 8
    web_timeout: int = 30
    web_graceful_timeout: int = 20
    web_keepalive: int = 5
    hold_ttl_seconds: int = 120
    expiry_sweep_seconds: int = 30
    expiry_job_enabled: bool = True
    log_level: str = "INFO"
    log_format: str = "json"
    metrics_enabled: bool = True
    prometheus_multiproc_dir: str | None = None
    demo_data: bool = False
    app_env: str = "development"
    auth_jwt_secret: str | None = None
    auth_jwt_public_key: str | None = None
    auth_jwt_algorithm: str | None = None
    auth_jwt_audience: str | None = None
    auth_jwt_issuer: str | None = None
    auth_jwt_leeway_seconds: int = 30
    auth_disabled: bool = False
    metrics_require_auth: bool = False
    rate_limit_booking: str | None = None
    rate_limit_storage_uri: str = "memory://"
    webhook_timeout_seconds: int = 10
    webhook_retry_base_seconds: int = 5
    webhook_max_attempts: int = 8
    webhook_allow_private_networks: bool = False
    webhook_job_seconds: int = 2
    horizon_job_seconds: int = 3600
    waitlist_offer_seconds: int = 0  # 0: the hold time

    @property
    def auth_enabled(self) -> bool:
        return bool(self.auth_jwt_secret or self.auth_jwt_public_key)

    @property
    def hold_ttl(self) -> timedelta:
        return timedelta(seconds=self.hold_ttl_seconds)

    @property
    def waitlist_offer_ttl(self) -> timedelta:
        """How long an offer to the waiting list is held: WAITLIST_OFFER_SECONDS, or the
        hold time when it is 0 (not set)."""
        return (
            timedelta(seconds=self.waitlist_offer_seconds)
            if self.waitlist_offer_seconds
            else self.hold_ttl
        )

    @property
    def engine(self) -> str:
        return "mongodb" if self.mongodb_uri else "embedded"

    def with_overrides(self, **overrides) -> "Settings":
        return replace(self, **overrides)


LOG_LEVELS = {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}
LOG_FORMATS = {"json", "text"}
OPTIONAL = {
    "mongodb_uri",
    "migrations_dir",
    "prometheus_multiproc_dir",
    "auth_jwt_secret",
    "auth_jwt_public_key",
    "auth_jwt_algorithm",
    "auth_jwt_audience",
    "auth_jwt_issuer",
    "rate_limit_booking",
}
URI_SCHEMES = ("mongodb://", "mongodb+srv://")
BOUNDS = {
    "port": (0, 65535),
    "hold_ttl_seconds": (1, 7 * 24 * 3600),
    "expiry_sweep_seconds": (1, 24 * 3600),
    "mongodb_timeout_ms": (100, 120000),
    "migration_timeout_seconds": (1, 7 * 24 * 3600),
    "web_concurrency": (1, 256),
    "web_threads": (1, 1024),
    "web_timeout": (1, 3600),
    "web_graceful_timeout": (1, 3600),
    "web_keepalive": (0, 3600),
    "auth_jwt_leeway_seconds": (0, 3600),
    "webhook_timeout_seconds": (1, 300),
    "webhook_retry_base_seconds": (1, 24 * 3600),
    "webhook_max_attempts": (1, 100),
    "webhook_job_seconds": (1, 3600),
    "horizon_job_seconds": (1, 24 * 3600),  # at least daily, as the contract asks
    "waitlist_offer_seconds": (0, 7 * 24 * 3600),
}


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
    return raw or None if name in OPTIONAL else raw


def uri_database(uri: str) -> str | None:
    """The database named in the path of a MongoDB URI, if any (no DNS lookup)."""
    name = unquote(urlsplit(uri).path.lstrip("/"))
    return name or None


def _check_database(settings: Settings, db_given: bool) -> Settings:
    """MongoEngine lets a database in the URI path win over `db`: make the two agree."""
    if not settings.mongodb_uri:
        return settings
    if not settings.mongodb_uri.startswith(URI_SCHEMES):
        raise ConfigError("MONGODB_URI must start with mongodb:// or mongodb+srv://")
    in_uri = uri_database(settings.mongodb_uri)
    if in_uri is None or in_uri == settings.mongodb_db:
        return settings
    if db_given:
        raise ConfigError(
            f"MONGODB_DB is {settings.mongodb_db!r} but MONGODB_URI names "
            f"database {in_uri!r}; give one of them"
        )
    return settings.with_overrides(mongodb_db=in_uri)


def _check(settings: Settings) -> Settings:
    level = settings.log_level.upper()
    if level not in LOG_LEVELS:
        raise ConfigError(
            f"LOG_LEVEL must be one of {sorted(LOG_LEVELS)}, got {settings.log_level!r}"
        )
    log_format = settings.log_format.lower()
    if log_format not in LOG_FORMATS:
        raise ConfigError(f"LOG_FORMAT must be json or text, got {settings.log_format!r}")
    if settings.engine == "embedded" and settings.web_concurrency > 1:
        raise ConfigError(
            "WEB_CONCURRENCY must be 1 with the embedded engine (it lives in one "
            "process); set MONGODB_URI to run more worker processes"
        )
    return settings.with_overrides(
        log_level=level, log_format=log_format, app_env=settings.app_env.lower()
    )


def check_auth(settings: Settings) -> Settings:
    """Authentication settings that agree; a public key given as a file path is read here."""
    if settings.auth_jwt_secret and settings.auth_jwt_public_key:
        raise ConfigError("AUTH_JWT_SECRET and AUTH_JWT_PUBLIC_KEY are both set; give one of them")
    if settings.auth_disabled and settings.auth_enabled:
        raise ConfigError(
            "AUTH_DISABLED is true but AUTH_JWT_SECRET or AUTH_JWT_PUBLIC_KEY is "
            "set; give one of them"
        )
    if not settings.auth_enabled:
        _check_without_auth(settings)
        return settings
    from slotkeeper.auth import tokens

    secret = settings.auth_jwt_secret
    try:
        algorithm = tokens.algorithm_for(bool(secret), settings.auth_jwt_algorithm)
    except ValueError as err:
        raise ConfigError(f"AUTH_JWT_ALGORITHM {err}") from None
    settings = settings.with_overrides(auth_jwt_algorithm=algorithm)
    name = "AUTH_JWT_SECRET" if secret else "AUTH_JWT_PUBLIC_KEY"
    try:
        if secret:
            tokens.check_secret(secret, algorithm)
            return settings
        pem = _public_key_pem(settings.auth_jwt_public_key or "")
        tokens.load_public_key(pem, algorithm)
    except ValueError as err:
        raise ConfigError(f"{name} {err}") from None
    return settings.with_overrides(auth_jwt_public_key=pem)


def _check_without_auth(settings: Settings) -> None:
    if settings.app_env.lower() == "production" and not settings.auth_disabled:
        raise ConfigError(
            "APP_ENV is production but authentication is off: set AUTH_JWT_SECRET "
            "or AUTH_JWT_PUBLIC_KEY, or AUTH_DISABLED=true to run without it"
        )
    if settings.metrics_require_auth:
        raise ConfigError(
            "METRICS_REQUIRE_AUTH is true but authentication is off: set "
            "AUTH_JWT_SECRET or AUTH_JWT_PUBLIC_KEY"
        )


def _public_key_pem(value: str) -> str:
    """The PEM text itself (newlines may be written \\n), or the file it names."""
    if value.lstrip().startswith("-----BEGIN"):
        return value.replace("\\n", "\n")
    try:
        with open(value, encoding="ascii") as pem:
            return pem.read()
    except (OSError, UnicodeDecodeError) as err:
        raise ValueError(f"is neither a PEM text nor a readable PEM file: {err}") from None


def check_rate_limits(settings: Settings) -> None:
    """A rate limit flask-limiter can parse, kept where it can store counters."""
    if not settings.rate_limit_booking:
        return
    import limits
    from limits.storage import SCHEMES

    try:
        limits.parse_many(settings.rate_limit_booking)
    except ValueError:
        raise ConfigError(
            f"RATE_LIMIT_BOOKING must be like 20/minute or 20/minute;200/hour, "
            f"got {settings.rate_limit_booking!r}"
        ) from None
    scheme, separator, _ = settings.rate_limit_storage_uri.partition("://")
    if not separator or scheme not in SCHEMES or scheme.startswith("async+"):
        raise ConfigError(
            f"RATE_LIMIT_STORAGE_URI must start with memory://, redis://, "
            f"mongodb:// or another scheme of the limits package, got "
            f"{settings.rate_limit_storage_uri!r}"
        )


def load_settings(
    environ: Mapping[str, str] | None = None,
    dotenv: bool = True,
    defaults: Mapping[str, str] | None = None,
) -> Settings:
    """Settings from the environment; a wrong value raises ConfigError naming the variable.
    `defaults` (by variable name) stand in for variables the environment does not set."""
    if environ is None:
        if dotenv:
            from dotenv import load_dotenv

            load_dotenv(override=False)
        environ = os.environ
    environ = {**(defaults or {}), **environ}
    values = {}
    for f in fields(Settings):
        raw = environ.get(f.name.upper())
        if raw is not None:
            kind = str if f.name in OPTIONAL else f.type
            values[f.name] = _parse(f.name, kind, raw.strip())
    settings = _check_database(Settings(**values), db_given="mongodb_db" in values)
    settings = check_auth(_check(settings))
    check_rate_limits(settings)
    return settings
