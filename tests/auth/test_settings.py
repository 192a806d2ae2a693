"""The new settings: each wrong value stops start-up with a message naming the variable."""

import pytest

from slotkeeper.config import ConfigError, load_settings
from tests.auth.conftest import SECRET, pem


def load(**environ):
    return load_settings(environ, dotenv=False)


def refusal(**environ) -> str:
    with pytest.raises(ConfigError) as err:
        load(**environ)
    return str(err.value)


def test_by_default_authentication_is_off_and_nothing_is_rate_limited():
    settings = load()
    assert not settings.auth_enabled and settings.rate_limit_booking is None
    assert (settings.auth_jwt_leeway_seconds, settings.metrics_require_auth) == (30, False)
    assert settings.rate_limit_storage_uri == "memory://"


def test_a_secret_turns_authentication_on_with_hs256():
    settings = load(AUTH_JWT_SECRET=SECRET)
    assert settings.auth_enabled and settings.auth_jwt_algorithm == "HS256"


def test_a_public_key_turns_it_on_with_rs256_by_default(rsa_key):
    settings = load(AUTH_JWT_PUBLIC_KEY=pem(rsa_key.public_key()))
    assert settings.auth_enabled and settings.auth_jwt_algorithm == "RS256"


def test_the_public_key_may_be_a_file_or_written_with_escaped_newlines(rsa_key, tmp_path):
    text = pem(rsa_key.public_key())
    path = tmp_path / "public.pem"
    path.write_text(text)
    assert load(AUTH_JWT_PUBLIC_KEY=str(path)).auth_jwt_public_key == text
    one_line = text.replace("\n", "\\n")
    assert load(AUTH_JWT_PUBLIC_KEY=one_line).auth_jwt_public_key == text


def test_es256_is_chosen_by_setting_the_algorithm(ec_key):
    settings = load(AUTH_JWT_PUBLIC_KEY=pem(ec_key.public_key()), AUTH_JWT_ALGORITHM="es256")
    assert settings.auth_jwt_algorithm == "ES256"


def test_a_secret_and_a_key_together_are_refused(rsa_key):
    message = refusal(AUTH_JWT_SECRET=SECRET, AUTH_JWT_PUBLIC_KEY=pem(rsa_key.public_key()))
    assert "AUTH_JWT_SECRET" in message and "AUTH_JWT_PUBLIC_KEY" in message


@pytest.mark.parametrize(
    "value", ["/no/such/key.pem", "-----BEGIN PUBLIC KEY-----\ngarbage\n-----END PUBLIC KEY-----"]
)
def test_an_unreadable_pem_is_refused(value):
    assert refusal(AUTH_JWT_PUBLIC_KEY=value).startswith("AUTH_JWT_PUBLIC_KEY ")


def test_a_key_of_the_wrong_kind_for_the_algorithm_is_refused(ec_key):
    assert refusal(AUTH_JWT_PUBLIC_KEY=pem(ec_key.public_key())).startswith("AUTH_JWT_PUBLIC_KEY")


@pytest.mark.parametrize(
    "environ",
    [
        {"AUTH_JWT_SECRET": SECRET, "AUTH_JWT_ALGORITHM": "RS256"},
        {"AUTH_JWT_SECRET": SECRET, "AUTH_JWT_ALGORITHM": "none"},
        {"AUTH_JWT_PUBLIC_KEY": "placeholder", "AUTH_JWT_ALGORITHM": "HS256"},
    ],
)
def test_an_algorithm_that_does_not_fit_the_key_is_refused(environ, rsa_key):
    if environ.get("AUTH_JWT_PUBLIC_KEY"):
        environ = {**environ, "AUTH_JWT_PUBLIC_KEY": pem(rsa_key.public_key())}
    assert refusal(**environ).startswith("AUTH_JWT_ALGORITHM ")


def test_a_short_secret_is_refused():
    assert refusal(AUTH_JWT_SECRET="short").startswith("AUTH_JWT_SECRET ")


@pytest.mark.parametrize("value", ["-1", "3601", "soon"])
def test_the_leeway_is_a_bounded_number_of_seconds(value):
    assert "AUTH_JWT_LEEWAY_SECONDS" in refusal(
        AUTH_JWT_SECRET=SECRET, AUTH_JWT_LEEWAY_SECONDS=value
    )


def test_production_refuses_to_start_without_authentication():
    message = refusal(APP_ENV="production")
    assert all(
        name in message
        for name in ("APP_ENV", "AUTH_JWT_SECRET", "AUTH_JWT_PUBLIC_KEY", "AUTH_DISABLED")
    )


def test_production_starts_with_authentication_or_when_told_to_go_without():
    assert load(APP_ENV="Production", AUTH_JWT_SECRET=SECRET).auth_enabled
    assert not load(APP_ENV="production", AUTH_DISABLED="true").auth_enabled


def test_auth_disabled_together_with_a_key_is_refused():
    message = refusal(AUTH_DISABLED="true", AUTH_JWT_SECRET=SECRET)
    assert "AUTH_DISABLED" in message and "AUTH_JWT_SECRET" in message


def test_metrics_cannot_require_authentication_that_is_off():
    assert "METRICS_REQUIRE_AUTH" in refusal(METRICS_REQUIRE_AUTH="true")
    assert load(METRICS_REQUIRE_AUTH="true", AUTH_JWT_SECRET=SECRET).metrics_require_auth


def test_a_rate_limit_is_checked():
    assert load(RATE_LIMIT_BOOKING="20/minute;200/hour").rate_limit_booking == "20/minute;200/hour"
    assert refusal(RATE_LIMIT_BOOKING="lots").startswith("RATE_LIMIT_BOOKING ")


@pytest.mark.parametrize("uri", ["postgres://db/limits", "async+memory://", "memory"])
def test_the_rate_limit_storage_must_be_one_flask_limiter_can_use(uri):
    message = refusal(RATE_LIMIT_BOOKING="20/minute", RATE_LIMIT_STORAGE_URI=uri)
    assert message.startswith("RATE_LIMIT_STORAGE_URI ")
