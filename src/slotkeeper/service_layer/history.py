"""Use cases that read appointments, each with its current service and slot.

A hold past its deadline is EXPIRED whether or not the sweep has written it yet: single reads
settle it on the spot, lists show it as EXPIRED and filter it as such.
"""

from datetime import datetime

from slotkeeper.domain.actor import Actor
from slotkeeper.domain.errors import Forbidden
from slotkeeper.repositories import Page, PageRequest, Repositories
from slotkeeper.service_layer.reading import (
    Populated,
    get_owned,
    is_stale_hold,
    populate,
    populate_one,
)
from slotkeeper.service_layer.reconcile import reconcile_appointment


def get_appointment(
    repos: Repositories, appointment_id: str, now: datetime, *, actor: Actor
) -> Populated:
    """Read one of the actor's appointments; a hold past its deadline is expired first."""
    appointment = get_owned(repos, appointment_id, actor)
    if is_stale_hold(appointment, now):
        reconcile_appointment(repos, appointment, now)
        appointment = repos.appointments.get(appointment_id)
    return populate_one(repos, appointment)


def list_appointments(
    repos: Repositories, page: PageRequest, now: datetime, *, actor: Actor, **filters
) -> Page:
    """The actor's appointment history (an admin's: anyone's), newest first."""
    if not actor.is_admin:
        if filters.get("user_id", actor.user_id) != actor.user_id:
            raise Forbidden("a user may list only their own appointments; leave out userId")
        filters["user_id"] = actor.user_id
    found = repos.appointments.list_page(page, now=now, **filters)
    return Page(populate(repos, found.items, now), found.total)


def slot_appointments(
    repos: Repositories, slot_id: str, page: PageRequest, now: datetime, *, actor: Actor
) -> Page:
    """A slot's appointments, oldest first (only the actor's own unless an admin)."""
    slot = repos.slots.get(slot_id)
    mine = {} if actor.is_admin else {"user_id": actor.user_id}
    found = repos.appointments.list_page(page, now=now, newest_first=False, slot_id=slot.id, **mine)
    return Page(populate(repos, found.items, now), found.total)
