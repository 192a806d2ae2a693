"""MongoEngine documents. Field names are stored in camelCase, as the API speaks."""

from slotkeeper.models.appointment import Appointment
from slotkeeper.models.calendar import Calendar
from slotkeeper.models.idempotency import IdempotencyRecord
from slotkeeper.models.service import Service
from slotkeeper.models.slot import Slot
from slotkeeper.models.tally import Tally
from slotkeeper.models.waitlist import WaitlistEntry
from slotkeeper.models.webhook import Delivery, Webhook

__all__ = [
    "Appointment",
    "Calendar",
    "Delivery",
    "IdempotencyRecord",
    "Service",
    "Slot",
    "Tally",
    "WaitlistEntry",
    "Webhook",
]
