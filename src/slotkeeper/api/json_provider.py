"""Answers encoded by orjson, in the text Flask's own encoder writes.

Every answer goes through `app.json.response`: Flask's encoder takes about 40 µs for an
appointment with its service and slot, orjson a few. Keys are sorted and separators compact
as Flask writes them; dates, dataclasses and other values orjson would write its own way go
to Flask's `default` as before. Where the texts could differ orjson's is not used: pretty
printing (debug), text that is not plain printable ASCII (Flask escapes it), a number with
a one-digit negative exponent (Python writes 1e-07, orjson 1e-7), and anything orjson
refuses (integers beyond 64 bits, keys that are not strings).
"""

import re
from typing import Any

import orjson
from flask.json.provider import DefaultJSONProvider

COMPACT = (",", ":")
OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
SHORT_EXPONENT = re.compile(rb"\de-\d(?!\d)")  # also found in some strings: Flask's then


def _short_exponent(text: bytes) -> bool:
    # a scan for the two letters first: the pattern, starting with a digit, tries every byte
    return b"e-" in text and SHORT_EXPONENT.search(text) is not None


class OrjsonProvider(DefaultJSONProvider):
    def dumps(self, obj: Any, **kwargs: Any) -> str:
        if (kwargs.get("separators") == COMPACT and len(kwargs) == 1) and self._flask_defaults():
            try:
                text = orjson.dumps(obj, default=self.default, option=OPTIONS)
            except TypeError:  # orjson.JSONEncodeError: let Flask's encoder answer or raise
                pass
            else:
                if text.isascii() and b"\x7f" not in text and not _short_exponent(text):
                    return text.decode()
        return super().dumps(obj, **kwargs)

    def _flask_defaults(self) -> bool:
        return self.sort_keys and self.ensure_ascii
