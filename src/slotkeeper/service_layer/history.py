"""Reading appointments, each with its current service and slot (two queries per page).

A hold past its deadline is EXPIRED whether or not the sweep has written it yet: single reads
settle it on the spot, lists show it as EXPIRED and filter it as such.
"""
from dataclasses import dataclass
from datetime import datetime

from slotkeeper.domain.actor import Actor
from slotkeeper.domain.errors import Forbidden, NotFound
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


def get_owned(repos: Repositories, appointment_id: str, actor: Actor):
    """The appointment if the actor may act on it; someone else's is "not found", word for word."""
    # the same answer as for an unknown id, so that ids cannot be probed for existence
    appointment = repos.appointments.get(appointment_id)
    if not actor.may_act_for(appointment.user_id):
        raise NotFound(f"appointment {appointment_id} not found")
    return appointment


def get_appointment(repos: Repositories, appointment_id: str, now: datetime, *,
                    actor: Actor) -> Populated:
    """Read one of the actor's appointments; a hold past its deadline is expired first."""
    appointment = get_owned(repos, appointment_id, actor)
    if is_stale_hold(appointment, now):
        reconcile_appointment(repos, appointment, now)
        appointment = repos.appointments.get(appointment_id)
    return populate_one(repos, appointment)


def list_appointments(repos: Repositories, page: PageRequest, now: datetime, *, actor: Actor,
                      **filters) -> Page:
    """The actor's appointment history (an admin's: anyone's), newest first."""
    if not actor.is_admin:
        if filters.get("user_id", actor.user_id) != actor.user_id:
            raise Forbidden("a user may list only their own appointments; leave out userId")
        filters["user_id"] = actor.user_id
    found = repos.appointments.list_page(page, now=now, **filters)
    return Page(populate(repos, found.items, now), found.total)


def slot_appointments(repos: Repositories, slot_id: str, page: PageRequest, now: datetime, *,
                      actor: Actor) -> Page:
    """A slot's appointments, oldest first (only the actor's own unless an admin)."""
    slot = repos.slots.get(slot_id)
    mine = {} if actor.is_admin else {"user_id": actor.user_id}
    found = repos.appointments.list_page(page, now=now, newest_first=False, slot_id=slot.id,
                                         **mine)
    return Page(populate(repos, found.items, now), found.total)
