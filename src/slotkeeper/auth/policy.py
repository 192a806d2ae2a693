"""Who may call what. Each view method is marked PUBLIC, USER or ADMIN by `requires`, which
also documents it: the security requirement, the 401/403 answers and a sentence in its
description. guard.py enforces the mark before the view runs (and before its body is read).

Ownership ("this appointment is the caller's") is not decided here: USER views pass the
caller to the service layer, which answers 404 for someone else's appointment.
"""

import inspect
from enum import Enum

from slotkeeper.api.schemas import ErrorSchema

SCHEME = "bearerAuth"
SECURITY_SCHEME = {
    "type": "http",
    "scheme": "bearer",
    "bearerFormat": "JWT",
    "description": "A JWT whose `sub` is the user id and whose `roles` may "
    "contain `admin`. Ignored when authentication is off.",
}
WWW_AUTHENTICATE = {
    "WWW-Authenticate": {
        "description": 'Bearer realm="slotkeeper", plus error="invalid_token" when a token was '
        "sent but is invalid (bad signature, expired, wrong audience or issuer)",
        "schema": {"type": "string"},
    }
}


class Access(Enum):
    PUBLIC = "public"
    USER = "user"
    ADMIN = "admin"


PUBLIC, USER, ADMIN = Access.PUBLIC, Access.USER, Access.ADMIN
SENTENCES = {
    PUBLIC: "**Access:** public, no token needed.",
    USER: "**Access:** any valid bearer token when authentication is on; a user sees and "
    "changes only their own appointments (someone else's answers 404), role `admin` "
    "any.",
    ADMIN: "**Access:** role `admin` when authentication is on (401 without a valid token, "
    "403 with a token that lacks the role).",
}
UNAUTHORIZED = "No valid bearer token (authentication on only)"


def requires(blp, access: Access):
    """Mark a view method with who may call it, and say so in its OpenAPI operation."""

    def decorator(view):
        documented = blp.doc(security=[] if access is PUBLIC else [{SCHEME: []}])(view)
        if access is not PUBLIC:
            documented = blp.alt_response(
                401, schema=ErrorSchema, description=UNAUTHORIZED, headers=WWW_AUTHENTICATE
            )(documented)
        if access is ADMIN:
            documented = blp.alt_response(
                403, schema=ErrorSchema, description="The token lacks role admin"
            )(documented)
        documented.__doc__ = f"{inspect.cleandoc(view.__doc__ or '')}\n\n{SENTENCES[access]}"
        documented.access = access
        return documented

    return decorator


def access_of(view, method: str) -> Access | None:
    """The mark on the method of `view` (a MethodView's view function) that serves `method`."""
    handler = view
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        handler = getattr(view_class, method.lower(), None)
        if handler is None and method == "HEAD":
            handler = getattr(view_class, "get", None)
    return getattr(handler, "access", None)
