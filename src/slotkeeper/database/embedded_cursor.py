"""Pages of a large collection without copying all of it.

mongomock answers `find().sort().skip().limit()` by copying, projecting and converting every
matching document, sorting them with a generic BSON comparison, and only then slicing. A
cursor of `WindowedCursor` sorts the matching documents first (on plain values when every
document has a value of one type, as dates and ids do), slices the page, and copies only that.
"""

import functools
import itertools
from datetime import datetime
from typing import Any, NamedTuple

from bson import ObjectId
from mongomock import helpers
from mongomock.collection import Cursor, _copy_field
from mongomock.filtering import filter_applies, resolve_sort_key

PLAIN_TYPES = (datetime, ObjectId, int, float, str)
PYMONGO_4 = helpers.PYMONGO_VERSION.major >= 4
# values mongomock's copy gives back equal and unchanged (it copies them with copy.copy)
AS_THEY_ARE = frozenset({str, int, float, bool, type(None), bytes, ObjectId})


def copy_out(value, tz_aware: bool):
    """What mongomock's `_copy_field(value, dict)` then (when tz_aware)
    `make_datetime_timezone_aware_in_document` give, in one pass: a whole document read
    without a projection. Plain dicts, lists and the types above take the short way; any
    other value (a subclass, a tuple, ...) goes through mongomock's own two steps."""
    kind = type(value)
    if kind is dict:
        return {key: copy_out(item, tz_aware) for key, item in value.items()}
    if kind is list:
        return [copy_out(item, tz_aware) for item in value]
    if kind in AS_THEY_ARE:
        return value
    if kind is datetime:
        return value.replace(tzinfo=helpers.utc) if tz_aware else value
    copied = _copy_field(value, dict)
    return helpers.make_datetime_timezone_aware_in_document(copied) if tz_aware else copied


def whole(fields) -> bool:
    """A projection that keeps the whole document (with pymongo 4, an empty one too), as
    `Collection._copy_only_fields` reads it."""
    return fields is None or (not fields and PYMONGO_4)


class Plain(NamedTuple):
    """A projection of plain names: the top-level fields it drops, or those it keeps and the
    fields it keeps inside others ("holders.u1": one dot), and whether _id stays."""

    drops: bool
    top: set[str]
    inner: dict[str, set[str]]
    keep_id: bool


class Unplain(Exception):
    """A document the shortcut does not cover (a path into a list): mongomock's way then."""


def plain(fields) -> Plain | None:
    """`fields` as a Plain projection, or None for any other (operators, deeper paths, mixed
    keeping and dropping, path collisions), which mongomock projects (or refuses) itself."""
    if not isinstance(fields, dict) or not fields:
        return None
    keep_id, top, kinds = True, set(), set()
    inner: dict[str, set[str]] = {}
    for name, keep in fields.items():
        if type(keep) not in (int, bool) or "$" in name:
            return None
        if name == "_id":
            keep_id = bool(keep)
            continue
        kinds.add(bool(keep))
        head, dot, tail = name.partition(".")
        if not dot:
            if name in inner:
                return None
            top.add(name)
        elif keep and "." not in tail and head not in top:
            inner.setdefault(head, set()).add(tail)
        else:
            return None
    if len(kinds) != 1:  # only _id, or keeping and dropping mixed
        return None
    return Plain(not kinds.pop(), top, inner, keep_id)


def project(document: dict, projection: Plain, tz_aware: bool) -> dict:
    """What `Collection._copy_only_fields` then (when tz_aware) the time-zone conversion give
    for a Plain projection, in one pass."""
    if projection.drops:
        out = {k: copy_out(v, tz_aware) for k, v in document.items() if k not in projection.top}
    else:
        out = {}
        for key, value in document.items():
            if key in projection.top:
                out[key] = copy_out(value, tz_aware)
            elif key in projection.inner:
                if type(value) is dict:
                    kept = projection.inner[key]
                    out[key] = {k: copy_out(v, tz_aware) for k, v in value.items() if k in kept}
                elif isinstance(value, list | tuple | dict):
                    raise Unplain  # mongomock projects each item of a list, or a mapping
                # a plain value under a path into it: mongomock leaves the field out
        if projection.keep_id and "_id" in document:
            out["_id"] = copy_out(document["_id"], tz_aware)
    if not projection.keep_id:
        out.pop("_id", None)
    return out


def copy_page(collection, documents: list, fields) -> list:
    """The documents as mongomock's cursor gives them: copied, projected, with aware dates."""
    tz_aware = collection.codec_options.tz_aware
    if whole(fields):
        return [copy_out(d, tz_aware) for d in documents]
    projection = plain(fields)
    if projection is not None:
        try:
            return [project(d, projection, tz_aware) for d in documents]
        except Unplain:
            pass
    page = [collection._copy_only_fields(d, fields, dict) for d in documents]
    if tz_aware:
        page = [helpers.make_datetime_timezone_aware_in_document(d) for d in page]
    return page


def sort_documents(documents: list, sort) -> list:
    """Documents in mongomock's order for `sort`, using plain keys where that is the same."""
    if not sort:
        return documents
    for field, direction in reversed(list(sort.items() if isinstance(sort, dict) else sort)):
        if field == "$natural":
            documents = documents[::-1] if direction < 0 else documents
            continue
        values: list[Any] = [d.get(field) if "." not in field else None for d in documents]
        kinds = {type(v) for v in values}
        if "." not in field and len(kinds) == 1 and issubclass(kinds.pop(), PLAIN_TYPES):
            order = sorted(range(len(documents)), key=lambda i: values[i], reverse=direction < 0)
            documents = [documents[i] for i in order]
        else:
            documents = sorted(
                documents, key=functools.partial(resolve_sort_key, field), reverse=direction < 0
            )
    return documents


class WindowedCursor(Cursor):
    def _compute_results(self, with_limit_and_skip=False):
        if not with_limit_and_skip:
            return super()._compute_results(with_limit_and_skip)
        spec, sort, fields, _ = self._factory.args
        asked = (self._factory, self._skip, self._limit)
        if getattr(self, "_window_asked", None) != asked:
            self._window = self.collection._get_window(spec, sort, fields, self._skip, self._limit)
            self._window_asked = asked
        return self._window


def window(collection, spec, sort, fields, skip: int, limit) -> list:
    """The page [skip, skip + limit) of the matching documents, copied and projected.

    When no index narrows the filter but one is kept in the order asked, the page is read
    off that index (matching documents until the page is full), as MongoDB would."""
    secondaries = collection._secondaries()
    walk = None
    if limit and secondaries.candidates(collection._store, spec) is None:
        walk = secondaries.walk(collection._store, sort)
    if walk is not None:
        documents = list(
            itertools.islice((d for d in walk if filter_applies(spec, d)), skip, skip + abs(limit))
        )
    else:
        documents = sort_documents(list(collection._iter_documents(spec)), sort)
        documents = documents[skip : skip + abs(limit)] if limit else documents[skip:]
    return copy_page(collection, documents, fields)
