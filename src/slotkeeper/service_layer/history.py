"""Reading appointments, each with its current service and slot (two queries per page).

A hold past its deadline is EXPIRED whether or not the sweep has written it yet: single reads
settle it on the spot, lists show it as EXPIRED and filter it as such.
"""
from dataclasses import dataclass
from datetime import datetime

from slotkeeper.domain.status import Status
from slotkeeper.repositories import Page, PageRequest, Repositories
from slotkeeper.service_layer.reconcile import reconcile_appointment


@dataclass(frozen=True)
class Populated:
    """An appointment with the service and slot it refers to (None once a slot is deleted)."""

    appointment: object
    service: object | None
    slot: object | None
    as_of: datetime | None = None

    @property
    def status(self) -> str:
        if self.as_of is not None and is_stale_hold(self.appointment, self.as_of):
            return Status.EXPIRED.value
        return self.appointment.status

    def __getattr__(self, name):
        return getattr(self.appointment, name)


def is_stale_hold(appointment, now: datetime) -> bool:
    return appointment.status == Status.PENDING.value and appointment.expires_at <= now


def populate(repos: Repositories, appointments: list, now: datetime | None = None):
    services = repos.services.get_many(a.service_id for a in appointments)
    slots = repos.slots.get_many(a.slot_id for a in appointments)
    return [Populated(a, services.get(a.service_id), slots.get(a.slot_id), now)
            for a in appointments]


def populate_one(repos: Repositories, appointment) -> Populated:
    return populate(repos, [appointment])[0]


def get_appointment(repos: Repositories, appointment_id: str, now: datetime) -> Populated:
    """Read one appointment; a hold past its deadline is expired first."""
    appointment = repos.appointments.get(appointment_id)
    if is_stale_hold(appointment, now):
        reconcile_appointment(repos, appointment, now)
        appointment = repos.appointments.get(appointment_id)
    return populate_one(repos, appointment)


def list_appointments(repos: Repositories, page: PageRequest, now: datetime, **filters) -> Page:
    """Appointment history, newest first."""
    found = repos.appointments.list_page(page, now=now, **filters)
    return Page(populate(repos, found.items, now), found.total)


def slot_appointments(repos: Repositories, slot_id: str, page: PageRequest,
                      now: datetime) -> Page:
    """A slot's appointments, oldest first."""
    slot = repos.slots.get(slot_id)
    found = repos.appointments.list_page(page, now=now, newest_first=False, slot_id=slot.id)
    return Page(populate(repos, found.items, now), found.total)
