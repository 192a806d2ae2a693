"""With authentication on, the catalogue is public to read and needs role admin to change."""

import pytest

from tests.auth.conftest import SECRET, Caller, assert_error, bearer, hs256, later

pytestmark = pytest.mark.usefixtures("secured")


@pytest.fixture
def ids(catalogue) -> dict:
    service = catalogue.service()
    slot = catalogue.slot(service["id"])
    closure = catalogue.client.post(
        f"/api/v1/services/{service['id']}/closures",
        json={"from": later(20), "to": later(21)},
    ).json["closure"]
    return {"service": service["id"], "slot": slot["id"], "closure": closure["id"]}


def writes(ids) -> list[tuple[str, str, dict | None, int]]:
    """Every change to the catalogue: (method, path, body, the admin's success code)."""
    service, slot = ids["service"], ids["slot"]
    return [
        ("post", "/api/v1/services", {"name": "Dr. No"}, 201),
        ("patch", f"/api/v1/services/{service}", {"category": "Cardiology"}, 200),
        (
            "post",
            "/api/v1/slots",
            {"serviceId": service, "startTime": later(2), "endTime": later(2, 30)},
            201,
        ),
        (
            "post",
            "/api/v1/slots/generate",
            {
                "serviceId": service,
                "fromDate": "2030-02-04",
                "toDate": "2030-02-04",
                "dayStart": "09:00",
                "dayEnd": "10:00",
                "durationMinutes": 30,
            },
            201,
        ),
        ("delete", f"/api/v1/slots/{slot}", None, 204),
        (
            "put",
            f"/api/v1/services/{service}/schedule",
            {"weekly": {"1": [{"start": "09:00", "end": "10:00"}]}, "slotMinutes": 30},
            200,
        ),
        ("delete", f"/api/v1/services/{service}/schedule", None, 204),
        ("post", f"/api/v1/services/{service}/closures", {"from": later(3), "to": later(4)}, 201),
        ("delete", f"/api/v1/services/{service}/closures/{ids['closure']}", None, 204),
        ("delete", f"/api/v1/services/{service}", None, 204),
    ]


WRITES = [
    "create service",
    "patch service",
    "create slot",
    "generate slots",
    "delete slot",
    "write schedule",
    "delete schedule",
    "close",
    "reopen",
    "archive service",
]


def send(caller: Caller, ids, name: str, **headers):
    method, path, body, _ = writes(ids)[WRITES.index(name)]
    return getattr(caller, method)(path, json=body, headers=headers)


def test_reading_the_catalogue_needs_no_token(anonymous, ids):
    for path in (
        "/api/v1/services",
        f"/api/v1/services/{ids['service']}",
        "/api/v1/slots",
        f"/api/v1/slots/{ids['slot']}",
        "/api/v1/slots?available=true",
        f"/api/v1/services/{ids['service']}/closures",
    ):
        assert anonymous.get(path).status_code == 200, path


def test_a_public_read_ignores_a_bad_token(anonymous, ids):
    response = anonymous.get("/api/v1/services", headers=bearer("not-a-token"))
    assert response.status_code == 200


@pytest.mark.parametrize("name", WRITES)
def test_changing_the_catalogue_without_a_token_is_401_with_a_bearer_challenge(
    anonymous, catalogue, ids, name
):
    response = send(anonymous, ids, name)
    assert_error(response, 401)
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="slotkeeper"'
    assert catalogue.client.get(f"/api/v1/services/{ids['service']}").json["active"]


@pytest.mark.parametrize("name", WRITES)
def test_changing_the_catalogue_with_a_bad_token_is_401_invalid_token(anonymous, ids, name):
    response = send(anonymous, ids, name, **bearer(hs256(sub="root", roles=["admin"], minutes=-5)))
    body = assert_error(response, 401)
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith('Bearer realm="slotkeeper", error="invalid_token"')
    assert "expired" in body["message"]


@pytest.mark.parametrize("name", WRITES)
def test_changing_the_catalogue_without_role_admin_is_403(alice, ids, name):
    assert "admin" in assert_error(send(alice, ids, name), 403)["message"]


@pytest.mark.parametrize("name", WRITES)
def test_an_admin_changes_the_catalogue(admin, ids, name):
    method, path, body, code = writes(ids)[WRITES.index(name)]
    response = getattr(admin, method)(path, json=body)
    assert response.status_code == code, response.json


def test_the_token_is_checked_before_the_body(anonymous, alice):
    assert_error(anonymous.post("/api/v1/services", json={"name": ""}), 401)
    assert_error(
        alice.post("/api/v1/services", data="{not json", content_type="application/json"), 403
    )


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer ",
        "bearer",
        "Basic YWxpY2U6c2VjcmV0",
        "Token abc",
        "abc",
        "Bearer a b",
        "Bearer " + "x" * 10000,
        "Bearer ..",
        "Bearer é",
    ],
)
def test_a_malformed_authorization_header_is_401(anonymous, header):
    response = anonymous.post(
        "/api/v1/services", json={"name": "X"}, headers={"Authorization": header}
    )
    assert_error(response, 401)
    assert response.headers["WWW-Authenticate"].startswith('Bearer realm="slotkeeper"')


def test_only_a_token_that_was_sent_is_called_invalid(anonymous):
    basic = anonymous.post(
        "/api/v1/services", json={"name": "X"}, headers={"Authorization": "Basic YWxpY2U6c2VjcmV0"}
    )
    assert basic.headers["WWW-Authenticate"] == 'Bearer realm="slotkeeper"'
    empty = anonymous.post(
        "/api/v1/services", json={"name": "X"}, headers={"Authorization": "Bearer"}
    )
    assert 'error="invalid_token"' in empty.headers["WWW-Authenticate"]


def test_the_scheme_name_is_case_insensitive(secured):
    client = secured.test_client()
    token = hs256(sub="root", roles=["admin"])
    response = client.post(
        "/api/v1/services", json={"name": "X"}, headers={"Authorization": f"bEaReR {token}"}
    )
    assert response.status_code == 201


def test_health_and_the_docs_stay_public(anonymous):
    for path in ("/api/v1/health", "/openapi.json", "/api-docs"):
        assert anonymous.get(path).status_code == 200, path


def test_metrics_are_public_unless_metrics_require_auth(anonymous, make_app):
    assert anonymous.get("/metrics").status_code == 200
    app = make_app(auth_jwt_secret=SECRET, metrics_require_auth=True)
    client = app.test_client()
    response = client.get("/metrics")
    assert_error(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert_error(client.get("/metrics", headers=bearer(hs256())), 403)
    admin = client.get("/metrics", headers=bearer(hs256(sub="root", roles=["admin"])))
    assert admin.status_code == 200 and b"flask_http_request_total" in admin.data
