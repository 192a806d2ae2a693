"""MongoEngine documents. Field names are stored in camelCase, as the API speaks."""

from slotkeeper.models.appointment import Appointment
from slotkeeper.models.idempotency import IdempotencyRecord
from slotkeeper.models.service import Service
from slotkeeper.models.slot import Slot
from slotkeeper.models.webhook import Delivery, Webhook

__all__ = ["Appointment", "Delivery", "IdempotencyRecord", "Service", "Slot", "Webhook"]
