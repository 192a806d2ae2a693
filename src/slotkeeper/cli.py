"""Commands: `flask --app wsgi seed|sweep|migrate` and `slotkeeper seed|sweep|migrate|run`."""
import click
from flask import Flask
from mongoengine.connection import get_db

from slotkeeper.context import current_repos, now, settings, state
from slotkeeper.database.migrations import (
    MigrationError,
    applied_versions,
    apply_migrations,
    discover,
    migrations_dir,
)
from slotkeeper.service_layer.demo import seed_demo
from slotkeeper.service_layer.expiry import sweep


def _one_shot() -> None:
    """A command is not a server: stop the expiry job create_app may have started for wsgi."""
    from slotkeeper.jobs.expiry_job import stop_expiry_job
    stop_expiry_job()


def register_commands(app: Flask) -> None:
    @app.cli.command("seed")
    def seed_command():
        """Load the demo services and slots (does nothing when services exist)."""
        _one_shot()
        click.echo(f"seeded {seed_demo(current_repos(), now())} slot(s)")

    @app.cli.command("sweep")
    def sweep_command():
        """Run the expiry sweep once and print what it did."""
        _one_shot()
        report = sweep(current_repos(), now())
        click.echo(f"expired {report.expired} hold(s), checked {report.slots_checked} slot(s), "
                   f"finished {report.moves_finished} move(s)")

    @app.cli.command("migrate")
    @click.option("--status", is_flag=True, help="List the migrations and whether each is applied.")
    @click.option("--wait", type=click.FloatRange(min=0), default=None,
                  help="Seconds to wait for another runner's lock (default: its lease, 10 min).")
    def migrate_command(status, wait):
        """Apply pending database migrations in order; safe to run twice or in parallel."""
        _one_shot()
        directory = migrations_dir(settings())
        try:
            if status:
                _print_status(directory)
                return
            applied = apply_migrations(get_db(), directory, wait=wait)
        except MigrationError as err:
            raise click.ClickException(str(err)) from None
        for migration in applied:
            click.echo(f"applied {migration}")
        click.echo(f"{len(applied)} migration(s) applied; {state().engine} database "
                   f"{get_db().name!r} is up to date")


def _print_status(directory) -> None:
    done = applied_versions(get_db())
    for migration in discover(directory):
        record = done.get(migration.version)
        when = f"applied {record['appliedAt']:%Y-%m-%d %H:%M:%S}" if record else "pending"
        click.echo(f"{migration}  {when}")
