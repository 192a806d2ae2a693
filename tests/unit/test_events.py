"""Events in plain Python: their types, the retry delays, and which addresses are public."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from slotkeeper.domain.events import (
    SUBSCRIBABLE,
    appointment_event,
    event_body,
    is_public_address,
    retry_delay,
)
from slotkeeper.domain.status import Status

NOW = datetime(2030, 1, 1, 12, tzinfo=UTC)


def test_retry_delays_double_from_the_base():
    assert [retry_delay(n, 5) for n in range(1, 6)] == [
        timedelta(seconds=s) for s in (5, 10, 20, 40, 80)
    ]


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.8.8",
        "::1",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.0.1",
        "100.64.0.1",
        "169.254.169.254",
        "fe80::1",
        "224.0.0.251",
        "ff02::1",
        "0.0.0.0",
        "::",
        "fc00::1",
        "::ffff:10.0.0.1",
        "::ffff:127.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
    ],
)
def test_loopback_private_link_local_multicast_and_reserved_addresses_are_not_public(address):
    assert not is_public_address(address)


@pytest.mark.parametrize(
    "address", ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.4.4"]
)
def test_global_addresses_are_public(address):
    assert is_public_address(address)


def test_each_status_has_its_event_and_a_move_is_a_reschedule():
    types = {status: appointment_event(status, NOW)["type"] for status in Status}
    assert types == {
        Status.PENDING: "appointment.held",
        Status.BOOKED: "appointment.booked",
        Status.CANCELLED: "appointment.cancelled",
        Status.EXPIRED: "appointment.expired",
        Status.ATTENDED: "appointment.attended",
        Status.NO_SHOW: "appointment.no_show",
    }
    moved = appointment_event(Status.BOOKED, NOW, slot_id="b", previous_slot_id="a")
    assert (moved["type"], moved["slotId"], moved["previousSlotId"]) == (
        "appointment.rescheduled",
        "b",
        "a",
    )
    one, two = appointment_event(Status.BOOKED, NOW), appointment_event(Status.BOOKED, NOW)
    assert one["id"] != two["id"]


def test_ping_is_not_a_type_to_subscribe_to():
    assert "ping" not in SUBSCRIBABLE and "appointment.booked" in SUBSCRIBABLE


def test_the_body_is_the_contracts_envelope_with_a_utc_timestamp():
    body = json.loads(event_body("evt_1", "ping", NOW, {"webhookId": "w"}))
    assert body == {
        "id": "evt_1",
        "type": "ping",
        "timestamp": "2030-01-01T12:00:00Z",
        "data": {"webhookId": "w"},
    }
