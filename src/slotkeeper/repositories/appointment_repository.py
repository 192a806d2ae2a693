from datetime import datetime

from bson import ObjectId
from mongoengine import NotUniqueError

from slotkeeper.domain.errors import NotFound
from slotkeeper.domain.status import Status
from slotkeeper.models import Appointment
from slotkeeper.repositories.ids import load_one, object_id
from slotkeeper.repositories.page import Page, PageRequest, fetch_page

FILTER_FIELDS = {"user_id": "userId", "status": "status", "service_id": "serviceId",
                 "slot_id": "slotId"}


class MongoAppointmentRepository:
    def new_id(self) -> str:
        return str(ObjectId())

    def get(self, appointment_id) -> Appointment:
        found = self.find(appointment_id)
        if found is None:
            raise NotFound(f"appointment {appointment_id} not found")
        return found

    def find(self, appointment_id) -> Appointment | None:
        return load_one(Appointment, object_id(appointment_id, "appointment"))

    def add(self, fields: dict) -> Appointment | None:
        """Insert a new appointment; None when one with that id exists already."""
        try:
            return Appointment(**fields).save(force_insert=True)
        except NotUniqueError:
            return None

    def transition(self, appointment_id, slot_id, from_: set[Status], to: Status,
                   now: datetime, **extra) -> bool:
        """Move to `to` only from one of `from_` and only while the appointment is on `slot_id`."""
        query = {"_id": object_id(appointment_id, "appointment"),
                 "slotId": object_id(slot_id, "slot"), "status": {"$in": [s.value for s in from_]}}
        update = {"status": to.value, "updatedAt": now, **extra}
        if to is not Status.PENDING:
            update["expiresAt"] = None
        return self._update(query, {"$set": update})

    def move(self, appointment_id, from_slot, to_slot, status: Status, now: datetime) -> bool:
        """Point the appointment at another slot, remembering the old one until it is freed."""
        old = object_id(from_slot, "slot")
        query = {"_id": object_id(appointment_id, "appointment"), "slotId": old,
                 "status": status.value, "movedFrom": None}
        return self._update(query, {"$set": {"slotId": object_id(to_slot, "slot"),
                                             "movedFrom": old, "updatedAt": now}})

    def finish_move(self, appointment_id) -> None:
        Appointment._get_collection().update_one(
            {"_id": object_id(appointment_id, "appointment")}, {"$unset": {"movedFrom": ""}})

    def moving(self, limit: int) -> list[Appointment]:
        return list(Appointment.objects(moved_from__ne=None).limit(limit))

    def stale_holds(self, now: datetime, limit: int, slot_id=None) -> list[Appointment]:
        query = Appointment.objects(status=Status.PENDING.value, expires_at__lte=now)
        if slot_id is not None:
            query = query.filter(slot_id=object_id(slot_id, "slot"))
        return list(query.limit(limit))

    def list_page(self, page: PageRequest, now: datetime, newest_first=True, **filters) -> Page:
        query = {FILTER_FIELDS[k]: v for k, v in filters.items() if v is not None}
        for key in ("serviceId", "slotId"):
            if key in query:
                query[key] = object_id(query[key], key)
        if "status" in query:
            query.update(status_query(query.pop("status"), now))
        order = ("-created_at", "-id") if newest_first else ("created_at", "id")
        return fetch_page(Appointment.objects(__raw__=query).order_by(*order), page)

    def _update(self, query: dict, update: dict) -> bool:
        return Appointment._get_collection().update_one(query, update).modified_count == 1


def status_query(status: str, now: datetime) -> dict:
    """A hold past its deadline counts as EXPIRED even before the sweep has written it."""
    if status == Status.PENDING.value:
        return {"status": status, "expiresAt": {"$gt": now}}
    if status == Status.EXPIRED.value:
        return {"$or": [{"status": status},
                        {"status": Status.PENDING.value, "expiresAt": {"$lte": now}}]}
    return {"status": status}
