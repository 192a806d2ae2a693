"""Logs: `make run` writes readable text with one line per request and no terminal colour
codes; `make serve` (gunicorn, plain load_settings) keeps JSON (issue 15, item 7)."""

import json
import logging
import secrets

import requests

from slotkeeper.__main__ import settings_for
from slotkeeper.config import load_settings
from slotkeeper.observability.logging import configure_logging


def test_make_run_logs_readable_text_without_colour_codes(live_server):
    requests.get(f"{live_server.url}/api/v1/services", timeout=10)
    log = live_server.log()
    assert "\x1b" not in log
    lines = [line for line in log.splitlines() if line.strip()]
    assert lines and not any(line.lstrip().startswith("{") for line in lines), log
    assert any(
        " INFO slotkeeper.access [" in line and "GET /api/v1/services 200" in line for line in lines
    ), log


def test_each_request_writes_one_line(live_server):
    missing = secrets.token_hex(12)
    mark = len(live_server.log())
    response = requests.get(f"{live_server.url}/api/v1/services/{missing}", timeout=10)
    assert response.status_code == 404
    request_id = response.headers["X-Request-ID"]
    lines = live_server.log_lines_after(mark)
    assert [line for line in lines if missing in line] == [
        line for line in lines if f"[{request_id}] GET /api/v1/services/{missing} 404" in line
    ]
    assert len([line for line in lines if missing in line]) == 1, lines


def test_run_defaults_to_text_and_everything_else_to_json(monkeypatch):
    monkeypatch.delenv("LOG_FORMAT", raising=False)
    assert settings_for("run").log_format == "text"
    assert settings_for("migrate").log_format == "json"
    assert load_settings().log_format == "json"  # what gunicorn's workers read
    monkeypatch.setenv("LOG_FORMAT", "json")
    assert settings_for("run").log_format == "json"  # an explicit choice wins


def test_json_lines_carry_no_colour_codes(capsys):
    configure_logging("INFO", "json")
    try:
        logging.getLogger("werkzeug").info("\x1b[33mPress CTRL+C to quit\x1b[0m %s", "now")
        line = capsys.readouterr().err.strip().splitlines()[-1]
    finally:
        configure_logging("WARNING", "json")
    assert json.loads(line)["message"] == "Press CTRL+C to quit now"


def test_start_up_logs_no_request_lines(live_server):
    """The look-ups that point Swagger UI's examples at the demo data are not requests."""
    start_up = live_server.log().split("Press CTRL+C to quit")[0]
    assert "slotkeeper.access" not in start_up and "slotkeeper.decisions" not in start_up
    assert "Swagger UI examples name the demo service" in start_up
