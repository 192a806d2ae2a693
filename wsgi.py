"""WSGI entry point: `gunicorn wsgi:app` or `flask --app wsgi ...`."""
import sys

from slotkeeper import create_app
from slotkeeper.config import ConfigError

try:
    app = create_app()
except ConfigError as err:
    sys.exit(f"slotkeeper: {err}")
