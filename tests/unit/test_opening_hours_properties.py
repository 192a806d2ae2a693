"""Opening-hours properties over random zones, weekly ranges, closures and moments: the slots a
schedule lays never overlap, never start in the past, stay inside the weekly ranges in local
time, skip closures, and agree with those laid earlier when the horizon moves on."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from slotkeeper.domain.opening_hours import Closure, Hours, Schedule, windows
from tests.unit.test_schedule_properties import FIRST_DAY, LAST_DAY, OFFSET_CHANGE_DAYS, ZONES, wall


@st.composite
def day_ranges(draw) -> tuple[Hours, ...]:
    """Up to three ranges of one day that do not overlap (they may touch), their bounds often
    in the small hours, where the offsets change."""
    minute = st.one_of(st.integers(0, 24 * 60 - 1), st.integers(0, 5 * 60))
    bounds = sorted(draw(st.sets(minute, min_size=2, max_size=6)))
    pairs = list(zip(bounds[::2], bounds[1::2], strict=False))
    if len(bounds) > 2 and draw(st.booleans()):  # ranges that touch
        pairs = list(zip(bounds, bounds[1:], strict=False))[: len(bounds) // 2 + 1]
    return tuple(Hours(time(*divmod(a, 60)), time(*divmod(b, 60))) for a, b in pairs)


@st.composite
def cases(draw):
    zone = draw(st.sampled_from(ZONES))
    if OFFSET_CHANGE_DAYS[zone] and draw(st.booleans()):
        day = draw(st.sampled_from(OFFSET_CHANGE_DAYS[zone])) - timedelta(
            days=draw(st.integers(0, 6))
        )
    else:
        day = draw(st.dates(FIRST_DAY, LAST_DAY - timedelta(days=30)))
    now = datetime.combine(day, time(0), UTC) + timedelta(minutes=draw(st.integers(0, 24 * 60)))
    days = draw(st.one_of(st.just(set(range(1, 8))), st.sets(st.integers(1, 7), min_size=1)))
    weekly = {d: draw(day_ranges()) for d in days}
    schedule = Schedule(
        weekly={d: r for d, r in weekly.items() if r},
        slot=timedelta(minutes=draw(st.integers(5, 120))),
        gap=timedelta(minutes=draw(st.integers(0, 30))),
        horizon_days=draw(st.integers(1, 14)),
    )
    closures = [
        Closure(
            str(i),
            now + timedelta(minutes=draw(st.integers(-600, 14 * 24 * 60))),
            now + timedelta(minutes=draw(st.integers(-600, 14 * 24 * 60))),
        )
        for i in range(draw(st.integers(0, 3)))
    ]
    closures = [
        Closure(c.id, min(c.start, c.end), max(c.start, c.end) + timedelta(minutes=1))
        for c in closures
    ]
    return zone, now, schedule, closures


def inside_a_range(start: datetime, end: datetime, schedule: Schedule, tz: ZoneInfo) -> bool:
    """The slot lies inside a range of its local day's weekday, read on the wall clock: it
    ends by the range's end, and starts at its start or later (a fall-back may turn the wall
    clock back, but never by more than the offset the day lost since its midnight)."""
    day = wall(start, tz).date()
    midnight = datetime.combine(day, time(0)).replace(tzinfo=tz).utcoffset()
    lost = max(midnight - start.astimezone(tz).utcoffset(), timedelta(0))
    return any(
        wall(start, tz) + lost >= datetime.combine(day, hours.start)
        and wall(end, tz) <= datetime.combine(day, hours.end)
        for hours in schedule.weekly.get(day.isoweekday(), ())
    )


@settings(max_examples=80, deadline=None)
@given(cases())
def test_laid_slots_never_overlap_and_last_the_slot_length(case):
    zone, now, schedule, closures = case
    laid = windows(schedule, zone, now, closures).windows
    assert all(a[1] <= b[0] for a, b in zip(laid, laid[1:], strict=False))
    assert all(end - start == schedule.slot for start, end in laid)


@settings(max_examples=80, deadline=None)
@given(cases())
def test_laid_slots_start_after_now_and_before_the_horizon(case):
    zone, now, schedule, closures = case
    for start, _ in windows(schedule, zone, now, closures).windows:
        assert now < start < now + timedelta(days=schedule.horizon_days)


@settings(max_examples=80, deadline=None)
@given(cases())
def test_laid_slots_fall_inside_the_weekly_ranges_in_local_time(case):
    zone, now, schedule, closures = case
    tz = ZoneInfo(zone)
    for start, end in windows(schedule, zone, now, closures).windows:
        assert inside_a_range(start, end, schedule, tz), (wall(start, tz), wall(end, tz))


@settings(max_examples=80, deadline=None)
@given(cases())
def test_closures_take_out_exactly_the_slots_they_overlap(case):
    zone, now, schedule, closures = case
    planned = windows(schedule, zone, now, closures)
    everything = windows(schedule, zone, now).windows
    assert not any(c.overlaps(*w) for w in planned.windows for c in closures)
    assert planned.windows == [w for w in everything if not any(c.overlaps(*w) for c in closures)]
    assert planned.closed == len(everything) - len(planned.windows)


@settings(max_examples=80, deadline=None)
@given(cases(), st.integers(1, 3 * 24 * 60))
def test_a_later_run_lays_slots_that_agree_with_those_laid_before(case, minutes):
    zone, now, schedule, _ = case
    before = windows(schedule, zone, now).windows
    later = windows(schedule, zone, now + timedelta(minutes=minutes)).windows
    earlier_set = set(before)
    for window in later:
        if window in earlier_set:
            continue
        assert not any(w[0] < window[1] and window[0] < w[1] for w in before), window


def test_two_ranges_that_meet_in_the_repeated_hour_of_a_fall_back_lay_no_overlap():
    # Berlin, Sunday 2030-10-27: 03:00 CEST becomes 02:00 CET, so 02:00-03:00 happens twice.
    # The first range runs until the later 02:30 on the wall clock, the second starts at the
    # earlier one: stepped alone, each would lay slots in the other's hour.
    ranges = (Hours(time(1), time(2, 30)), Hours(time(2, 30), time(4)))
    schedule = Schedule(weekly={7: ranges}, slot=timedelta(minutes=30), horizon_days=2)
    now = datetime(2030, 10, 26, 12, tzinfo=UTC)
    laid = windows(schedule, "Europe/Berlin", now).windows
    assert all(a[1] <= b[0] for a, b in zip(laid, laid[1:], strict=False))
    # 01:00 CEST (23:00 UTC) to 04:00 CET (03:00 UTC): four hours, eight slots back to back
    assert laid[0][0] == datetime(2030, 10, 26, 23, tzinfo=UTC)
    assert laid[-1][1] == datetime(2030, 10, 27, 3, tzinfo=UTC)
    assert len(laid) == 8
