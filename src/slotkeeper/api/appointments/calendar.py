"""An appointment as an iCalendar file (RFC 5545) with one VEVENT, written by `icalendar`."""

from datetime import UTC

from icalendar import Calendar, Event

from slotkeeper.domain.status import Status

PRODUCT = "-//slotkeeper//appointments//EN"
UID_DOMAIN = "slotkeeper"
EVENT_STATUS = {
    Status.PENDING.value: "TENTATIVE",
    Status.BOOKED.value: "CONFIRMED",
    "ATTENDED": "CONFIRMED",
    "NO_SHOW": "CONFIRMED",
    Status.CANCELLED.value: "CANCELLED",
    Status.EXPIRED.value: "CANCELLED",
}


def calendar_file(populated) -> bytes:
    """The VEVENT of an appointment: the same UID for its whole life, and a SEQUENCE that
    grows with each of its changes (the appointment's own counter)."""
    appointment, service, slot = populated.appointment, populated.service, populated.slot
    event = Event()
    event.add("uid", f"appointment-{appointment.id}@{UID_DOMAIN}")
    event.add("dtstamp", (appointment.updated_at or appointment.created_at).astimezone(UTC))
    if slot is not None:
        event.add("dtstart", slot.start_time.astimezone(UTC))
        event.add("dtend", slot.end_time.astimezone(UTC))
    if service is not None:
        event.add("summary", service.name)
        if service.address:
            event.add("location", service.address)
    event.add("status", EVENT_STATUS.get(populated.status, "CONFIRMED"))
    event.add("sequence", appointment.sequence or 0)
    calendar = Calendar()
    calendar.add("prodid", PRODUCT)
    calendar.add("version", "2.0")
    calendar.add_component(event)
    return calendar.to_ical()
