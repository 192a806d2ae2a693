from datetime import datetime

from bson import ObjectId
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from slotkeeper.domain.errors import NotFound
from slotkeeper.domain.events import appointment_event
from slotkeeper.domain.status import Status
from slotkeeper.models import Appointment
from slotkeeper.repositories.documents import from_son, to_son
from slotkeeper.repositories.ids import load_many, load_one, object_id
from slotkeeper.repositories.page import Page, PageRequest, fetch_page

FILTER_FIELDS = {
    "user_id": "userId",
    "status": "status",
    "service_id": "serviceId",
    "slot_id": "slotId",
}


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

    def get_many(self, ids) -> dict:
        """Appointments by id, as {id: appointment} (ids that name nothing are left out)."""
        return load_many(Appointment, [object_id(i, "appointment") for i in ids])

    def live_of(self, user_id: str, service_id) -> list[Appointment]:
        """The user's PENDING and BOOKED appointments with the service."""
        return list(
            Appointment.objects(
                user_id=user_id,
                service_id=object_id(service_id, "service"),
                status__in=[Status.PENDING.value, Status.BOOKED.value],
            )
        )

    def add(self, fields: dict, also: tuple[dict, ...] = ()) -> Appointment | None:
        """Insert a new appointment with the event of its creation in its outbox (and the
        events `also`, which tell of the same change); None when one with that id exists
        already."""
        event = appointment_event(
            Status(fields["status"]),
            fields["created_at"],
            slot_id=fields["slot_id"],
            expiresAt=fields.get("expires_at"),
        )
        son = to_son(Appointment, {**fields, "outbox": [event, *also], "sequence": 0})
        try:
            Appointment._get_collection().insert_one(son)
        except DuplicateKeyError:
            return None
        return from_son(Appointment, son)

    def transition(
        self, appointment_id, claim_id: str, from_: set[Status], to: Status, now: datetime, **extra
    ) -> Appointment | None:
        """Move to `to` only from one of `from_` and only while the appointment names the claim
        `claim_id`, recording the event of the change in the same write; the appointment as it
        is after, or None when it did not match."""
        query = {
            "_id": object_id(appointment_id, "appointment"),
            "claimId": claim_id,
            "status": {"$in": [s.value for s in from_]},
        }
        update = {"status": to.value, "updatedAt": now, **extra}
        if to is not Status.PENDING:
            update["expiresAt"] = None
        event = appointment_event(
            to, now, **{k: v for k, v in update.items() if k not in ("status", "updatedAt")}
        )
        return self._find_and_update(
            query, {"$set": update, "$inc": {"sequence": 1}, "$push": {"outbox": event}}
        )

    def move(
        self,
        appointment_id,
        status: Status,
        from_slot,
        from_claim: str,
        to_slot,
        to_claim: str,
        now: datetime,
        expires_at: datetime | None = None,
    ) -> Appointment | None:
        """Point the appointment at claim `to_claim` on `to_slot` (compare-and-set: only while
        it names `from_claim` in `status`), remembering the old claim until its seats are
        returned, and recording the event of the move in the same write; a hold's deadline
        becomes `expires_at`. The appointment as it is after, or None when it had changed."""
        query = {
            "_id": object_id(appointment_id, "appointment"),
            "claimId": from_claim,
            "status": status.value,
        }
        left = {"slotId": object_id(from_slot, "slot"), "claimId": from_claim}
        event = appointment_event(
            status,
            now,
            slot_id=object_id(to_slot, "slot"),
            previous_slot_id=left["slotId"],
            expiresAt=expires_at,
        )
        changes = {"slotId": object_id(to_slot, "slot"), "claimId": to_claim, "updatedAt": now}
        if status is Status.PENDING and expires_at is not None:  # ends by the new slot's start
            changes["expiresAt"] = expires_at
        return self._find_and_update(
            query,
            {
                "$set": changes,
                "$inc": {"sequence": 1},
                "$push": {"leaving": left, "outbox": event},
            },
        )

    def with_events(self, limit: int) -> list[Appointment]:
        """Appointments whose outbox holds events not yet handed to the webhooks."""
        return list(Appointment.objects(__raw__={"outbox.id": {"$exists": True}}).limit(limit))

    def handed_over(self, appointment_id, event_id: str) -> bool:
        """Forget an event of the outbox once every delivery of it exists."""
        return self._update(
            {"_id": object_id(appointment_id, "appointment")},
            {"$pull": {"outbox": {"id": event_id}}},
        )

    def left(self, appointment_id, claim_id: str) -> bool:
        """Forget a claim the appointment moved away from, once its seats are returned."""
        return self._update(
            {"_id": object_id(appointment_id, "appointment")},
            {"$pull": {"leaving": {"claimId": claim_id}}},
        )

    def leaving(self, limit: int) -> list[Appointment]:
        """Appointments with claims left behind by a move whose seats may still be taken."""
        return list(
            Appointment.objects(__raw__={"leaving.claimId": {"$exists": True}}).limit(limit)
        )

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

    def _update(self, query: dict, update) -> bool:
        return Appointment._get_collection().update_one(query, update).modified_count == 1

    def _find_and_update(self, query: dict, update) -> Appointment | None:
        doc = Appointment._get_collection().find_one_and_update(
            query, update, return_document=ReturnDocument.AFTER
        )
        return None if doc is None else from_son(Appointment, doc)


def status_query(status: str, now: datetime) -> dict:
    """A hold past its deadline counts as EXPIRED even before the sweep has written it."""
    if status == Status.PENDING.value:
        return {"status": status, "expiresAt": {"$gt": now}}
    if status == Status.EXPIRED.value:
        return {
            "$or": [
                {"status": status},
                {"status": Status.PENDING.value, "expiresAt": {"$lte": now}},
            ]
        }
    return {"status": status}
