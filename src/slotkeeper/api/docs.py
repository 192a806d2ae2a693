"""Swagger UI from the swagger-ui-bundle package's own files (no CDN, works offline), and the
finishing touches of the OpenAPI document: examples for path ids and error answers, and, under
`make run`, ids that name the demo data."""

import copy
import logging
from typing import Any

from flask import Blueprint, Flask
from swagger_ui_bundle import swagger_ui_path

from slotkeeper.api import examples

log = logging.getLogger(__name__)
ASSETS_URL = "/api-docs/assets/"
ERROR_SCHEMAS = {"#/components/schemas/Error": False, "#/components/schemas/Conflict": True}
# The demo objects the examples name under `make run` (service_layer/demo.py lays them out)
DEMO_SERVICE = "Hall A"  # 80 seats a slot: many people can try booking it
DEMO_OTHER_SERVICE = "Dr. Ada Lovelace"
DEMO_WAITER = "demo-waiter"
DEMO_USER = "demo-patient"


def register_docs_assets(app: Flask) -> None:
    assets = Blueprint(
        "swagger_ui_assets",
        __name__,
        static_folder=str(swagger_ui_path),
        static_url_path=ASSETS_URL.rstrip("/"),
    )
    app.register_blueprint(assets)


def _error_examples(responses: dict) -> None:
    for code, response in responses.items():
        content = response.get("content", {}).get("application/json")
        if not code.isdigit() or content is None or "example" in content:
            continue
        with_reason = ERROR_SCHEMAS.get(content.get("schema", {}).get("$ref", ""))
        if with_reason is not None:
            content["example"] = examples.error(
                int(code), response.get("description", ""), with_reason
            )


def _path_id_examples(item: dict) -> None:
    for operation in item.values():
        if not isinstance(operation, dict):
            continue
        for parameter in operation.get("parameters", []) + item.get("parameters", []):
            if parameter.get("in") == "path" and parameter.get("name") in examples.PATH_IDS:
                parameter.setdefault("schema", {"type": "string"})
                parameter["example"] = examples.PATH_IDS[parameter["name"]]


def _substitute(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {key: _substitute(item, ids) for key, item in value.items()}
    if isinstance(value, list):
        return [_substitute(item, ids) for item in value]
    if isinstance(value, str):
        return ids.get(value, value)
    return value


def finish_document(document: dict, example_ids: dict[str, str]) -> dict:
    """`document` with an example for every path id and error answer, and the placeholder
    ids of the examples replaced by `example_ids` (placeholder -> id)."""
    document = copy.deepcopy(document)
    for item in document.get("paths", {}).values():
        _path_id_examples(item)
        for operation in item.values():
            if isinstance(operation, dict) and "responses" in operation:
                _error_examples(operation["responses"])
    _error_examples(document.get("components", {}).get("responses", {}))
    return _substitute(document, example_ids) if example_ids else document


def demo_example_ids(app: Flask) -> dict[str, str]:
    """Placeholder -> id of the demo data, read (and one booking made) through the API itself:
    a service and a free slot of it, and a BOOKED appointment on another service with a
    second free slot to move it to. Empty when the demo data is not there."""
    quiet = [logging.getLogger(name) for name in ("slotkeeper.access", "slotkeeper.decisions")]
    levels = [logger.level for logger in quiet]
    for logger in quiet:  # start-up lookups, not requests anyone sent
        logger.setLevel(logging.WARNING)
    try:
        ids = _look_up_demo(app.test_client())
    finally:
        for logger, level in zip(quiet, levels, strict=True):
            logger.setLevel(level)
    if ids:
        log.info(
            "Swagger UI examples name the demo service %s, slot %s and appointment %s",
            ids[examples.SERVICE_ID],
            ids[examples.SLOT_ID],
            ids.get(examples.APPOINTMENT_ID),
        )
    return ids


def _look_up_demo(client) -> dict[str, str]:
    def first(path: str, **query) -> dict | None:
        response = client.get(path, query_string=query)
        items = response.get_json() if response.status_code == 200 else None
        return items[0] if items else None

    def free_slots(service_id: str) -> list[dict]:
        response = client.get(
            "/api/v1/slots",
            query_string={"serviceId": service_id, "available": "true", "page_size": 2},
        )
        return response.get_json() if response.status_code == 200 else []

    service = first("/api/v1/services", q=DEMO_SERVICE)
    other = first("/api/v1/services", q=DEMO_OTHER_SERVICE)
    if service is None or other is None:
        return {}
    slots, other_slots = free_slots(service["id"]), free_slots(other["id"])
    if not slots or len(other_slots) < 2:
        return {}
    booked = client.post(
        "/api/v1/appointments/book", json={"slotId": other_slots[0]["id"], "userId": DEMO_USER}
    )
    ids = {
        examples.SERVICE_ID: service["id"],
        examples.SLOT_ID: slots[0]["id"],
        examples.OTHER_SLOT_ID: other_slots[1]["id"],
    }
    if booked.status_code == 201:
        ids[examples.APPOINTMENT_ID] = booked.get_json()["id"]
        # a second user waits for that full slot: the waiting-list examples name the entry
        waiting = client.post(
            f"/api/v1/slots/{other_slots[0]['id']}/waitlist", json={"userId": DEMO_WAITER}
        )
        if waiting.status_code == 201:
            ids[examples.ENTRY_ID] = waiting.get_json()["id"]
    closure = first(f"/api/v1/services/{service['id']}/closures")
    if closure is not None:
        ids[examples.CLOSURE_ID] = closure["id"]
    ids.update(_demo_webhook(client, first))
    return ids


def _demo_webhook(client, first) -> dict[str, str]:
    """The demo's inactive webhook (it sends nothing anywhere) and one delivery, its ping."""
    webhook = first("/api/v1/webhooks")
    if webhook is None:
        return {}
    delivery = first(f"/api/v1/webhooks/{webhook['id']}/deliveries")
    if delivery is None:
        pinged = client.post(f"/api/v1/webhooks/{webhook['id']}/ping")
        delivery = pinged.get_json() if pinged.status_code == 202 else None
    ids = {examples.WEBHOOK_ID: webhook["id"]}
    if delivery is not None:
        ids[examples.DELIVERY_ID] = delivery["id"]
    return ids
