"""Flask glue: read the bearer token, apply the endpoint's access mark, put the caller on g."""

import logging
import re
from dataclasses import dataclass, field

from flask import Flask, current_app, g, has_request_context, request
from flask_smorest import abort

from slotkeeper.auth import tokens
from slotkeeper.auth.policy import ADMIN, PUBLIC, SCHEME, SECURITY_SCHEME, Access, access_of
from slotkeeper.config import ConfigError, Settings, check_auth
from slotkeeper.domain.actor import ANONYMOUS, TRUSTED, Actor

EXTENSION = "slotkeeper.auth"
CHALLENGE = 'Bearer realm="slotkeeper"'
UNQUOTABLE = re.compile(r'[^\x20-\x7e]|["\\]')
log = logging.getLogger("slotkeeper.auth")


@dataclass(frozen=True)
class Gate:
    """The token verifier (None: authentication off) and marks for non-API endpoints."""

    verifier: tokens.Verifier | None
    endpoints: dict[str, Access] = field(default_factory=dict)


def verifier_for(settings: Settings) -> tokens.Verifier | None:
    """The verifier the settings describe, or None when authentication is off."""
    settings = check_auth(settings)
    if not settings.auth_enabled:
        return None
    algorithm = settings.auth_jwt_algorithm
    if algorithm is None:  # check_auth sets it whenever authentication is on
        raise ConfigError("AUTH_JWT_ALGORITHM could not be decided")
    key: str | tokens.PublicKey
    if settings.auth_jwt_secret:
        key = settings.auth_jwt_secret
    else:
        key = tokens.load_public_key(settings.auth_jwt_public_key or "", algorithm)
    return tokens.Verifier(
        key,
        algorithm,
        settings.auth_jwt_audience,
        settings.auth_jwt_issuer,
        settings.auth_jwt_leeway_seconds,
    )


def install(app: Flask, api, settings: Settings) -> None:
    """Check every request's token against its endpoint's mark; document the bearer scheme."""
    verifier = verifier_for(settings)
    if verifier is None:
        log.warning(
            "authentication is OFF: anyone may call every endpoint and act for any "
            "userId; set AUTH_JWT_SECRET or AUTH_JWT_PUBLIC_KEY to turn it on"
        )
    endpoints = {"prometheus_metrics": ADMIN} if settings.metrics_require_auth else {}
    app.extensions[EXTENSION] = Gate(verifier, endpoints)
    api.spec.components.security_scheme(SCHEME, SECURITY_SCHEME)
    app.before_request(_admit)


def current_actor() -> Actor:
    """The caller of this request, as _admit found it."""
    return g.actor


def signed_in_user() -> str | None:
    """The user id of the request's token, if there is a request and a token."""
    actor = g.get("actor") if has_request_context() else None
    return actor.user_id if actor is not None else None


def _admit() -> None:
    gate = current_app.extensions[EXTENSION]
    if gate.verifier is None:
        g.actor = TRUSTED
        return
    view = current_app.view_functions.get(request.endpoint or "")
    access = gate.endpoints.get(request.endpoint) or access_of(view, request.method)
    if access in (None, PUBLIC):  # public endpoints never look at a token
        g.actor = ANONYMOUS
        return
    g.actor = _authenticate(gate.verifier)
    if access is ADMIN and not g.actor.is_admin:
        abort(403, message="This needs role admin; the token does not have it.")


def _authenticate(verifier: tokens.Verifier) -> Actor:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        _unauthorized("This needs a bearer token: send Authorization: Bearer <token>.")
    if not token.strip():
        _unauthorized("The Authorization header has no token after Bearer.", "no token")
    try:
        claims = tokens.verify(token.strip(), verifier)
    except tokens.InvalidToken as err:
        _unauthorized(f"The bearer token is invalid: {err}.", str(err))
    return Actor(claims.sub, claims.is_admin)


def _unauthorized(message: str, invalid: str | None = None):
    challenge = CHALLENGE
    if invalid is not None:
        description = UNQUOTABLE.sub("", invalid)[:200]
        challenge += f', error="invalid_token", error_description="{description}"'
    abort(401, message=message, headers={"WWW-Authenticate": challenge})
