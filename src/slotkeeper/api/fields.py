"""Field types shared by the resources' schemas.

Every message says what is expected, with an example; the error handler prefixes it with the
field's name ("startTime: a date-time with an offset, like 2030-01-07T09:00:00Z").
"""

import re
from datetime import UTC

from marshmallow import ValidationError, fields, validate

OBJECT_ID = r"[0-9a-fA-F]{24}"
EXAMPLE_ID = "6650f0c2a1b2c3d4e5f60718"
DATE_TIME_EXPECTED = "A date-time with an offset, like 2030-01-07T09:00:00Z."

# What each kind of field expects, by marshmallow's error keys; ApiSchema binds them.
EXPECTED: list[tuple[type[fields.Field], dict[str, str]]] = [
    (fields.Boolean, {"invalid": "A boolean: true or false."}),
    (fields.Integer, {"invalid": "A whole number.", "too_large": "A smaller whole number."}),
    (
        fields.Float,
        {"invalid": "A number.", "too_large": "A smaller number.", "special": "A finite number."},
    ),
    (fields.Email, {"invalid": "An e-mail address, like grace@example.com."}),
    (fields.String, {"invalid": "A string."}),
    (fields.Date, {"invalid": "A date, like 2030-01-07.", "format": "A date, like 2030-01-07."}),
    (fields.List, {"invalid": "A list."}),
    (fields.Nested, {"type": "A JSON object."}),
]


def expected_messages(field: fields.Field) -> dict[str, str]:
    """The messages of `field`'s kind (the most specific kind that matches)."""
    for kind, messages in EXPECTED:
        if isinstance(field, kind):
            return messages
    return {}


class FullMatch(validate.Regexp):
    """A regular expression the whole value must match. Python's `$` also matches before a
    final newline ("USD\\n" passes `^[A-Z]{3}$` with re.match), so this uses fullmatch;
    the pattern the OpenAPI document shows keeps `^...$`, which JSON Schema reads alike."""

    def __init__(self, pattern: str, error: str):
        super().__init__(re.compile(f"^(?:{pattern})$"), error=error)

    def __call__(self, value):
        if self.regex.fullmatch(value) is None:
            raise ValidationError(self._format_error(value))
        return value


class ObjectIdString(fields.String):
    """A MongoDB ObjectId as 24 hex characters."""

    def __init__(self, example: str | None = EXAMPLE_ID, **kwargs):
        if example is not None:
            kwargs.setdefault("metadata", {}).setdefault("example", example)
        error = f"An id: 24 hexadecimal digits, like {EXAMPLE_ID}."
        super().__init__(validate=FullMatch(OBJECT_ID, error), **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else str(value)


class Text(fields.String):
    """A string MongoDB can store: a JSON escape like "\\ud800" decodes to a lone surrogate."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise ValidationError("Valid Unicode text (no lone surrogates).") from None
        return text


class UtcDateTime(fields.AwareDateTime):
    """ISO 8601 with an offset in, UTC out; stored with MongoDB's millisecond precision."""

    default_error_messages = {
        "invalid": DATE_TIME_EXPECTED,
        "invalid_awareness": DATE_TIME_EXPECTED,
        "format": DATE_TIME_EXPECTED,
    }

    def __init__(self, example: str | None = "2030-01-07T09:00:00Z", **kwargs):
        if example is not None:
            kwargs.setdefault("metadata", {}).setdefault("example", example)
        super().__init__(format="iso", **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        parsed = super()._deserialize(value, attr, data, **kwargs)
        try:
            utc = parsed.astimezone(UTC)
        except (OverflowError, ValueError):
            raise ValidationError("A date-time between the years 1 and 9999.") from None
        return utc.replace(microsecond=utc.microsecond // 1000 * 1000)

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return super()._serialize(value.astimezone(UTC), attr, obj, **kwargs)


def strict_int(low: int, high: int | None = None, **kwargs) -> fields.Integer:
    return fields.Integer(strict=True, validate=validate.Range(min=low, max=high), **kwargs)
