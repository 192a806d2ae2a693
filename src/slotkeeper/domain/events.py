"""Events: what other systems learn about appointments, and when a delivery is tried again.

An event is recorded in the same single-document write as the change it tells of (the
appointment's `outbox`), so it exists if and only if the change happened.
"""

import ipaddress
import json
import uuid
from datetime import datetime, timedelta
from enum import StrEnum

from slotkeeper.domain.status import Status


class EventType(StrEnum):
    HELD = "appointment.held"
    BOOKED = "appointment.booked"
    CANCELLED = "appointment.cancelled"
    EXPIRED = "appointment.expired"
    RESCHEDULED = "appointment.rescheduled"
    ATTENDED = "appointment.attended"
    NO_SHOW = "appointment.no_show"
    WAITLIST_OFFERED = "waitlist.offered"
    PING = "ping"


# the types a webhook may subscribe to; ping goes to the webhook pinged, whatever it follows
SUBSCRIBABLE = tuple(t.value for t in EventType if t is not EventType.PING)

EVENT_OF_STATUS = {
    Status.PENDING: EventType.HELD,
    Status.BOOKED: EventType.BOOKED,
    Status.CANCELLED: EventType.CANCELLED,
    Status.EXPIRED: EventType.EXPIRED,
    Status.ATTENDED: EventType.ATTENDED,
    Status.NO_SHOW: EventType.NO_SHOW,
}


class DeliveryStatus(StrEnum):
    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


def new_event_id() -> str:
    return "evt_" + uuid.uuid4().hex


def appointment_event(
    status: Status, now: datetime, *, slot_id=None, previous_slot_id=None, **changed
) -> dict:
    """The outbox record of one change of an appointment: its type, when, and the fields the
    change set (the rest of the appointment is as it was)."""
    kind = EventType.RESCHEDULED if previous_slot_id is not None else EVENT_OF_STATUS[status]
    event = {"id": new_event_id(), "type": kind.value, "at": now, "status": status.value, **changed}
    if slot_id is not None:
        event["slotId"] = slot_id
    if previous_slot_id is not None:
        event["previousSlotId"] = previous_slot_id
    return event


def offer_event(now: datetime, entry_id: str) -> dict:
    """The outbox record of an offer, pushed with the creation of its hold: the waiting-list
    entry it was made for is rendered when the event is handed over."""
    return {
        "id": new_event_id(),
        "type": EventType.WAITLIST_OFFERED.value,
        "at": now,
        "status": Status.PENDING.value,
        "entry": entry_id,
    }


def retry_delay(attempts: int, base_seconds: int) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt: base, 2 base, 4 base..."""
    return timedelta(seconds=base_seconds * 2 ** (attempts - 1))


def is_public_address(address: str) -> bool:
    """False for loopback, private, link-local, multicast, unspecified and reserved addresses
    (an IPv4 address mapped into IPv6 is judged as the IPv4 address it carries)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_unspecified
        or ip.is_reserved
        or not ip.is_global
    )


def event_body(event_id: str, event_type: str, at: datetime, data: dict) -> str:
    """The JSON a delivery POSTs: the same text on every attempt, as it was signed."""
    timestamp = at.isoformat().replace("+00:00", "Z")
    return json.dumps(
        {"id": event_id, "type": event_type, "timestamp": timestamp, "data": data},
        separators=(",", ":"),
    )
