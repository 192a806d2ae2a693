"""Reading appointments, each with its current service and slot (two queries per page)."""
from dataclasses import dataclass

from slotkeeper.repositories import Page, PageRequest, Repositories


@dataclass(frozen=True)
class Populated:
    """An appointment with the service and slot it refers to (None once a slot is deleted)."""

    appointment: object
    service: object | None
    slot: object | None

    def __getattr__(self, name):
        return getattr(self.appointment, name)


def populate(repos: Repositories, appointments: list) -> list[Populated]:
    services = repos.services.get_many(a.service_id for a in appointments)
    slots = repos.slots.get_many(a.slot_id for a in appointments)
    return [Populated(a, services.get(a.service_id), slots.get(a.slot_id)) for a in appointments]


def populate_one(repos: Repositories, appointment) -> Populated:
    return populate(repos, [appointment])[0]


def get_appointment(repos: Repositories, appointment_id: str) -> Populated:
    """Read one appointment."""
    return populate_one(repos, repos.appointments.get(appointment_id))


def list_appointments(repos: Repositories, page: PageRequest, **filters) -> Page:
    """Appointment history, newest first."""
    found = repos.appointments.list_page(page, **filters)
    return Page(populate(repos, found.items), found.total)


def slot_appointments(repos: Repositories, slot_id: str, page: PageRequest) -> Page:
    """A slot's appointments, oldest first."""
    slot = repos.slots.get(slot_id)
    found = repos.appointments.list_page(page, newest_first=False, slot_id=slot.id)
    return Page(populate(repos, found.items), found.total)
