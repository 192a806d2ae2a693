"""The OpenAPI document's examples: every one is valid by its own schema, Swagger UI's
composed examples (of request bodies and answers) too, and under `make run`, where they name
the demo data, every request filled in from them is answered 2xx (issue 15, item 2)."""

import copy
import re
from typing import Any

import jsonschema_rs
import pytest
from mongoengine.connection import get_db

from slotkeeper import create_app
from slotkeeper.api import examples
from slotkeeper.api.docs import demo_example_ids
from slotkeeper.context import current_repos, now
from slotkeeper.database.connection import drop_all
from slotkeeper.service_layer.demo import seed_demo
from tests.conftest import test_settings

METHODS = {"get", "post", "put", "patch", "delete"}


class MissingExample(Exception):
    pass


@pytest.fixture(scope="module")
def document() -> dict:
    app = create_app(test_settings())
    return app.test_client().get("/openapi.json").get_json()


def json_schema(schema: dict) -> dict:
    """OpenAPI 3.0's schema dialect as JSON Schema: `nullable` becomes a "null" type."""
    if isinstance(schema, list):
        return [json_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    converted = {
        key: json_schema(value)
        for key, value in schema.items()
        if key not in {"nullable", "example", "discriminator", "xml"}
    }
    if schema.get("nullable"):
        if isinstance(converted.get("type"), str):
            converted["type"] = [converted["type"], "null"]
            if "enum" in converted:
                converted["enum"] = [*converted["enum"], None]
        else:
            converted = {"anyOf": [converted, {"type": "null"}]}
    return converted


def validator(document: dict, schema: dict):
    root = {**json_schema(schema), "components": json_schema(document["components"])}
    return jsonschema_rs.Draft7Validator(root, validate_formats=True)


def resolve(document: dict, schema: dict) -> dict:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = document["components"]["schemas"][name]
    return schema


def compose(document: dict, schema: dict, request: bool, where: str) -> Any:
    """The example Swagger UI shows for `schema`: its own, else one made of its parts'."""
    if "example" in schema:
        return schema["example"]
    if "$ref" in schema:
        return compose(document, resolve(document, schema), request, where)
    for combined in ("allOf", "anyOf", "oneOf"):
        if combined in schema:
            return compose(document, schema[combined][0], request, where)
    if "enum" in schema:
        return schema["enum"][0]
    if "default" in schema:
        return schema["default"]
    if schema.get("type") == "array":
        return [compose(document, schema["items"], request, f"{where}[]")]
    if schema.get("type") == "object" and "properties" in schema:
        return {
            name: compose(document, part, request, f"{where}.{name}")
            for name, part in schema["properties"].items()
            if not (request and part.get("readOnly"))
        }
    if schema.get("type") == "boolean":
        return True
    raise MissingExample(f"{where} has no example")


def property_examples(document: dict):
    """(where, example, schema) for every example of a property or a schema."""

    def walk(schema: dict, where: str):
        if "example" in schema:
            yield where, schema["example"], schema
        for name, part in schema.get("properties", {}).items():
            yield from walk(part, f"{where}.{name}")
        if isinstance(schema.get("items"), dict):
            yield from walk(schema["items"], f"{where}[]")

    for name, schema in document["components"]["schemas"].items():
        yield from walk(schema, name)


def _all_schemas(document: dict):
    def walk(schema: dict, where: str):
        yield where, None, schema
        for name, part in schema.get("properties", {}).items():
            yield from walk(part, f"{where}.{name}")

    for name, schema in document["components"]["schemas"].items():
        yield from walk(schema, name)


def operations(document: dict):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def media_examples(document: dict):
    """(where, example, schema) for every example of a parameter, body or answer, and the
    composed example of every body and answer."""
    responses_of = [
        (f"components.responses.{name}", {"default": response})
        for name, response in document["components"]["responses"].items()
    ]
    for path, method, operation in operations(document):
        name = f"{method.upper()} {path}"
        shared = document["paths"][path].get("parameters", [])
        for parameter in shared + operation.get("parameters", []):
            if "example" in parameter:
                yield f"{name} {parameter['name']}", parameter["example"], parameter["schema"]
        body = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if body:
            yield f"{name} body", compose(document, body["schema"], True, name), body["schema"]
        responses_of.append((name, operation["responses"]))
    for name, responses in responses_of:
        for code, response in responses.items():
            content = response.get("content", {}).get("application/json")
            if content is None:
                continue
            where = f"{name} {code}"
            if "example" in content:
                yield f"{where} example", content["example"], content["schema"]
            yield (
                f"{where} composed",
                compose(document, content["schema"], False, where),
                content["schema"],
            )


def test_every_example_is_valid_by_its_own_schema(document):
    checked, wrong = 0, []
    assert any(" slot_id" in where for where, _, _ in media_examples(document))
    for where, example, schema in [*property_examples(document), *media_examples(document)]:
        checked += 1
        errors = [error.message for error in validator(document, schema).iter_errors(example)]
        if errors:
            wrong.append(f"{where}: {example!r}: {errors}")
    assert checked > 100 and not wrong, "\n".join(wrong)


def test_the_check_finds_an_example_its_schema_refuses(document):
    """The check above is not vacuous: an example made wrong is caught."""
    broken = copy.deepcopy(document)
    slot = broken["components"]["schemas"]["Slot"]["properties"]
    slot["availableSeats"]["example"] = "1"
    slot["startTime"]["example"] = "2030-01-07 09:00"
    found = {
        where
        for where, example, schema in property_examples(broken)
        if not validator(broken, schema).is_valid(example)
    }
    assert {"Slot.availableSeats", "Slot.startTime"} <= found


def test_answers_show_the_status_they_have(document):
    def example(path: str, code: str) -> dict:
        return document["paths"][path]["post" if "cancel" not in path else "patch"]["responses"][
            code
        ]["content"]["application/json"]["example"]

    assert example("/api/v1/appointments/book", "201")["status"] == "BOOKED"
    hold = example("/api/v1/appointments/hold", "201")
    assert hold["status"] == "PENDING" and hold["expiresAt"] and hold["slot"]["status"] == "LOCKED"
    assert example("/api/v1/appointments/{appointment_id}/cancel", "200")["status"] == "CANCELLED"


def test_no_example_is_a_placeholder_swagger_ui_would_make_up(document):
    """A free-form object without an example shows as {"additionalProp1": ...}."""
    free_form = [
        where
        for where, _, schema in _all_schemas(document)
        if schema.get("type") == "object" and "properties" not in schema and "example" not in schema
    ]
    assert free_form == []
    slot = document["components"]["schemas"]["Slot"]["properties"]
    assert slot["availableSeats"]["type"] == "integer"
    assert slot["startTime"]["example"] < slot["endTime"]["example"]


def test_the_slot_list_filters_fill_in_no_empty_range(document):
    parameters = {p["name"]: p for p in document["paths"]["/api/v1/slots"]["get"]["parameters"]}
    assert "example" not in parameters["from"]["schema"]
    assert "example" not in parameters["to"]["schema"]
    assert parameters["serviceId"]["schema"]["example"] == examples.SERVICE_ID


# "Try it out" under `make run`: the demo data, the examples pointed at it


@pytest.fixture(scope="module")
def demo_app():
    app = create_app(test_settings())  # the wall clock, as `make run`
    with app.app_context():
        drop_all()
        seed_demo(current_repos(), now())
    ids = demo_example_ids(app)
    app.extensions["slotkeeper.api"].point_examples_at(ids)
    with app.app_context():
        after_demo = {
            name: list(get_db()[name].find()) for name in get_db().list_collection_names()
        }
    app.restore = lambda: _restore(app, after_demo)
    app.demo_ids = ids
    app.written = False  # whether a request may have changed the demo data since it was laid
    app.document = app.test_client().get("/openapi.json").get_json()
    return app


def _restore(app, collections: dict) -> None:
    """Back to the demo data, unless no request since may have written."""
    if not app.written:
        return
    app.written = False
    with app.app_context():
        db = get_db()
        for name in db.list_collection_names():
            db[name].delete_many({})
        for name, documents in collections.items():
            if documents:
                db[name].insert_many(copy.deepcopy(documents))


def filled_in(document: dict, path: str, operation: dict) -> dict:
    """The request Swagger UI sends when "Try it out" is pressed without changing anything."""
    shared = document["paths"][path].get("parameters", [])
    parameters = {p["name"]: p for p in shared + operation.get("parameters", [])}
    for name in re.findall(r"{(\w+)}", path):
        path = path.replace(f"{{{name}}}", parameters[name]["example"])
    query = {
        name: p["schema"]["example"]
        for name, p in parameters.items()
        if p["in"] == "query" and "example" in p["schema"]
    }
    request = {"path": path, "query_string": query}
    body = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if body:
        request["json"] = compose(document, body["schema"], True, path)
    return request


TIME_BOUND = ("/attend", "/no-show")
# the demo slot the examples name has free seats: joining its waiting list is refused, and
# nobody waits for it
SLOT_WITH_SEATS = "/api/v1/slots/{slot_id}/waitlist"


def tried_operations():
    app = create_app(test_settings())
    document = app.test_client().get("/openapi.json").get_json()
    return [
        pytest.param(path, method, id=f"{method.upper()} {path}")
        for path, method, _ in operations(document)
    ]


def test_the_demo_examples_name_eight_different_demo_objects(demo_app):
    placeholders = [
        examples.SERVICE_ID,
        examples.SLOT_ID,
        examples.OTHER_SLOT_ID,
        examples.APPOINTMENT_ID,
        examples.WEBHOOK_ID,
        examples.DELIVERY_ID,
        examples.CLOSURE_ID,
        examples.ENTRY_ID,
    ]
    assert len(set(placeholders)) == 8  # one placeholder each, or one would stand for two
    assert set(demo_app.demo_ids) == set(placeholders)
    assert len(set(demo_app.demo_ids.values())) == 8


@pytest.mark.parametrize("path, method", tried_operations())
def test_try_it_out_as_filled_in_is_answered_2xx(demo_app, path, method):
    demo_app.restore()
    document = demo_app.document
    operation = document["paths"][path][method]
    request = filled_in(document, path, operation)
    demo_app.written = method != "get"
    response = demo_app.test_client().open(method=method.upper(), **request)
    if path.endswith(TIME_BOUND):  # the demo booking's slot is ahead: check-in is not yet open
        if response.status_code == 409:
            assert response.get_json()["reason"] == "TOO_EARLY", response.get_json()
            return
    if path == SLOT_WITH_SEATS and method == "post":
        assert response.status_code == 409, response.get_json()
        assert response.get_json()["reason"] == "SLOT_AVAILABLE", response.get_json()
        return
    assert 200 <= response.status_code < 300, (request, response.get_json())
    if (
        method == "get"
        and isinstance(response.get_json(), list)
        and path not in ("/api/v1/slots/{slot_id}/appointments", SLOT_WITH_SEATS)
    ):
        assert response.get_json(), f"{path} lists nothing for {request}"
