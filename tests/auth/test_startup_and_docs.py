"""Start-up (the warning when authentication is off, the refusal in production) and the
OpenAPI document: the bearer scheme, and what each operation needs."""

import logging

import pytest

from slotkeeper import create_app
from slotkeeper.__main__ import main
from slotkeeper.config import ConfigError
from tests.auth.conftest import SECRET
from tests.conftest import TEST_DB, test_settings

ADMIN_ONLY = {
    ("post", "/api/v1/services"),
    ("put", "/api/v1/services/{service_id}/schedule"),
    ("delete", "/api/v1/services/{service_id}/schedule"),
    ("post", "/api/v1/services/{service_id}/closures"),
    ("delete", "/api/v1/services/{service_id}/closures/{closure_id}"),
    ("patch", "/api/v1/services/{service_id}"),
    ("delete", "/api/v1/services/{service_id}"),
    ("post", "/api/v1/slots"),
    ("post", "/api/v1/slots/generate"),
    ("delete", "/api/v1/slots/{slot_id}"),
    ("get", "/api/v1/slots/{slot_id}/appointments"),
    ("get", "/api/v1/webhooks"),
    ("post", "/api/v1/webhooks"),
    ("get", "/api/v1/webhooks/{webhook_id}"),
    ("patch", "/api/v1/webhooks/{webhook_id}"),
    ("delete", "/api/v1/webhooks/{webhook_id}"),
    ("post", "/api/v1/webhooks/{webhook_id}/ping"),
    ("get", "/api/v1/webhooks/{webhook_id}/deliveries"),
    ("post", "/api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver"),
    ("post", "/api/v1/appointments/{appointment_id}/attend"),
    ("post", "/api/v1/appointments/{appointment_id}/no-show"),
}
PUBLIC = {
    ("get", "/api/v1/services"),
    ("get", "/api/v1/services/{service_id}"),
    ("get", "/api/v1/services/{service_id}/schedule"),
    ("get", "/api/v1/services/{service_id}/closures"),
    ("get", "/api/v1/slots"),
    ("get", "/api/v1/slots/{slot_id}"),
}
OPEN = {("get", "/api/v1/health")}


def warnings_of(caplog) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "slotkeeper.auth" and r.levelno == logging.WARNING
    ]


def test_without_authentication_start_up_warns_in_one_line(caplog, clock):
    with caplog.at_level(logging.WARNING, logger="slotkeeper.auth"):
        create_app(test_settings(), clock=clock)
    [line] = warnings_of(caplog)
    assert "authentication is OFF" in line and "AUTH_JWT_SECRET" in line and "\n" not in line


def test_with_authentication_start_up_does_not_warn(caplog, clock):
    with caplog.at_level(logging.WARNING, logger="slotkeeper.auth"):
        create_app(test_settings(auth_jwt_secret=SECRET), clock=clock)
    assert warnings_of(caplog) == []


def test_production_without_authentication_refuses_to_start(clock, monkeypatch, capsys):
    with pytest.raises(ConfigError, match="APP_ENV"):
        create_app(test_settings(app_env="production"), clock=clock)
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("MONGODB_DB", TEST_DB)
    assert main(["seed"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("slotkeeper: APP_ENV is production") and "AUTH_DISABLED" in error


def test_production_may_run_without_authentication_when_told_so(clock):
    app = create_app(test_settings(app_env="production", auth_disabled=True), clock=clock)
    assert app.test_client().get("/api/v1/health").status_code == 200


def test_a_bad_key_handed_to_create_app_is_refused_too(clock):
    with pytest.raises(ConfigError, match="AUTH_JWT_SECRET"):
        create_app(test_settings(auth_jwt_secret="short"), clock=clock)


@pytest.fixture(params=["on", "off"])
def spec(request, make_app) -> dict:
    app = make_app(auth_jwt_secret=SECRET) if request.param == "on" else make_app()
    return app.test_client().get("/openapi.json").json


def operations(spec):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in {"get", "post", "patch", "delete", "put"}:
                yield (method, path), operation


def test_the_bearer_scheme_is_documented(spec):
    scheme = spec["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"], scheme["bearerFormat"]) == ("http", "bearer", "JWT")


def test_every_operation_says_what_it_needs(spec):
    for key, operation in operations(spec):
        if key in OPEN:
            continue
        assert "security" in operation, key
        assert "**Access:**" in operation["description"], key
        if key in PUBLIC:
            assert operation["security"] == [] and "public" in operation["description"]
            continue
        assert operation["security"] == [{"bearerAuth": []}], key
        assert "401" in operation["responses"], key
        assert "WWW-Authenticate" in operation["responses"]["401"]["headers"], key
        if key in ADMIN_ONLY:
            assert "role `admin`" in operation["description"], key
            assert "403" in operation["responses"], key


def test_appointment_operations_need_a_token_and_admin_for_nothing_more(spec):
    appointments = [
        (key, op)
        for key, op in operations(spec)
        if "/appointments" in key[1] and key not in ADMIN_ONLY
    ]
    assert len(appointments) == 8  # with the calendar file
    for key, operation in appointments:
        assert operation["security"] == [{"bearerAuth": []}], key
        assert "their own" in operation["description"], key


def test_the_description_says_whether_this_instance_checks_tokens(make_app):
    on = make_app(auth_jwt_secret=SECRET).test_client().get("/openapi.json").json
    off = make_app().test_client().get("/openapi.json").json
    assert "authentication is on" in on["info"]["description"]
    assert "authentication is off" in off["info"]["description"]


def test_swagger_ui_reads_the_document_that_declares_the_scheme(make_app):
    client = make_app(auth_jwt_secret=SECRET).test_client()
    page = client.get("/api-docs").get_data(as_text=True)
    assert "/openapi.json" in page
    assert "bearerAuth" in client.get("/openapi.json").json["components"]["securitySchemes"]
