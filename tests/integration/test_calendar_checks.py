"""The checks a calendar carries for work a dead process may leave half done: a span being
taken back, a closure not yet settled. Each is one conditional update of the calendar."""

from dataclasses import replace
from datetime import timedelta

from bson import ObjectId

from slotkeeper.domain.opening_hours import Closure
from slotkeeper.repositories.calendar_repository import Span
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
