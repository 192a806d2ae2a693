"""Apps with authentication on, keys made at test time (no private key is ever committed),
and tokens of every kind, good and bad."""

import time
from datetime import timedelta

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from slotkeeper import create_app
from slotkeeper.database.connection import drop_all
from tests.conftest import NOW, Api, SessionApp, test_settings

SECRET = "a-development-secret-of-32-bytes+"  # HS256 wants at least 32 bytes
HOLD = "/api/v1/appointments/hold"
BOOK = "/api/v1/appointments/book"
LIST = "/api/v1/appointments"


def claims(sub="alice", roles=(), minutes=10, **extra) -> dict:
    now = int(time.time())
    body = {
        "sub": sub,
        "roles": None if roles is None else list(roles),
        "iat": now,
        "exp": now + minutes * 60,
        **extra,
    }
    return {k: v for k, v in body.items() if v is not None}


def hs256(secret=SECRET, **kwargs) -> str:
    return jwt.encode(claims(**kwargs), secret, algorithm="HS256")


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def pem(public_key) -> str:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


@pytest.fixture(scope="session")
def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def ec_key():
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def make_app(clock):
    """create_app with the test settings plus `overrides`, on an empty database."""

    def make(**overrides):
        app = create_app(test_settings(**overrides), clock=clock)
        with app.app_context():
            drop_all()
        return app

    return make


class Caller:
    """A test client that sends one identity's token with every request."""

    def __init__(self, client, token: str | None):
        self.client, self.headers = client, bearer(token) if token else {}

    def __getattr__(self, method):
        def send(path, headers=None, **kwargs):
            return getattr(self.client, method)(
                path, headers={**self.headers, **(headers or {})}, **kwargs
            )

        return send

    def take(self, path, slot_id, user=None, seats=1, **headers):
        body = {"slotId": slot_id, "seats": seats}
        if user is not None:
            body["userId"] = user
        return self.post(path, json=body, headers=headers)


@pytest.fixture(scope="session")
def secured_session(session_clock) -> SessionApp:
    return SessionApp(session_clock, auth_jwt_secret=SECRET)


@pytest.fixture
def secured(secured_session, clock):
    """An app that verifies HS256 tokens signed with SECRET, on an empty database (built once:
    building an app costs more than most tests)."""
    app = secured_session.connected()
    with app.app_context():
        drop_all()
    return app


@pytest.fixture
def admin(secured) -> Caller:
    return Caller(secured.test_client(), hs256(sub="root", roles=["admin"]))


@pytest.fixture
def alice(secured) -> Caller:
    return Caller(secured.test_client(), hs256(sub="alice"))


@pytest.fixture
def bob(secured) -> Caller:
    return Caller(secured.test_client(), hs256(sub="bob"))


@pytest.fixture
def anonymous(secured) -> Caller:
    return Caller(secured.test_client(), None)


@pytest.fixture
def catalogue(admin) -> Api:
    """The conftest helpers, building services and slots as the admin."""
    return Api(admin)


def later(days=1, minutes=0):
    return (NOW + timedelta(days=days, minutes=minutes)).isoformat()


def assert_error(response, code: int) -> dict:
    """The contract's error shape with this code."""
    assert response.status_code == code, (response.status_code, response.get_data(as_text=True))
    body = response.json
    assert body["code"] == code and isinstance(body["status"], str) and body["status"]
    assert isinstance(body["message"], str) and body["message"]
    return body
