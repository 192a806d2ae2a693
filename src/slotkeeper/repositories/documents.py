"""Documents to and from what the database stores, without MongoEngine's constructor.

`Document._from_son` and `Document(**fields).save()` run the whole constructor: signals, a
check of every name, each field's default assigned through its descriptor with change
tracking, then (for save) validation and `to_mongo`. On the booking path that is more than
the database operations cost. These two functions do the same conversions directly: each
stored value goes through its field's `to_python` (to a document) or `to_mongo` (to the
database), and a field with nothing or null gets its default, as the constructor gives it.
A model these do not cover (inheritance, dynamic fields, choices) and a stored document with
a field its model lacks go through MongoEngine itself, which then behaves as before.
"""

from dataclasses import dataclass
from functools import cache

from bson import SON
from mongoengine.base import BaseField


@dataclass(frozen=True)
class _Shape:
    fields: tuple[tuple[str, str, BaseField], ...]  # (name, stored name, field)
    stored: frozenset[str]


@cache
def _shape(document_class) -> _Shape | None:
    meta = document_class._meta
    fields = document_class._fields
    if (
        document_class._dynamic
        or document_class.STRICT
        or meta.get("allow_inheritance")
        or any(f.choices or getattr(f, "_auto_gen", False) for f in fields.values())
    ):
        return None
    named = tuple(
        (name, fields[name].db_field, fields[name]) for name in document_class._fields_ordered
    )
    return _Shape(named, frozenset(db_field for _, db_field, _ in named))


def _default(field: BaseField):
    """What a field holds when given None (BaseField.__set__)."""
    if field.null or field.default is None:
        return None
    return field.default() if callable(field.default) else field.default


def from_son(document_class, son: dict):
    """The document `son` stores, as `document_class._from_son(son)` builds it."""
    shape = _shape(document_class)
    if shape is None or not shape.stored.issuperset(son):
        return document_class._from_son(son)
    data = {}
    for name, db_field, field in shape.fields:
        value = son.get(db_field)
        data[name] = _default(field) if value is None else field.to_python(value)
    document = object.__new__(document_class)
    init = object.__setattr__
    init(document, "_data", data)
    init(document, "_dynamic_fields", SON())
    init(document, "_cls", document_class._class_name)
    init(document, "_initialised", True)
    init(document, "_created", False)
    init(document, "_changed_fields", [])
    return document


def to_son(document_class, fields: dict) -> dict:
    """What `document_class(**fields).to_mongo()` stores (without `_cls`), for a model
    `from_son` covers; fields the model lacks are an error, as in the constructor."""
    shape = _shape(document_class)
    if shape is None or not fields.keys() <= document_class._fields.keys():
        return document_class(**fields).to_mongo().to_dict()
    son = {}
    for name, db_field, field in shape.fields:
        value = fields.get(name)
        value = _default(field) if value is None else value
        if value is not None:
            son[db_field] = field.to_mongo(value)
        elif field.null:
            son[db_field] = None
    return son
