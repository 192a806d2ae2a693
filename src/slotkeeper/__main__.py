"""`slotkeeper run|seed|sweep|migrate|token` (also `python -m slotkeeper ...`).

`run` is the development server on HOST:PORT with demo data; the others are the commands of
cli.py, the same as `flask --app wsgi <command>`. Production serves with gunicorn (see
gunicorn.conf.py and `make serve`).
"""

import sys

from werkzeug.serving import WSGIRequestHandler

from slotkeeper.config import ConfigError, Settings, load_settings

USAGE = """usage: slotkeeper COMMAND [OPTIONS]

  run       development server on HOST:PORT (demo data on the embedded engine)
  migrate   apply pending database migrations (--status lists them)
  seed      load the demo services and slots
  sweep     run the expiry sweep once
  token     print a development bearer token: --sub USER [--role admin] [--minutes 60]
"""

# `run` is for a person at a terminal: readable lines; `make serve` (gunicorn) keeps JSON
RUN_DEFAULTS = {"LOG_FORMAT": "text"}


class QuietRequestHandler(WSGIRequestHandler):
    """The development server without its own line per request: the app writes one (with
    the request id), so each request is one line, as under gunicorn."""

    def log_request(self, code="-", size="-") -> None:
        pass


def settings_for(command: str) -> Settings:
    return load_settings(defaults=RUN_DEFAULTS if command == "run" else None)


def run(settings: Settings) -> int:
    from slotkeeper import create_app
    from slotkeeper.api.docs import demo_example_ids
    from slotkeeper.context import current_repos, now
    from slotkeeper.service_layer.demo import seed_demo

    app = create_app(settings)
    if settings.engine == "embedded" or settings.demo_data:
        with app.app_context():
            seed_demo(current_repos(), now())
        # Swagger UI's examples name demo objects, so "Try it out" finds what it sends
        app.extensions["slotkeeper.api"].point_examples_at(demo_example_ids(app))
    print(f"slotkeeper on http://{settings.host}:{settings.port}/api-docs ({settings.engine})")
    app.run(
        host=settings.host,
        port=settings.port,
        threaded=True,
        use_reloader=False,
        request_handler=QuietRequestHandler,
    )
    return 0


def command(settings: Settings, argv: list[str]) -> int:
    """One of cli.py's commands, in an app that starts no expiry job."""
    from slotkeeper import create_app

    app = create_app(settings.with_overrides(expiry_job_enabled=False))
    with app.app_context():
        try:
            app.cli.main(args=argv, prog_name="slotkeeper", standalone_mode=True)
        except SystemExit as done:
            return done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    return 0


def main(argv: list[str]) -> int:
    if not argv or argv[0] in {"-h", "--help", "help"}:
        print(USAGE, file=sys.stdout if argv else sys.stderr, end="")
        return 0 if argv else 2
    from slotkeeper.database.migrations import MigrationError

    try:
        settings = settings_for(argv[0])
        return run(settings) if argv[0] == "run" else command(settings, argv)
    except (ConfigError, MigrationError) as err:
        print(f"slotkeeper: {err}", file=sys.stderr)
        return 2


def entry_point() -> None:
    sys.exit(main(sys.argv[1:]))


if __name__ == "__main__":
    entry_point()
