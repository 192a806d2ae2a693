import re

from slotkeeper.domain.errors import NotFound
from slotkeeper.models import Service
from slotkeeper.repositories.ids import load_many, load_one, object_id
from slotkeeper.repositories.page import Page, PageRequest, fetch_page


class MongoServiceRepository:
    def get(self, service_id) -> Service:
        service = load_one(Service, object_id(service_id, "service"))
        if service is None:
            raise NotFound(f"service {service_id} not found")
        return service

    def get_many(self, ids) -> dict:
        return load_many(Service, ids)

    def add(self, fields: dict) -> Service:
        return Service(**fields).save()

    def update(self, service: Service, fields: dict) -> Service:
        for name, value in fields.items():
            setattr(service, name, value)
        return service.save()

    def _update(self, query: dict, update: dict) -> bool:
        return Service._get_collection().update_one(query, update).modified_count == 1

    def begin_closing(self, service_id, token: str) -> bool:
        """Mark an archive in progress, unless the service is archived or one is already."""
        return self._update(
            {"_id": object_id(service_id, "service"), "active": True, "closing": None},
            {"$set": {"closing": token}},
        )

    def finish_closing(self, service_id, token: str, now) -> bool:
        """Archive the service, only while the archive `token` is still in progress."""
        return self._update(
            {"_id": object_id(service_id, "service"), "closing": token},
            {"$set": {"active": False, "updatedAt": now}, "$unset": {"closing": ""}},
        )

    def stop_closing(self, service_id, token: str) -> bool:
        """End the archive `token` without archiving (its own refusal, or a booking's veto)."""
        return self._update(
            {"_id": object_id(service_id, "service"), "closing": token}, {"$unset": {"closing": ""}}
        )

    def reopen(self, service_id, now) -> bool:
        """Make an archived service bookable again; True when this call changed it."""
        return self._update(
            {"_id": object_id(service_id, "service"), "active": False},
            {"$set": {"active": True, "updatedAt": now}, "$unset": {"closing": ""}},
        )

    def list_page(self, page: PageRequest, category=None, active=None, q=None) -> Page:
        query = {}
        if category is not None:
            query["category"] = category
        if active is not None:
            query["active"] = active
        if q:
            query["name"] = re.compile(re.escape(q), re.IGNORECASE)
        return fetch_page(Service.objects(__raw__=query).order_by("name", "id"), page)
