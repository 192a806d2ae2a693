"""`python -m slotkeeper run`: the development server on HOST:PORT with demo data."""
import sys

from slotkeeper.config import ConfigError, load_settings


def main(argv: list[str]) -> int:
    if argv[:1] != ["run"]:
        print("usage: python -m slotkeeper run", file=sys.stderr)
        return 2
    try:
        settings = load_settings()
    except ConfigError as err:
        print(f"slotkeeper: {err}", file=sys.stderr)
        return 2
    from slotkeeper import create_app
    from slotkeeper.context import current_repos, now
    from slotkeeper.service_layer.demo import seed_demo

    app = create_app(settings)
    if settings.engine == "embedded" or settings.demo_data:
        with app.app_context():
            seed_demo(current_repos(), now())
    print(f"slotkeeper on http://{settings.host}:{settings.port}/api-docs ({settings.engine})")
    app.run(host=settings.host, port=settings.port, threaded=True, use_reloader=False)
    return 0


def entry_point() -> None:
    sys.exit(main(sys.argv[1:]))


if __name__ == "__main__":
    entry_point()
