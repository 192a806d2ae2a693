"""An Idempotency-Key record can vanish at any moment: its TTL index removes it once its
lifetime is over. Requests must carry on as if the key were new, never answer 500."""

from dataclasses import replace
from datetime import timedelta

import pytest

from slotkeeper.domain.actor import TRUSTED
from slotkeeper.models import IdempotencyRecord
from slotkeeper.service_layer import booking
from slotkeeper.service_layer.booking import BookingRequest
from tests.conftest import NOW


class ExpiresAfter:
    """The record store, with the TTL monitor removing the records once, right after the
    first operation `moment` (between it and the next one)."""

    def __init__(self, target, moment: str):
        self._target, self._moment = target, moment
        self.removed = 0

    def __getattr__(self, name):
        attribute = getattr(self._target, name)
        if name != self._moment:
            return attribute

        def then_expire(*args, **kwargs):
            result = attribute(*args, **kwargs)
            if not self.removed:
                self.removed += IdempotencyRecord.objects.delete()
            return result

        return then_expire


@pytest.mark.parametrize("moment", ["add", "find"])
def test_a_record_removed_by_its_ttl_between_two_operations_is_made_again(repos, api, moment):
    start = NOW + timedelta(days=3)
    first = booking.book_seats(
        repos,
        BookingRequest(api.slot(start=start)["id"], "ann"),
        NOW,
        actor=TRUSTED,
        idempotency_key="k",
    )
    later = NOW + timedelta(days=1, seconds=1)  # the key's lifetime is over
    store = ExpiresAfter(repos.idempotency, moment)
    again = booking.book_seats(
        replace(repos, idempotency=store),
        BookingRequest(api.slot(start=start)["id"], "ann"),
        later,
        actor=TRUSTED,
        idempotency_key="k",
    )
    assert store.removed == 1
    assert again.id != first.id and not again.replayed  # a new request under an old key
    assert IdempotencyRecord.objects.get(key="k").appointment_id == again.id


def test_an_outlived_record_is_renewed_for_the_new_request(repos, api):
    slot = api.slot(start=NOW + timedelta(days=3), capacity=3)
    request = BookingRequest(slot["id"], "ann", 1)
    first = booking.hold_seats(
        repos, request, NOW, timedelta(minutes=2), actor=TRUSTED, idempotency_key="k"
    )
    other = api.slot(start=NOW + timedelta(days=3, hours=2))
    booking.book_seats(
        repos,
        BookingRequest(other["id"], "ann", 1),
        NOW + timedelta(days=1, seconds=1),
        actor=TRUSTED,
        idempotency_key="k",
    )
    assert IdempotencyRecord.objects.get(key="k").appointment_id != first.id
