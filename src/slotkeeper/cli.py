"""Commands: `flask --app wsgi seed|sweep`, and `python -m slotkeeper run` (see __main__)."""
import click
from flask import Flask

from slotkeeper.context import current_repos, now
from slotkeeper.service_layer.demo import seed_demo
from slotkeeper.service_layer.expiry import sweep


def register_commands(app: Flask) -> None:
    @app.cli.command("seed")
    def seed_command():
        """Load the demo services and slots (does nothing when services exist)."""
        click.echo(f"seeded {seed_demo(current_repos(), now())} slot(s)")

    @app.cli.command("sweep")
    def sweep_command():
        """Run the expiry sweep once and print what it did."""
        report = sweep(current_repos(), now())
        click.echo(f"expired {report.expired} hold(s), checked {report.slots_checked} slot(s), "
                   f"finished {report.moves_finished} move(s)")
