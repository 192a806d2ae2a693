"""Gunicorn settings for `gunicorn -c gunicorn.conf.py wsgi:app` (`make serve`).

Every value comes from slotkeeper's Settings, so config.py stays the one reader of the
environment: HOST, PORT, WEB_CONCURRENCY (worker processes), WEB_THREADS (threads per
worker), WEB_TIMEOUT, WEB_GRACEFUL_TIMEOUT, WEB_KEEPALIVE, LOG_LEVEL. Command-line flags
still override them.
"""

from pathlib import Path

from gunicorn.glogging import Logger

from slotkeeper.config import ConfigError, load_settings

try:
    _settings = load_settings()
except ConfigError as _err:
    raise SystemExit(f"slotkeeper: {_err}") from None

_host = f"[{_settings.host}]" if ":" in _settings.host else _settings.host
bind = [f"{_host}:{_settings.port}"]
workers = _settings.web_concurrency
worker_class = "gthread"
threads = _settings.web_threads
timeout = _settings.web_timeout
graceful_timeout = _settings.web_graceful_timeout
keepalive = _settings.web_keepalive
proc_name = "slotkeeper"
# Each worker must build its own app: pymongo's MongoClient is not fork-safe, and the expiry
# scheduler's thread would stay behind in the master (see on_starting).
preload_app = False
# gunicornc's socket defaults to one path per user ($HOME/.gunicorn/gunicorn.ctl), which two
# instances on one host would fight over; signals (TERM, HUP, TTIN, TTOU) do the same work
control_socket_disable = True

# The app writes one JSON line per request with its request id; gunicorn's own lines
# (boot, worker exits, timeouts) are JSON too, and its access log stays off.
loglevel = _settings.log_level.lower()
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "slotkeeper.observability.logging.json_formatter"}},
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stderr",
        }
    },
    "root": {"level": _settings.log_level, "handlers": []},
    "loggers": {
        "gunicorn.error": {
            "level": _settings.log_level,
            "handlers": ["stderr"],
            "propagate": False,
        },
        "gunicorn.access": {"level": "CRITICAL", "handlers": [], "propagate": False},
    },
}


class AppAccessLog(Logger):
    """gunicorn's logger without its access log: the app writes one line per request (with
    its request id), and gunicorn would otherwise build every access-log field of every
    response only for the line to be dropped."""

    def access(self, resp, req, environ, request_time):
        pass


logger_class = AppAccessLog


def on_starting(server):
    if server.cfg.preload_app:
        raise SystemExit(
            "slotkeeper: preload_app must stay off: each worker connects to "
            "MongoDB and runs its expiry scheduler after the fork"
        )
    # the worker count as gunicorn settled it: WEB_CONCURRENCY, -w/--workers, GUNICORN_CMD_ARGS
    if _settings.engine == "embedded" and server.cfg.workers > 1:
        raise SystemExit(
            f"slotkeeper: {server.cfg.workers} workers on the embedded engine would "
            "each have their own in-memory database: run one worker "
            "(WEB_CONCURRENCY must be 1, and so must -w/--workers), or set "
            "MONGODB_URI"
        )
    multiproc = _settings.prometheus_multiproc_dir
    if server.cfg.workers > 1 and _settings.metrics_enabled and not multiproc:
        server.log.warning(
            "%d workers without PROMETHEUS_MULTIPROC_DIR: each scrape of /metrics "
            "shows one worker's counters only",
            server.cfg.workers,
        )
    if multiproc:  # a previous run's files would be summed into the new counters
        Path(multiproc).mkdir(parents=True, exist_ok=True)
        for stale in Path(multiproc).glob("*.db"):
            stale.unlink()


def nworkers_changed(server, new_value, old_value):
    # SIGTTIN adds a worker at run time: on the embedded engine it would start with an empty
    # database, so the count goes back to one
    if _settings.engine == "embedded" and old_value is not None and new_value > 1:
        server.log.warning("slotkeeper: the embedded engine runs in one worker; not adding one")
        server.num_workers = 1


def worker_exit(server, worker):
    from slotkeeper.jobs.expiry_job import stop_expiry_job

    stop_expiry_job()


def child_exit(server, worker):
    if _settings.prometheus_multiproc_dir:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
