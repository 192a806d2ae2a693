"""Reading appointments with their current service and slot (not a use case itself).

A hold past its deadline is EXPIRED whether or not the sweep has written it yet: lists show
it as EXPIRED and filter it as such (single reads settle it on the spot, in history.py).
"""

from dataclasses import dataclass
from datetime import datetime

from slotkeeper.domain.actor import Actor
from slotkeeper.domain.errors import NotFound
from slotkeeper.domain.status import Status
from slotkeeper.models import Appointment, Service, Slot
from slotkeeper.repositories import Repositories


@dataclass(frozen=True)
class Populated:
    """An appointment with the service and slot it refers to (None once a slot is deleted)."""

    appointment: Appointment
    service: Service | None
    slot: Slot | None
    as_of: datetime | None = None
    replayed: bool = False  # the answer of an earlier request with the same Idempotency-Key

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
    return [
        Populated(a, services.get(a.service_id), slots.get(a.slot_id), now) for a in appointments
    ]


def populate_one(repos: Repositories, appointment) -> Populated:
    return populate(repos, [appointment])[0]


def get_owned(repos: Repositories, appointment_id: str, actor: Actor):
    """The appointment if the actor may act on it; someone else's is "not found", word for word."""
    # the same answer as for an unknown id, so that ids cannot be probed for existence
    appointment = repos.appointments.get(appointment_id)
    if not actor.may_act_for(appointment.user_id):
        raise NotFound(f"appointment {appointment_id} not found")
    return appointment
