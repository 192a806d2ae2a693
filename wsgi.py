"""WSGI entry point: `gunicorn -c gunicorn.conf.py wsgi:app` or `flask --app wsgi ...`."""

import sys

from slotkeeper import create_app
from slotkeeper.config import ConfigError
from slotkeeper.database.migrations import MigrationError

try:
    app = create_app()
except (ConfigError, MigrationError) as err:
    sys.exit(f"slotkeeper: {err}")
