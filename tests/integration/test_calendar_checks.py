"""The checks a calendar carries for work a dead process may leave half done: a span being
taken back, a closure not yet settled. Each is one conditional update of the calendar."""

from dataclasses import replace
from datetime import timedelta

import pytest
from bson import ObjectId

from slotkeeper.domain.actor import TRUSTED
from slotkeeper.domain.errors import SlotOverlap
from slotkeeper.domain.opening_hours import Closure
from slotkeeper.repositories.calendar_repository import Span
from slotkeeper.service_layer import booking, catalog, spans
from slotkeeper.service_layer.booking import BookingRequest
from slotkeeper.service_layer.expiry import sweep
from slotkeeper.service_layer.seats import WRITE_GRACE
from tests.conftest import NOW

LATER = NOW + timedelta(minutes=1)


def span(start=NOW + timedelta(days=1)) -> Span:
    return Span(start, start + timedelta(hours=1), ObjectId(), laid=True)


def test_a_marked_span_stays_in_the_way_and_puts_its_calendar_on_the_sweeps_list(repos):
    service, marked = ObjectId(), span()
    assert repos.calendars.reserve(service, marked, NOW)
    assert repos.calendars.take_back(service, marked.slot_id, LATER)
    assert not repos.calendars.reserve(service, span(marked.start), NOW)
    assert repos.calendars.read(service).spans[0].check_at == LATER
    assert repos.calendars.due(NOW, 10) == []
    assert repos.calendars.due(LATER, 10) == [service]


def test_settling_a_span_drops_only_its_check_and_taking_back_a_freed_one_is_refused(repos):
    service, kept = ObjectId(), span()
    repos.calendars.reserve(service, kept, NOW)
    repos.calendars.take_back(service, kept.slot_id, LATER)
    assert repos.calendars.settle_span(service, kept.slot_id)
    assert [(s.slot_id, s.check_at) for s in repos.calendars.read(service).spans] == [
        (kept.slot_id, None)
    ]
    assert repos.calendars.free(service, kept.slot_id)
    assert not repos.calendars.take_back(service, kept.slot_id, LATER)
    assert not repos.calendars.settle_span(service, kept.slot_id)


def test_the_earliest_check_is_the_calendars_due(repos):
    service, first = ObjectId(), span()
    repos.calendars.reserve(service, first, NOW)
    closure = Closure(str(ObjectId()), NOW + timedelta(days=3), NOW + timedelta(days=4))
    repos.calendars.close(service, replace(closure, check_at=LATER), NOW)
    repos.calendars.take_back(service, first.slot_id, LATER + timedelta(minutes=5))
    assert repos.calendars.due(LATER, 10) == [service]
    assert repos.calendars.settle_closure(service, closure.id)
    assert repos.calendars.read(service).closures[0].check_at is None


def test_resetting_the_due_time_is_refused_after_a_concurrent_check(repos):
    service, one, two = ObjectId(), span(), span(NOW + timedelta(days=2))
    repos.calendars.reserve(service, one, NOW)
    repos.calendars.reserve(service, two, NOW)
    repos.calendars.take_back(service, one.slot_id, LATER)
    seen = repos.calendars.read(service).rev
    repos.calendars.take_back(service, two.slot_id, LATER)
    assert not repos.calendars.reset_due(service, None, seen)
    assert repos.calendars.due(LATER, 10) == [service]
    assert repos.calendars.reset_due(service, None, repos.calendars.read(service).rev)
    assert repos.calendars.due(LATER + timedelta(days=9), 10) == []


def test_a_span_taken_back_while_its_slot_is_inserted_and_booked_keeps_its_time(repos):
    """A schedule write finds no slot for a laid span and takes it back, while its layer is
    between its two writes; the slot is then inserted and booked at once (found in a list).
    Its time must not go to another slot meanwhile: the span stays, marked, until the
    layer's last look settles it for the seats."""
    service = catalog.create_service(repos, {"name": "Dr. Race"}, NOW)
    start = NOW + timedelta(days=1)
    end = start + timedelta(hours=1)
    laid = Span(start, end, repos.slots.new_id(), laid=True)
    assert repos.calendars.reserve(service.id, laid, NOW)  # the layer's first write
    spans.take_back(repos, service.id, repos.calendars.read(service.id).spans, NOW)
    row = {"id": laid.slot_id, "service_id": service.id, "start_time": start, "end_time": end}
    [slot] = repos.slots.add_many([{**row, "capacity": 2, "laid": True, "created_at": NOW}])
    booking.book_seats(repos, BookingRequest(str(slot.id), "ann"), NOW, actor=TRUSTED)
    later = start + timedelta(minutes=30)  # another slot over half of its hour
    fields = {"service_id": str(service.id), "start_time": later, "end_time": later + (end - start)}
    with pytest.raises(SlotOverlap):
        catalog.create_slot(repos, fields, NOW)
    assert spans.keep_standing(repos, service.id, [slot], NOW) == [slot]  # the layer's look
    assert [(s.slot_id, s.check_at) for s in repos.calendars.read(service.id).spans] == [
        (slot.id, None)
    ]


def test_a_span_taken_back_whose_slot_never_comes_is_freed_by_the_sweep_after_the_grace(repos):
    service = catalog.create_service(repos, {"name": "Dr. Race"}, NOW)
    start = NOW + timedelta(days=1)
    laid = Span(start, start + timedelta(hours=1), repos.slots.new_id(), laid=True)
    repos.calendars.reserve(service.id, laid, NOW)
    spans.take_back(repos, service.id, repos.calendars.read(service.id).spans, NOW)
    assert len(repos.calendars.read(service.id).spans) == 1  # young: its slot may still come
    sweep(repos, NOW + WRITE_GRACE)
    assert repos.calendars.read(service.id).spans == []
