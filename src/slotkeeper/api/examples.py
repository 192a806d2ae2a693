"""The examples the OpenAPI document shows, so that Swagger UI's "Try it out" works as filled.

Each example is valid by its own schema (tests/api/test_openapi_examples.py checks every one).
Ids are placeholders: under `make run` the document names the demo data instead (see
docs.point_examples_at_demo), so a request sent as filled in finds what it names.
"""

from werkzeug.http import HTTP_STATUS_CODES

# Placeholders, distinct so that each can be pointed at its own demo object
SERVICE_ID = "6650f0c2a1b2c3d4e5f60711"
SLOT_ID = "6650f0c2a1b2c3d4e5f60722"
OTHER_SLOT_ID = "6650f0c2a1b2c3d4e5f60733"  # where the example appointment can move to
APPOINTMENT_ID = "6650f0c2a1b2c3d4e5f60744"
ENTRY_ID = "6650f0c2a1b2c3d4e5f60777"
PATH_IDS = {
    "service_id": SERVICE_ID,
    "slot_id": SLOT_ID,
    "appointment_id": APPOINTMENT_ID,
    "entry_id": ENTRY_ID,
}

START, END = "2030-01-07T09:00:00Z", "2030-01-07T09:30:00Z"
CREATED = "2029-12-20T08:15:00Z"

SERVICE = {
    "id": SERVICE_ID,
    "name": "Dr. Ada Lovelace",
    "description": "General cardiology",
    "address": "Hauptstr. 1, Berlin",
    "category": "Cardiology",
    "price": 80.0,
    "currency": "EUR",
    "timezone": "Europe/Berlin",
    "active": True,
    "createdAt": CREATED,
    "updatedAt": CREATED,
}
SLOT = {
    "id": SLOT_ID,
    "serviceId": SERVICE_ID,
    "startTime": START,
    "endTime": END,
    "capacity": 1,
    "bookedSeats": 0,
    "heldSeats": 0,
    "availableSeats": 1,
    "waitingSeats": 0,
    "status": "AVAILABLE",
    "createdAt": CREATED,
    "updatedAt": CREATED,
}


def appointment(status: str) -> dict:
    """An appointment of one seat on SLOT in `status`, with the slot's counts to match."""
    held, booked = (1, 0) if status == "PENDING" else (0, 1) if status == "BOOKED" else (0, 0)
    slot = {
        **SLOT,
        "heldSeats": held,
        "bookedSeats": booked,
        "availableSeats": 1 - held - booked,
        "status": {(1, 0): "LOCKED", (0, 1): "BOOKED"}.get((held, booked), "AVAILABLE"),
    }
    return {
        "id": APPOINTMENT_ID,
        "slotId": SLOT_ID,
        "serviceId": SERVICE_ID,
        "userId": "patient-42",
        "userName": "Grace Hopper",
        "userEmail": "grace@example.com",
        "seats": 1,
        "status": status,
        "expiresAt": "2029-12-20T08:17:00Z" if status == "PENDING" else None,
        "createdAt": "2029-12-20T08:15:00Z",
        "updatedAt": "2029-12-20T08:15:00Z",
        "cancelledAt": "2029-12-20T08:20:00Z" if status == "CANCELLED" else None,
        "service": SERVICE,
        "slot": slot,
    }


ENTRY = {
    "id": ENTRY_ID,
    "slotId": SLOT_ID,
    "serviceId": SERVICE_ID,
    "userId": "patient-42",
    "seats": 1,
    "status": "WAITING",
    "position": 1,
    "appointmentId": None,
    "createdAt": CREATED,
    "updatedAt": CREATED,
}

GENERATED = {"created": 1, "skipped": 0, "slots": [SLOT]}

VALIDATION_ERRORS = {
    "json": {"startTime": ["A date-time with an offset, like 2030-01-07T09:00:00Z."]}
}
REASONS = {409: "SLOT_UNAVAILABLE", 422: "IDEMPOTENCY_MISMATCH"}


def error(code: int, description: str, with_reason: bool) -> dict:
    """An error answer as the API writes it, for a response documented with `description`."""
    body = {"code": code, "status": HTTP_STATUS_CODES[code], "message": description}
    if code == 422:
        body["message"] = "startTime: a date-time with an offset, like 2030-01-07T09:00:00Z"
        body["errors"] = VALIDATION_ERRORS
    elif code == 400:
        body["message"] = "The body is not valid JSON: Expecting value at line 1, column 1."
    elif with_reason:
        reason = next(
            (
                word.strip(" ,.:()")
                for word in description.split()
                if word.strip(" ,.:()").isupper() and "_" in word
            ),
            REASONS.get(code),
        )
        if reason:
            body["reason"] = reason
    return body


WEBHOOK_ID = "6650f0c2a1b2c3d4e5f60755"
DELIVERY_ID = "6650f0c2a1b2c3d4e5f60766"
PATH_IDS.update(webhook_id=WEBHOOK_ID, delivery_id=DELIVERY_ID)
WEBHOOK_URL = "https://example.com/webhooks/slotkeeper"
WEBHOOK = {
    "id": WEBHOOK_ID,
    "url": WEBHOOK_URL,
    "events": ["appointment.booked", "appointment.cancelled"],
    "description": "Reminders by SMS",
    "active": True,
    "createdAt": CREATED,
    "updatedAt": CREATED,
}
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
DELIVERY = {
    "id": DELIVERY_ID,
    "eventId": "evt_2b3f0c9a6d1e4f5a8b7c6d5e4f3a2b1c",
    "eventType": "appointment.booked",
    "status": "SUCCEEDED",
    "attempts": 1,
    "lastStatusCode": 204,
    "lastError": None,
    "nextAttemptAt": None,
    "createdAt": CREATED,
    "deliveredAt": CREATED,
}

CLOSURE_ID = "6650f0c2a1b2c3d4e5f60788"
PATH_IDS.update(closure_id=CLOSURE_ID)
WEEKLY = {
    "1": [{"start": "09:00", "end": "12:00"}, {"start": "13:00", "end": "17:00"}],
    "2": [{"start": "09:00", "end": "17:00"}],
    "3": [{"start": "09:00", "end": "17:00"}],
    "4": [{"start": "09:00", "end": "17:00"}],
    "5": [{"start": "09:00", "end": "13:00"}],
}
CLOSURE_FROM, CLOSURE_TO = "2030-01-07T00:00:00Z", "2030-01-08T00:00:00Z"
