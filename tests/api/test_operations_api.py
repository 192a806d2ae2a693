"""Health, the OpenAPI document and Swagger UI (API.md, "Operations")."""

import os
import re

import pytest

from slotkeeper import create_app

pytestmark = pytest.mark.usefixtures("no_server_errors")

SERVICE = [
    "id",
    "name",
    "description",
    "address",
    "category",
    "price",
    "currency",
    "timezone",
    "active",
    "createdAt",
    "updatedAt",
]
SLOT = [
    "id",
    "serviceId",
    "startTime",
    "endTime",
    "capacity",
    "bookedSeats",
    "heldSeats",
    "availableSeats",
    "status",
    "createdAt",
    "updatedAt",
]
APPOINTMENT = [
    "id",
    "slotId",
    "serviceId",
    "userId",
    "userName",
    "userEmail",
    "seats",
    "status",
    "expiresAt",
    "createdAt",
    "updatedAt",
    "cancelledAt",
    "service",
    "slot",
]
SERVICE_BODY = [
    "name",
    "description",
    "address",
    "category",
    "price",
    "currency",
    "timezone",
    "active",
]
TAKE_BODY = ["slotId", "userId", "userName", "userEmail", "seats"]

# Every endpoint of the contract: (method, path, success code, body fields, required body fields,
# answer fields, whether the answer is a page). Path parameters are written {}.
CONTRACT = [
    ("post", "/api/v1/services", 201, SERVICE_BODY, ["name"], SERVICE, False),
    ("get", "/api/v1/services", 200, None, None, SERVICE, True),
    ("get", "/api/v1/services/{}", 200, None, None, SERVICE, False),
    ("patch", "/api/v1/services/{}", 200, SERVICE_BODY, [], SERVICE, False),
    ("delete", "/api/v1/services/{}", 204, None, None, None, False),
    (
        "post",
        "/api/v1/slots",
        201,
        ["serviceId", "startTime", "endTime", "capacity"],
        ["serviceId", "startTime", "endTime"],
        SLOT,
        False,
    ),
    (
        "post",
        "/api/v1/slots/generate",
        201,
        [
            "serviceId",
            "fromDate",
            "toDate",
            "dayStart",
            "dayEnd",
            "durationMinutes",
            "gapMinutes",
            "weekdays",
            "capacity",
        ],
        ["serviceId", "fromDate", "toDate", "dayStart", "dayEnd", "durationMinutes"],
        ["created", "skipped", "slots"],
        False,
    ),
    ("get", "/api/v1/slots", 200, None, None, SLOT, True),
    ("get", "/api/v1/slots/{}", 200, None, None, SLOT, False),
    ("delete", "/api/v1/slots/{}", 204, None, None, None, False),
    ("get", "/api/v1/slots/{}/appointments", 200, None, None, APPOINTMENT, True),
    ("post", "/api/v1/appointments/book", 201, TAKE_BODY, ["slotId", "userId"], APPOINTMENT, False),
    ("post", "/api/v1/appointments/hold", 201, TAKE_BODY, ["slotId", "userId"], APPOINTMENT, False),
    ("post", "/api/v1/appointments/{}/confirm", 200, None, None, APPOINTMENT, False),
    ("patch", "/api/v1/appointments/{}/cancel", 200, None, None, APPOINTMENT, False),
    ("post", "/api/v1/appointments/{}/reschedule", 200, ["slotId"], ["slotId"], APPOINTMENT, False),
    ("get", "/api/v1/appointments", 200, None, None, APPOINTMENT, True),
    ("get", "/api/v1/appointments/{}", 200, None, None, APPOINTMENT, False),
    ("get", "/api/v1/health", 200, None, None, ["status", "database", "engine"], False),
]
ENDPOINTS = [pytest.param(*row, id=f"{row[0].upper()} {row[1]}") for row in CONTRACT]
# Where the contract names a 409 (with a reason).
CONFLICTS = [
    ("delete", "/api/v1/services/{}"),
    ("post", "/api/v1/slots"),
    ("post", "/api/v1/slots/generate"),
    ("delete", "/api/v1/slots/{}"),
    ("post", "/api/v1/appointments/book"),
    ("post", "/api/v1/appointments/hold"),
    ("post", "/api/v1/appointments/{}/confirm"),
    ("patch", "/api/v1/appointments/{}/cancel"),
    ("post", "/api/v1/appointments/{}/reschedule"),
]
FILTERS = {
    "/api/v1/services": ["category", "active", "q"],
    "/api/v1/slots": ["serviceId", "status", "from", "to", "available"],
    "/api/v1/appointments": ["userId", "status", "serviceId", "slotId"],
}


# --- health ----------------------------------------------------------------------------------


def test_health_reports_ok_and_the_configured_engine(client):
    engine = "mongodb" if os.environ.get("MONGODB_URI") else "embedded"
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok", "engine": engine}


@pytest.fixture
def app_without_database(app):
    """An app whose MongoDB refuses connections (closed port, 100 ms timeouts)."""
    from slotkeeper.context import EXTENSION

    settings = app.extensions[EXTENSION].settings.with_overrides(
        mongodb_uri="mongodb://127.0.0.1:1/", mongodb_timeout_ms=100, migrate_on_start=False
    )
    return create_app(settings)


