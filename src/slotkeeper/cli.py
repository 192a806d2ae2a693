"""Commands: `flask --app wsgi seed|sweep|migrate|token` and `slotkeeper <the same>|run`."""

from datetime import UTC, datetime, timedelta

import click
from flask import Flask
from mongoengine.connection import get_db

from slotkeeper.auth import tokens
from slotkeeper.config import Settings
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
        click.echo(
            f"expired {report.expired} hold(s), checked {report.slots_checked} slot(s), "
            f"finished {report.moves_finished} move(s)"
        )

    @app.cli.command("migrate")
    @click.option("--status", is_flag=True, help="List the migrations and whether each is applied.")
    @click.option(
        "--wait",
        type=click.FloatRange(min=0),
        default=None,
        help="Seconds to wait for another runner's lock (default: its lease, 10 min).",
    )
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
        click.echo(
            f"{len(applied)} migration(s) applied; {state().engine} database "
            f"{get_db().name!r} is up to date"
        )

    register_token_command(app)


def register_token_command(app: Flask) -> None:
    @app.cli.command("token")
    @click.option("--sub", required=True, help="The user id the token speaks for (its sub).")
    @click.option(
        "--role",
        "roles",
        multiple=True,
        help="A role to grant; repeat for more. admin is the one with extra rights.",
    )
    @click.option(
        "--minutes",
        type=click.IntRange(1, 366 * 24 * 60),
        default=60,
        show_default=True,
        help="How long the token is valid.",
    )
    def token_command(sub, roles, minutes):
        """Print a development bearer token signed with AUTH_JWT_SECRET."""
        _one_shot()
        click.echo(mint_token(settings(), sub, roles, timedelta(minutes=minutes)))


def mint_token(config: Settings, sub: str, roles, lifetime: timedelta) -> str:
    if not config.auth_jwt_secret:
        raise click.ClickException(
            "AUTH_JWT_PUBLIC_KEY only verifies tokens; the identity provider holding its "
            "private key issues them"
            if config.auth_jwt_public_key
            else "AUTH_JWT_SECRET is not set: authentication is off and needs no token"
        )
    if not 1 <= len(sub) <= tokens.MAX_SUBJECT:
        raise click.BadParameter(
            f"must be 1 to {tokens.MAX_SUBJECT} characters", param_hint="--sub"
        )
    # the wall clock, not the app's: verification compares with it too
    return tokens.mint(
        config.auth_jwt_secret,
        sub,
        roles,
        lifetime,
        datetime.now(UTC),
        config.auth_jwt_algorithm or "HS256",
        config.auth_jwt_audience,
        config.auth_jwt_issuer,
    )


def _print_status(directory) -> None:
    done = applied_versions(get_db())
    for migration in discover(directory):
        record = done.get(migration.version)
        when = f"applied {record['appliedAt']:%Y-%m-%d %H:%M:%S}" if record else "pending"
        click.echo(f"{migration}  {when}")
