"""Documents built from what the database returns, and what an appointment stores, are
exactly what MongoEngine's own constructor, `_from_son` and `to_mongo` make, on the
configured engine."""

from datetime import timedelta

import pytest
from bson import ObjectId
from mongoengine import FieldDoesNotExist

from slotkeeper.domain.events import appointment_event
from slotkeeper.domain.status import Status
from slotkeeper.models import Appointment, Service, Slot
from slotkeeper.repositories.documents import from_son, to_son
from tests.conftest import NOW


def _slot() -> Slot:
    return Slot(
        service_id=ObjectId(),
        start_time=NOW + timedelta(days=1),
        end_time=NOW + timedelta(days=1, hours=1),
        capacity=3,
        booked_seats=1,
        claims={"c1": {"appointment": "a1", "seats": 1, "until": NOW, "checkAt": None}},
        holders={"u1": "c1"},
        waiting=[{"entry": "e1", "seats": 2, "at": NOW}],
        due=NOW,
    ).save()


def _appointment_fields(**changes) -> dict:
    slot_id = ObjectId()
    return {
        "id": str(ObjectId()),
        "slot_id": slot_id,
        "service_id": ObjectId(),
        "user_id": "ann",
        "user_name": None,
        "user_email": "ann@example.com",
        "seats": 2,
        "status": "PENDING",
        "expires_at": NOW + timedelta(minutes=10),
        "claim_id": "c1",
        "created_at": NOW,
        "updated_at": NOW,
        "outbox": [appointment_event(Status.PENDING, NOW, slot_id=slot_id)],
        "sequence": 0,
        **changes,
    }


def _same(built, expected) -> None:
    assert type(built) is type(expected)
    assert built._data == expected._data
    assert built.to_mongo() == expected.to_mongo()
    assert (built._created, built._initialised) == (expected._created, expected._initialised)
    assert built._changed_fields == expected._changed_fields == []


def _stored(document) -> dict:
    return type(document)._get_collection().find_one({"_id": document.id})


def test_a_stored_slot_reads_back_as_mongoengine_reads_it(repos):
    son = _stored(_slot())
    _same(from_son(Slot, son), Slot._from_son(son))


def test_a_slot_read_without_its_ledger_gets_the_defaults_mongoengine_gives(repos):
    slot = _slot()
    son = Slot._get_collection().find_one({"_id": slot.id}, {"claims": 0, "holders": 0})
    built = from_son(Slot, son)
    _same(built, Slot._from_son(son))
    assert (built.claims, built.holders) == ({}, {})


def test_stored_nulls_get_the_field_defaults(repos):
    son = {**_stored(_slot()), "waiting": None, "capacity": None, "due": None}
    built = from_son(Slot, son)
    _same(built, Slot._from_son(son))
    assert (built.waiting, built.capacity, built.due) == ([], 1, None)


def test_a_service_reads_back_with_its_policy(repos):
    service = Service(name="Hall", policy={"maxActivePerUser": 2}, created_at=NOW).save()
    son = _stored(service)
    built = from_son(Service, son)
    _same(built, Service._from_son(son))
    assert built.booking_policy.max_active_per_user == 2


def test_a_built_document_saves_only_its_changes(repos):
    before = _stored(_slot())
    built = from_son(Slot, before)
    built.capacity = 7
    built.save()
    assert _stored(built) == {**before, "capacity": 7}


def test_a_stored_field_the_model_lacks_is_refused_as_mongoengine_refuses_it(repos):
    son = {**_stored(_slot()), "unknown": 1}
    with pytest.raises(FieldDoesNotExist):
        Slot._from_son(son)
    with pytest.raises(FieldDoesNotExist):
        from_son(Slot, son)


@pytest.mark.parametrize(
    "changes",
    [{}, {"user_email": None, "expires_at": None, "status": "BOOKED"}, {"seats": None}],
    ids=["hold", "booking-without-optional-fields", "default-seats"],
)
def test_an_appointment_is_stored_as_mongoengine_stores_it(repos, changes):
    fields = _appointment_fields(**changes)
    son = to_son(Appointment, fields)
    assert son == Appointment(**fields).to_mongo().to_dict()
    assert list(son) == list(Appointment(**fields).to_mongo())
    Appointment._get_collection().insert_one(son)
    stored = Appointment._get_collection().find_one({"_id": ObjectId(fields["id"])})
    _same(from_son(Appointment, stored), Appointment._from_son(stored))
    _same(from_son(Appointment, son), Appointment.objects.get(id=fields["id"]))


def test_an_appointment_with_a_field_the_model_lacks_is_refused(repos):
    with pytest.raises(FieldDoesNotExist):
        to_son(Appointment, _appointment_fields(colour="red"))
