"""Slot planner properties over random zones, ranges, windows, durations, gaps and weekdays."""

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from slotkeeper.domain.schedule import SlotPlan, plan_slots

ZONES = [
    "UTC",
    "America/New_York",
    "Europe/Berlin",
    "Australia/Lord_Howe",
    "America/Santiago",
    "Asia/Kolkata",
    "Pacific/Chatham",
    "America/St_Johns",
    "Asia/Kathmandu",
    "Pacific/Auckland",
    "America/Havana",
    "Europe/London",
]
FIRST_DAY, LAST_DAY = date(2029, 1, 1), date(2031, 12, 31)
ONE_SECOND = timedelta(seconds=1)


def _offset_change_days(zone: str) -> list[date]:
    """Local dates around which the zone's UTC offset changes (noon-to-noon), found by scanning."""
    tz, found = ZoneInfo(zone), []
    day = FIRST_DAY
    while day < LAST_DAY:
        before = datetime.combine(day, time(12), tz).utcoffset()
        if datetime.combine(day + timedelta(days=1), time(12), tz).utcoffset() != before:
            found += [day, day + timedelta(days=1)]
        day += timedelta(days=1)
    return found


OFFSET_CHANGE_DAYS = {zone: _offset_change_days(zone) for zone in ZONES}


@st.composite
def plans(draw) -> SlotPlan:
    zone = draw(st.sampled_from(ZONES))
    # Half of the ranges start just before an offset change, where the DST rules actually bite.
    if OFFSET_CHANGE_DAYS[zone] and draw(st.booleans()):
        change_day = draw(st.sampled_from(OFFSET_CHANGE_DAYS[zone]))
        from_date = max(change_day - timedelta(days=draw(st.integers(0, 3))), FIRST_DAY)
    else:
        from_date = draw(st.dates(FIRST_DAY, LAST_DAY))
    to_date = min(from_date + timedelta(days=draw(st.integers(0, 59))), LAST_DAY)
    start_minute = draw(st.integers(0, 24 * 60 - 2))
    end_minute = draw(st.integers(start_minute + 1, 24 * 60 - 1))
    return SlotPlan(
        from_date=from_date,
        to_date=to_date,
        day_start=time(*divmod(start_minute, 60)),
        day_end=time(*divmod(end_minute, 60)),
        duration=timedelta(minutes=draw(st.integers(5, 240))),
        gap=timedelta(minutes=draw(st.integers(0, 60))),
        weekdays=frozenset(draw(st.sets(st.integers(1, 7)))),
        timezone=zone,
    )


def wall(instant: datetime, tz: ZoneInfo) -> datetime:
    return instant.astimezone(tz).replace(tzinfo=None)


def by_local_day(slots, tz: ZoneInfo) -> dict[date, list]:
    days = defaultdict(list)
    for slot in slots:
        days[wall(slot[0], tz).date()].append(slot)
    return days


def offset_is_steady(plan: SlotPlan, day: date, tz: ZoneInfo) -> bool:
    """No UTC offset change from day_start to day_end, and neither bound is missing or repeated."""
    bounds = (datetime.combine(day, plan.day_start), datetime.combine(day, plan.day_end))
    return len({b.replace(tzinfo=tz, fold=f).utcoffset() for b in bounds for f in (0, 1)}) == 1


def expected_count(plan: SlotPlan) -> int:
    window = datetime.combine(FIRST_DAY, plan.day_end) - datetime.combine(FIRST_DAY, plan.day_start)
    if window < plan.duration:
        return 0
    return (window - plan.duration) // (plan.duration + plan.gap) + 1


def matching_days(plan: SlotPlan) -> list[date]:
    span = (plan.to_date - plan.from_date).days + 1
    days = [plan.from_date + timedelta(days=n) for n in range(span)]
    return [d for d in days if d.isoweekday() in plan.weekdays]


@settings(max_examples=60, deadline=None)
@given(plans())
def test_slots_are_utc_sorted_and_never_overlap(plan):
    slots = plan_slots(plan)

    assert all(s.tzinfo is UTC and e.tzinfo is UTC for s, e in slots)
    assert all(earlier[1] <= later[0] for earlier, later in zip(slots, slots[1:], strict=False))


@settings(max_examples=60, deadline=None)
@given(plans())
def test_every_slot_really_lasts_the_duration(plan):
    assert all(end - start == plan.duration for start, end in plan_slots(plan))


@settings(max_examples=60, deadline=None)
@given(plans())
def test_slots_of_a_day_step_by_duration_plus_gap_in_absolute_time(plan):
    step = plan.duration + plan.gap
    for slots in by_local_day(plan_slots(plan), ZoneInfo(plan.timezone)).values():
        assert all(b[0] - a[0] == step for a, b in zip(slots, slots[1:], strict=False))


@settings(max_examples=60, deadline=None)
@given(plans())
def test_slots_stay_inside_the_local_window_of_their_own_date(plan):
    tz = ZoneInfo(plan.timezone)
    for day, slots in by_local_day(plan_slots(plan), tz).items():
        day_start = datetime.combine(day, plan.day_start)
        day_end = datetime.combine(day, plan.day_end)
        first = slots[0][0]
        # The day begins at the earliest instant whose wall clock reads day_start or later:
        # the first occurrence if repeated, the end of the gap if it does not exist.
        assert wall(first, tz) >= day_start > wall(first - ONE_SECOND, tz)
        assert first.astimezone(tz).fold == 0
        for start, end in slots:
            assert wall(end, tz) <= day_end
            # A fall-back may turn the wall clock back, but never by more than the offset it lost.
            lost = first.astimezone(tz).utcoffset() - start.astimezone(tz).utcoffset()
            assert wall(start, tz) + max(lost, timedelta(0)) >= day_start


@settings(max_examples=60, deadline=None)
@given(plans())
def test_only_chosen_weekdays_inside_the_range_appear(plan):
    days = by_local_day(plan_slots(plan), ZoneInfo(plan.timezone))

    assert set(days) <= set(matching_days(plan))


@settings(max_examples=60, deadline=None)
@given(plans())
def test_days_without_an_offset_change_hold_the_formula_count(plan):
    tz = ZoneInfo(plan.timezone)
    days = by_local_day(plan_slots(plan), tz)

    for day in matching_days(plan):
        if offset_is_steady(plan, day, tz):
            assert len(days.get(day, [])) == expected_count(plan)
