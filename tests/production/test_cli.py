"""Commands: `flask --app wsgi seed|sweep|migrate` (app.cli) and the `slotkeeper` console script."""

import configparser
from pathlib import Path

import pytest
from mongoengine.connection import get_db

from slotkeeper import create_app
from slotkeeper.__main__ import main
from slotkeeper.jobs.expiry_job import stop_expiry_job
from tests.conftest import TEST_DB, test_settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def cli(app):
    return app.test_cli_runner()


def run(cli, *args) -> str:
    result = cli.invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_migrate_applies_what_is_pending_and_then_nothing(app, cli):
    with app.app_context():
        db = get_db()
        db.drop_collection("migrations")
        db.drop_collection("slots")
    assert "applied 0001_indexes" in run(cli, "migrate")
    again = run(cli, "migrate")
    assert "applied 0001" not in again and "0 migration(s) applied" in again
    with app.app_context():
        assert "serviceId_1_startTime_1" in get_db().slots.index_information()


def test_migrate_status_lists_each_migration_and_whether_it_is_applied(cli):
    assert run(cli, "migrate", "--status").splitlines()[0].startswith("0001_indexes  applied ")


def test_seed_loads_the_demo_once(cli):
    first = run(cli, "seed")
    assert first.startswith("seeded ") and first != "seeded 0 slot(s)\n"
    assert run(cli, "seed") == "seeded 0 slot(s)\n"


def test_sweep_prints_what_it_did(cli, api, clock):
    api.hold(api.slot()["id"])
    quiet = run(cli, "sweep")
    assert quiet.startswith("expired 0 hold(s), checked ")
    assert quiet.endswith(" finished 0 move(s)\n")
    clock.advance(seconds=121)
    assert run(cli, "sweep").startswith("expired 1 hold(s)")


def test_a_command_stops_the_expiry_job_the_wsgi_app_started(clock):
    app = create_app(test_settings().with_overrides(expiry_job_enabled=True), clock=clock)
    try:
        assert app.apscheduler.running
        run(app.test_cli_runner(), "sweep")
        assert not app.apscheduler.running
    finally:
        stop_expiry_job()


@pytest.fixture
def environment(monkeypatch):
    """The console script reads the environment: point it at the test database."""
    monkeypatch.setenv("MONGODB_DB", TEST_DB)
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    monkeypatch.setenv("EXPIRY_JOB_ENABLED", "false")
    return monkeypatch


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["migrate"], "up to date"),
        (["seed"], "seeded "),
        (["sweep"], "expired "),
        (["migrate", "--status"], "0001_indexes"),
    ],
)
def test_the_console_script_runs_each_command(environment, capsys, argv, expected):
    assert main(argv) == 0
    assert expected in capsys.readouterr().out


def test_the_console_script_explains_itself(environment, capsys):
    assert main(["--help"]) == 0
    assert "migrate" in capsys.readouterr().out
    assert main([]) == 2
    assert main(["frobnicate"]) == 2
    assert "No such command" in capsys.readouterr().err


def test_the_console_script_names_a_wrong_setting_in_one_line(environment, capsys):
    environment.setenv("LOG_LEVEL", "LOUD")
    assert main(["migrate"]) == 2
    assert capsys.readouterr().err.strip().startswith("slotkeeper: LOG_LEVEL must be one of")


def test_the_console_script_is_declared_in_setup_cfg():
    setup = configparser.ConfigParser()
    setup.read(ROOT / "setup.cfg")
    scripts = setup["options.entry_points"]["console_scripts"]
    assert "slotkeeper = slotkeeper.__main__:entry_point" in scripts


def test_one_process_runs_at_most_one_expiry_scheduler(clock):
    settings = test_settings().with_overrides(expiry_job_enabled=True)
    first = create_app(settings, clock=clock)
    try:
        second = create_app(settings, clock=clock)
        assert first.apscheduler.running
        assert getattr(second, "apscheduler", None) is None
    finally:
        assert stop_expiry_job()
    assert not first.apscheduler.running