def test_health_is_a_503_naming_the_database_when_it_does_not_answer(app_without_database):
    response = app_without_database.test_client().get("/api/v1/health")
    assert response.status_code == 503
    assert response.json["database"] == "unavailable"
    assert response.json["engine"] == "mongodb"


def test_a_request_while_the_database_is_down_is_a_503_in_the_error_shape(app_without_database):
    response = app_without_database.test_client().get("/api/v1/services")
    assert response.status_code == 503
    assert response.json["code"] == 503 and response.json["status"] == "Service Unavailable"
    assert response.json["message"]


# --- the OpenAPI document --------------------------------------------------------------------


@pytest.fixture
def spec(client) -> dict:
    response = client.get("/openapi.json")
    assert response.status_code == 200 and response.is_json
    return response.json


def operation(spec: dict, method: str, path: str) -> dict:
    paths = {re.sub(r"\{[^}]+\}", "{}", p): item for p, item in spec["paths"].items()}
    assert path in paths, f"{path} is not documented"
    assert method in paths[path], f"{method.upper()} {path} is not documented"
    return paths[path][method]


def deref(spec: dict, node: dict) -> dict:
    """Follow local $refs ("#/components/...") until a concrete object."""
    while "$ref" in node:
        target = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def json_schema(spec: dict, holder: dict) -> dict:
    return deref(spec, deref(spec, holder)["content"]["application/json"]["schema"])


def test_the_document_is_openapi_3(spec):
    assert spec["openapi"].startswith("3.")
    assert spec["info"]["title"] and spec["info"]["version"]


@pytest.mark.parametrize("method, path, code, body, required, answer, paged", ENDPOINTS)
def test_every_endpoint_of_the_contract_is_documented_with_its_schemas(
    spec, method, path, code, body, required, answer, paged
):
    op = operation(spec, method, path)
    assert op.get("summary"), "a one-line summary"
    assert str(code) in op["responses"]
    if body is None:
        assert "requestBody" not in op
    else:
        schema = json_schema(spec, op["requestBody"])
        assert set(body) <= set(schema["properties"])
        assert set(schema.get("required", [])) == set(required)
    if answer is None:
        return
    schema = json_schema(spec, op["responses"][str(code)])
    if paged:
        assert schema["type"] == "array"
        schema = deref(spec, schema["items"])
    assert set(answer) <= set(schema["properties"])


@pytest.mark.parametrize("method, path, code, body, required, answer, paged", ENDPOINTS)
def test_every_endpoint_documents_the_errors_it_can_answer(
    spec, method, path, code, body, required, answer, paged
):
    responses = operation(spec, method, path)["responses"]
    expected = set()
    if "{}" in path:
        expected.add("404")
    if body is not None or paged:
        expected.add("422")
    if (method, path) in CONFLICTS:
        expected.add("409")
        assert "reason" in json_schema(spec, responses["409"])["properties"]
    assert expected <= set(responses)
    for status in expected - {"409"}:
        assert {"code", "status", "message"} <= set(
            json_schema(spec, responses[status])["properties"]
        )


def test_health_documents_its_503(spec):
    responses = operation(spec, "get", "/api/v1/health")["responses"]
    assert "database" in json_schema(spec, responses["503"])["properties"]


@pytest.mark.parametrize("path", list(FILTERS))
def test_lists_document_their_filters_and_pagination(spec, path):
    op = operation(spec, "get", path)
    names = {p["name"] for p in op["parameters"] if p["in"] == "query"}
    assert set(FILTERS[path]) | {"page", "page_size"} <= names
    assert "X-Pagination" in deref(spec, op["responses"]["200"])["headers"]


@pytest.mark.parametrize(
    "method, path, code, body, required, answer, paged",
    [e for e in ENDPOINTS if e.values[3] is not None],
)
def test_every_request_body_carries_examples(
    spec, method, path, code, body, required, answer, paged
):
    schema = json_schema(spec, operation(spec, method, path)["requestBody"])
    examples = [name for name, prop in schema["properties"].items() if "example" in prop]
    assert examples, f"no example in the body of {method.upper()} {path}"


# --- Swagger UI ------------------------------------------------------------------------------


@pytest.fixture
def docs_page(client) -> str:
    response = client.get("/api-docs")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def asset_urls(page: str) -> list[str]:
    return re.findall(r'(?:src|href)\s*=\s*["\']([^"\']+)["\']', page)


def test_swagger_ui_is_served_as_html(docs_page):
    assert "SwaggerUIBundle" in docs_page


def test_swagger_ui_loads_nothing_from_a_cdn(docs_page):
    assert not re.search(r"https?://", docs_page, re.IGNORECASE)
    assert not re.search(r'(?:src|href)\s*=\s*["\']//', docs_page)  # protocol-relative


def test_every_script_and_stylesheet_of_swagger_ui_is_served_locally(client, docs_page):
    urls = asset_urls(docs_page)
    assert any(u.endswith(".js") for u in urls) and any(u.endswith(".css") for u in urls)
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert len(response.get_data()) > 1000, url
        response.close()


def test_swagger_ui_reads_the_local_openapi_document(client, docs_page):
    [url] = re.findall(r'url\s*:\s*["\']([^"\']+)["\']', docs_page)
    assert not url.startswith(("http:", "https:", "//"))
    assert client.get(url).json["paths"]
