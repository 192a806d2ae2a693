"""MongoEngine repositories: the only modules that query documents."""

from dataclasses import dataclass, field

from slotkeeper.repositories.appointment_repository import MongoAppointmentRepository
from slotkeeper.repositories.calendar_repository import MongoCalendarRepository
from slotkeeper.repositories.idempotency_repository import MongoIdempotencyRepository
from slotkeeper.repositories.page import Page, PageRequest
from slotkeeper.repositories.seat_ledger import MongoSeatLedger
from slotkeeper.repositories.service_repository import MongoServiceRepository
from slotkeeper.repositories.slot_repository import MongoSlotRepository
from slotkeeper.repositories.tally_repository import MongoTallyRepository
from slotkeeper.repositories.waitlist_repository import MongoWaitlistRepository
from slotkeeper.repositories.webhook_repository import (
    MongoDeliveryRepository,
    MongoWebhookRepository,
)


@dataclass
class Repositories:
    services: MongoServiceRepository = field(default_factory=MongoServiceRepository)
    slots: MongoSlotRepository = field(default_factory=MongoSlotRepository)
    ledger: MongoSeatLedger = field(default_factory=MongoSeatLedger)
    appointments: MongoAppointmentRepository = field(default_factory=MongoAppointmentRepository)
    idempotency: MongoIdempotencyRepository = field(default_factory=MongoIdempotencyRepository)
    webhooks: MongoWebhookRepository = field(default_factory=MongoWebhookRepository)
    deliveries: MongoDeliveryRepository = field(default_factory=MongoDeliveryRepository)
    calendars: MongoCalendarRepository = field(default_factory=MongoCalendarRepository)
    tallies: MongoTallyRepository = field(default_factory=MongoTallyRepository)
    waitlist: MongoWaitlistRepository = field(default_factory=MongoWaitlistRepository)


__all__ = ["Page", "PageRequest", "Repositories"]
