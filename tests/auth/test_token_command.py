"""`flask --app wsgi token` and `slotkeeper token`: a development token, signed with the secret."""

import time

from slotkeeper.__main__ import main
from slotkeeper.auth.tokens import Verifier, verify
from tests.auth.conftest import SECRET, pem
from tests.conftest import TEST_DB


def test_the_token_command_prints_a_token_the_app_accepts(make_app):
    app = make_app(auth_jwt_secret=SECRET, auth_jwt_audience="slotkeeper", auth_jwt_issuer="dev")
    result = app.test_cli_runner().invoke(
        args=["token", "--sub", "alice", "--role", "admin", "--minutes", "5"]
    )
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    claims = verify(token, Verifier(SECRET, "HS256", audience="slotkeeper", issuer="dev"))
    assert (claims.sub, claims.roles) == ("alice", ("admin",))
    client = app.test_client()
    created = client.post(
        "/api/v1/services", json={"name": "X"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert created.status_code == 201


def test_the_token_lasts_the_minutes_asked(make_app):
    import jwt

    app = make_app(auth_jwt_secret=SECRET)
    token = app.test_cli_runner().invoke(args=["token", "--sub", "bob"]).output.strip()
    claims = jwt.decode(token, SECRET, algorithms=["HS256"])
    assert claims["roles"] == [] and abs(claims["exp"] - time.time() - 3600) < 5


def test_the_token_command_refuses_with_only_a_public_key(make_app, rsa_key):
    app = make_app(auth_jwt_public_key=pem(rsa_key.public_key()))
    result = app.test_cli_runner().invoke(args=["token", "--sub", "alice"])
    assert result.exit_code != 0 and "AUTH_JWT_PUBLIC_KEY only verifies" in result.output


def test_the_token_command_refuses_when_authentication_is_off(make_app):
    result = make_app().test_cli_runner().invoke(args=["token", "--sub", "alice"])
    assert result.exit_code != 0 and "AUTH_JWT_SECRET is not set" in result.output


def test_the_token_command_checks_the_subject(make_app):
    app = make_app(auth_jwt_secret=SECRET)
    assert app.test_cli_runner().invoke(args=["token", "--sub", ""]).exit_code != 0
    assert app.test_cli_runner().invoke(args=["token", "--sub", "x" * 201]).exit_code != 0


def test_the_console_script_mints_one_too(monkeypatch, capsys):
    for name, value in {
        "MONGODB_DB": TEST_DB,
        "LOG_LEVEL": "WARNING",
        "EXPIRY_JOB_ENABLED": "false",
        "AUTH_JWT_SECRET": SECRET,
    }.items():
        monkeypatch.setenv(name, value)
    assert main(["token", "--sub", "carol", "--role", "admin"]) == 0
    token = capsys.readouterr().out.strip()
    assert verify(token, Verifier(SECRET, "HS256")).is_admin
