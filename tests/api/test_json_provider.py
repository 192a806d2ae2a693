"""Answers are encoded by orjson in exactly the text Flask's own encoder writes."""

import dataclasses
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

from flask import Flask
from flask.json.provider import DefaultJSONProvider
from hypothesis import given, settings
from hypothesis import strategies as st

from slotkeeper.api.json_provider import OrjsonProvider


@dataclasses.dataclass
class Pair:
    left: int
    right: str


SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),  # beyond 64 bits too
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([1e-7, 1e16, 1e-10, 0.1 + 0.2, -0.0, 123456789012345678.0]),
    st.text(max_size=6),  # any character: controls, DEL, accents
    st.datetimes(timezones=st.just(UTC)),
    st.dates(),
    st.uuids(),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.builds(Pair, st.integers(-3, 3), st.text(max_size=2)),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.text(max_size=4), inner, max_size=4),
    ),
    max_leaves=12,
)


def providers(debug: bool = False):
    app = Flask(__name__)
    app.debug = debug
    return DefaultJSONProvider(app), OrjsonProvider(app), app


@settings(max_examples=300, deadline=None)
@given(value=VALUES)
def test_an_answer_is_the_text_flask_writes(value):
    flask_json, ours, app = providers()
    with app.app_context():
        assert ours.response(value).get_data() == flask_json.response(value).get_data()
    assert ours.dumps(value) == flask_json.dumps(value)  # Flask's default separators
    assert ours.dumps(value, separators=(",", ":")) == flask_json.dumps(
        value, separators=(",", ":")
    )


def test_values_orjson_would_write_its_own_way_are_written_as_flask_writes_them():
    flask_json, ours, _ = providers()
    value = {
        "at": datetime(2030, 1, 7, 9, 0, tzinfo=UTC),
        "day": date(2030, 1, 7),
        "pair": Pair(1, "x"),
        "id": uuid.UUID(int=1),
        "price": Decimal("1.50"),
        "small": 1e-7,
        "big": 2**70,
        "name": "Zoë",
        "del": "\x7f",
        1: "a key that is not a string",
    }
    for key in list(value):
        one = {key: value[key]}
        assert ours.dumps(one, separators=(",", ":")) == flask_json.dumps(
            one, separators=(",", ":")
        )


def test_pretty_answers_in_debug_are_flasks():
    flask_json, ours, app = providers(debug=True)
    value = {"b": [1, {"c": None}], "a": "x"}
    with app.app_context():
        assert ours.response(value).get_data() == flask_json.response(value).get_data()


def test_the_service_answers_through_orjson(client):
    assert isinstance(client.application.json, OrjsonProvider)
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.get_data(as_text=True).endswith("}\n")
