"""Demo catalogue for a first run: a few services with slots over the next working days."""

from datetime import datetime, time, timedelta

from slotkeeper.domain.opening_hours import Hours, Schedule
from slotkeeper.repositories import PageRequest, Repositories
from slotkeeper.service_layer import catalog, opening_hours, webhooks

DEMO_SERVICES = [
    (
        {
            "name": "Dr. Ada Lovelace",
            "category": "Cardiology",
            "price": 80.0,
            "currency": "EUR",
            "timezone": "Europe/Berlin",
            "address": "Hauptstr. 1, Berlin",
        },
        30,
        1,
    ),
    (
        {
            "name": "Salon chair 1",
            "category": "Hair",
            "price": 35.0,
            "currency": "USD",
            "timezone": "America/New_York",
        },
        60,
        1,
    ),
    (
        {
            "name": "Hall A",
            "category": "Cinema",
            "price": 12.5,
            "currency": "GBP",
            "timezone": "Europe/London",
        },
        120,
        80,
    ),
]

# the last service also keeps opening hours: laid after its generated week, with a closure
DEMO_SCHEDULE = Schedule(
    weekly={day: (Hours(time(9), time(17)),) for day in range(1, 8)},
    slot=timedelta(minutes=120),
    capacity=80,
    horizon_days=14,
)

# inactive, so it is never sent anything and its host is never looked up
DEMO_WEBHOOK = {
    "url": "https://example.com/webhooks/slotkeeper",
    "active": False,
    "description": "demo: inactive, sends nothing",
}


class _NeverSends:
    """The demo webhook's destination is not checked: an inactive webhook sends nothing."""

    def refusal(self, url: str) -> str | None:
        return None


def seed_demo(repos: Repositories, now: datetime) -> int:
    """Create the demo services and their slots unless services exist; slots created."""
    if repos.services.list_page(PageRequest(1, 1)).total:
        return 0
    created = 0
    for fields, minutes, capacity in DEMO_SERVICES:
        service = catalog.create_service(repos, {**fields}, now)
        start = (now + timedelta(days=1)).date()
        plan = {
            "from_date": start,
            "to_date": start + timedelta(days=6),
            "day_start": time(9),
            "day_end": time(17),
            "duration": timedelta(minutes=minutes),
            "gap": timedelta(0),
            "weekdays": frozenset(range(1, 8)),
        }
        slots, _ = catalog.generate_slots(repos, str(service.id), plan, capacity, now)
        created += len(slots)
    opening_hours.set_schedule(repos, str(service.id), DEMO_SCHEDULE, now)
    closed_from = datetime.combine(start + timedelta(days=10), time(0), now.tzinfo)
    opening_hours.add_closure(
        repos,
        str(service.id),
        {"start": closed_from, "end": closed_from + timedelta(days=1), "note": "Maintenance"},
        now,
    )
    webhooks.subscribe(repos, dict(DEMO_WEBHOOK), now, _NeverSends())
    return created
