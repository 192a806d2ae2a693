"""Waiting-list entries: their statuses, and what an entry shows once its offer is made.

An entry's own document says WAITING or LEFT until an offer is made for it. From then on the
offer, a hold like any other, is the truth: its appointment's status says whether the entry
is OFFERED, ACCEPTED, EXPIRED or LEFT, whether or not the entry's document has caught up. An
offer rescheduled to another slot is no longer the line's: its entry has LEFT (unless it was
confirmed first: it stays ACCEPTED).
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from slotkeeper.domain.status import USED, Status


class EntryStatus(StrEnum):
    WAITING = "WAITING"
    OFFERED = "OFFERED"
    ACCEPTED = "ACCEPTED"
    EXPIRED = "EXPIRED"
    LEFT = "LEFT"


# statuses an entry never leaves
FINAL = frozenset({EntryStatus.ACCEPTED, EntryStatus.EXPIRED, EntryStatus.LEFT})


def status_of_offer(stored: EntryStatus, offer, now: datetime, slot_id) -> EntryStatus:
    """The status of an entry waiting for slot `slot_id`, given its offer's appointment (None
    while no offer exists)."""
    if offer is None:
        return stored
    if str(offer.slot_id) != str(slot_id):  # moved away: it left the line that way
        return EntryStatus.ACCEPTED if stored is EntryStatus.ACCEPTED else EntryStatus.LEFT
    status = Status(offer.status)
    if status is Status.PENDING:
        return EntryStatus.OFFERED if offer.expires_at > now else EntryStatus.EXPIRED
    if status is Status.BOOKED or status in USED:
        return EntryStatus.ACCEPTED
    if status is Status.EXPIRED:
        return EntryStatus.EXPIRED
    # a cancelled offer: declined, unless it was confirmed first (then it stays accepted)
    return EntryStatus.ACCEPTED if stored is EntryStatus.ACCEPTED else EntryStatus.LEFT


@dataclass(frozen=True)
class Shown:
    """An entry as the API shows it: its status (from its offer once made), its place in the
    line while it waits, and its offer's id."""

    entry: object
    status: str
    position: int | None
    appointment_id: str | None
    updated_at: datetime | None = None

    def __getattr__(self, name):
        return getattr(self.entry, name)
