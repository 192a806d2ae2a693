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

    def set_active(self, service_id, active: bool, now) -> bool:
        """Flip `active`; True when this call changed it."""
        return bool(Service.objects(id=service_id, active=not active).update_one(
            set__active=active, set__updated_at=now))

    def list_page(self, page: PageRequest, category=None, active=None, q=None) -> Page:
        query = {}
        if category is not None:
            query["category"] = category
        if active is not None:
            query["active"] = active
        if q:
            query["name"] = {"$regex": re.escape(q), "$options": "i"}
        return fetch_page(Service.objects(__raw__=query).order_by("name", "id"), page)
