"""The one planner property tests/unit/test_schedule_properties.py does not state: the slot
limit (the API's 5000 per call) is exact. A plan is refused exactly when it has more slots
than the limit, and a plan within the limit is not changed by it."""

from datetime import date, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slotkeeper.domain.schedule import SlotPlan, TooManySlots, plan_slots

ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu"]


@st.composite
def plans(draw) -> SlotPlan:
    from_date = draw(st.dates(date(2029, 1, 1), date(2031, 12, 1)))
    start = draw(st.integers(0, 22 * 60))
    end = draw(st.integers(start + 1, 24 * 60 - 1))
    to_date = from_date + timedelta(days=draw(st.integers(0, 20)))
    return SlotPlan(
        from_date=from_date,
        to_date=to_date,
        day_start=time(*divmod(start, 60)),
        day_end=time(*divmod(end, 60)),
        duration=timedelta(minutes=draw(st.integers(5, 180))),
        gap=timedelta(minutes=draw(st.integers(0, 30))),
        weekdays=frozenset(draw(st.sets(st.integers(1, 7), min_size=1))),
        timezone=draw(st.sampled_from(ZONES)),
    )


@settings(max_examples=60, deadline=None)
@given(plan=plans(), slack=st.integers(-3, 3))
def test_the_limit_refuses_exactly_the_plans_above_it(plan, slack):
    everything = plan_slots(plan)
    limit = max(0, len(everything) + slack)
    if len(everything) > limit:
        with pytest.raises(TooManySlots):
            plan_slots(plan, limit=limit)
    else:
        assert plan_slots(plan, limit=limit) == everything
