"""Examples of the slot planner: plain days, gaps, weekdays, day_end, DST in Berlin and New York."""

from datetime import UTC, date, datetime, time, timedelta

import pytest

from slotkeeper.domain.schedule import (
    MAX_SLOTS_PER_CALL,
    SlotPlan,
    TooManySlots,
    plan_slots,
)

MON_TO_FRI = frozenset({1, 2, 3, 4, 5})
EVERY_DAY = frozenset(range(1, 8))
MONDAY = date(2030, 1, 7)
NY_SPRING_FORWARD = date(2030, 3, 10)  # 02:00 EST -> 03:00 EDT
NY_FALL_BACK = date(2030, 11, 3)  # 02:00 EDT -> 01:00 EST


def make_plan(**changes) -> SlotPlan:
    fields = dict(
        from_date=MONDAY,
        to_date=MONDAY,
        day_start=time(9),
        day_end=time(12),
        duration=timedelta(minutes=60),
        gap=timedelta(0),
        weekdays=MON_TO_FRI,
        timezone="UTC",
    )
    return SlotPlan(**{**fields, **changes})


def utc(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


def starts(slots) -> list[datetime]:
    return [start for start, _ in slots]


def test_a_weekday_window_is_filled_back_to_back():
    slots = plan_slots(make_plan())

    assert slots == [
        (utc(MONDAY, 9), utc(MONDAY, 10)),
        (utc(MONDAY, 10), utc(MONDAY, 11)),
        (utc(MONDAY, 11), utc(MONDAY, 12)),
    ]
    assert all(s.tzinfo is UTC and e.tzinfo is UTC for s, e in slots)


def test_gap_separates_slots():
    slots = plan_slots(make_plan(duration=timedelta(minutes=45), gap=timedelta(minutes=15)))

    assert slots == [
        (utc(MONDAY, 9), utc(MONDAY, 9, 45)),
        (utc(MONDAY, 10), utc(MONDAY, 10, 45)),
        (utc(MONDAY, 11), utc(MONDAY, 11, 45)),
    ]


def test_weekends_are_skipped_by_default_weekdays():
    week = make_plan(to_date=MONDAY + timedelta(days=6), day_end=time(10))

    days = [start.date() for start in starts(plan_slots(week))]

    assert days == [MONDAY + timedelta(days=n) for n in range(5)]


def test_only_the_chosen_weekdays_get_slots():
    week = make_plan(
        to_date=MONDAY + timedelta(days=6), day_end=time(10), weekdays=frozenset({3, 7})
    )

    assert [s.isoweekday() for s in starts(plan_slots(week))] == [3, 7]


def test_both_ends_of_the_date_range_are_included():
    plan = make_plan(to_date=MONDAY + timedelta(days=2), day_end=time(10), weekdays=EVERY_DAY)

    days = [s.date() for s in starts(plan_slots(plan))]

    assert days == [MONDAY + timedelta(days=n) for n in range(3)]


def test_slots_end_by_day_end():
    assert starts(plan_slots(make_plan(day_end=time(11, 59)))) == [utc(MONDAY, 9), utc(MONDAY, 10)]
    assert plan_slots(make_plan(day_end=time(11)))[-1] == (utc(MONDAY, 10), utc(MONDAY, 11))


def test_a_window_shorter_than_one_slot_yields_nothing():
    assert plan_slots(make_plan(day_end=time(9, 59))) == []


def test_slots_over_several_days_are_sorted_by_start():
    slots = plan_slots(make_plan(to_date=MONDAY + timedelta(days=3), timezone="Pacific/Chatham"))

    assert starts(slots) == sorted(starts(slots))
    assert len(slots) == 4 * 3


def test_berlin_morning_is_earlier_in_utc_in_summer():
    winter, summer = date(2030, 1, 8), date(2030, 7, 9)

    for day, expected_hour in ((winter, 8), (summer, 7)):
        plan = make_plan(from_date=day, to_date=day, day_end=time(10), timezone="Europe/Berlin")
        assert plan_slots(plan) == [(utc(day, expected_hour), utc(day, expected_hour + 1))]


def test_spring_forward_day_in_new_york():
    plan = make_plan(
        from_date=NY_SPRING_FORWARD,
        to_date=NY_SPRING_FORWARD,
        day_start=time(0),
        day_end=time(6),
        weekdays=EVERY_DAY,
        timezone="America/New_York",
    )

    slots = plan_slots(plan)

    # Local 00:00, 01:00 EST, then 03:00, 04:00, 05:00 EDT: there is no 02:00 that day.
    assert starts(slots) == [utc(NY_SPRING_FORWARD, h) for h in (5, 6, 7, 8, 9)]
    assert all(end - start == timedelta(hours=1) for start, end in slots)


def test_a_day_start_inside_the_spring_forward_gap_begins_when_the_gap_ends():
    plan = make_plan(
        from_date=NY_SPRING_FORWARD,
        to_date=NY_SPRING_FORWARD,
        day_start=time(2, 30),
        day_end=time(5),
        weekdays=EVERY_DAY,
        timezone="America/New_York",
    )

    # 02:30 does not exist; the first instant after the gap is 03:00 EDT = 07:00Z.
    assert starts(plan_slots(plan)) == [utc(NY_SPRING_FORWARD, 7), utc(NY_SPRING_FORWARD, 8)]


def test_fall_back_day_in_new_york():
    plan = make_plan(
        from_date=NY_FALL_BACK,
        to_date=NY_FALL_BACK,
        day_start=time(0),
        day_end=time(6),
        weekdays=EVERY_DAY,
        timezone="America/New_York",
    )

    slots = plan_slots(plan)

    # 00:00 and 01:00 EDT, then 01:00 EST again and on to 05:00 EST: seven real hours.
    assert starts(slots) == [utc(NY_FALL_BACK, h) for h in range(4, 11)]
    assert len(set(slots)) == len(slots)
    assert all(end - start == timedelta(minutes=60) for start, end in slots)


def test_an_ambiguous_day_start_uses_its_first_occurrence():
    plan = make_plan(
        from_date=NY_FALL_BACK,
        to_date=NY_FALL_BACK,
        day_start=time(1, 30),
        day_end=time(2),
        duration=timedelta(minutes=30),
        weekdays=EVERY_DAY,
        timezone="America/New_York",
    )

    # 01:30 EDT = 05:30Z; the next slots run through the repeated hour up to 02:00 EST = 07:00Z.
    assert starts(plan_slots(plan)) == [
        utc(NY_FALL_BACK, 5, 30),
        utc(NY_FALL_BACK, 6),
        utc(NY_FALL_BACK, 6, 30),
    ]


def test_too_many_slots_raises():
    three_slots = make_plan()
    a_year_of_five_minute_slots = make_plan(
        to_date=MONDAY + timedelta(days=364),
        day_start=time(0),
        day_end=time(23, 59),
        duration=timedelta(minutes=5),
        weekdays=EVERY_DAY,
    )

    assert len(plan_slots(three_slots, limit=3)) == 3
    with pytest.raises(TooManySlots):
        plan_slots(three_slots, limit=2)
    with pytest.raises(TooManySlots):
        plan_slots(a_year_of_five_minute_slots, limit=MAX_SLOTS_PER_CALL)
    assert issubclass(TooManySlots, ValueError)
